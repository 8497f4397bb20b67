"""The steps notifications adds to a breach file's timeline, and how each reads (registered in AppConfig.ready)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from breachdesk.timeline import register_sentence


class NotificationTimelineKind(models.TextChoices):
    FILING_PREPARED = "filing_prepared", _("CNIL filing prepared")
    AUTHORITY_COMPLEMENTED = "authority_complemented", _("Complementary notification filed")
    CAMPAIGN_LAUNCHED = "campaign_launched", _("Data subjects' information launched")
    LETTER_CHOICES_RECORDED = "letter_choices_recorded", _("Who receives the letters recorded")
    PUBLIC_COMMUNICATION = "public_communication", _("Public communication recorded")
    SUBJECTS_INFORMED = "subjects_informed", _("Data subjects informed")


def _filing_prepared(params: dict[str, Any]) -> str:
    from notifications.models import Filing

    return gettext("CNIL filing v%(version)s prepared (%(kind)s, %(state)s).") % {
        "version": params["version"],
        "kind": Filing.Kind(params["kind"]).label,
        "state": gettext("complete") if params["is_complete"] else gettext("incomplete: phased notification"),
    }


def _letter_choices(params: dict[str, Any]) -> str:
    from breachdesk.taxonomy import AdolescentAddressee, SensitiveDetail

    choice = params.get("adolescent_addressee") or ""
    return gettext("Letters: minors of 15 to 17 told: %(choice)s; specific health items: %(detail)s.") % {
        "choice": AdolescentAddressee(choice).label if choice else gettext("not chosen"),
        "detail": SensitiveDetail(params["sensitive_detail"]).label,
    }


def _public_communication(params: dict[str, Any]) -> str:
    from notifications.models import PublicCommunication

    return gettext(
        "Public communication recorded (%(medium)s, published on %(published_on)s) for %(unreachable)s unreachable "
        "persons."
    ) % {
        "medium": PublicCommunication.Medium(params["medium"]).label,
        "published_on": date.fromisoformat(params["published_on"]).strftime("%d/%m/%Y"),
        "unreachable": params["unreachable"],
    }


def register_sentences() -> None:
    """Tell breachdesk's timeline how the steps of notifications read."""
    register_sentence(NotificationTimelineKind.FILING_PREPARED, _filing_prepared)
    register_sentence(NotificationTimelineKind.LETTER_CHOICES_RECORDED, _letter_choices)
    register_sentence(
        NotificationTimelineKind.AUTHORITY_COMPLEMENTED,
        lambda params: gettext("Complementary notification v%(version)s filed (case %(number)s).") % params,
    )
    register_sentence(
        NotificationTimelineKind.CAMPAIGN_LAUNCHED,
        lambda params: (
            gettext(
                "Data subjects' information launched: %(post)s letters, %(email)s emails, %(unreachable)s unreachable."
            )
            % params
        ),
    )
    register_sentence(NotificationTimelineKind.PUBLIC_COMMUNICATION, _public_communication)
    register_sentence(
        NotificationTimelineKind.SUBJECTS_INFORMED,
        lambda params: (
            gettext(
                "Every covered data subject informed: %(told)s of %(covered)s told individually, "
                "%(public)s public communications for the others."
            )
            % params
        ),
    )
