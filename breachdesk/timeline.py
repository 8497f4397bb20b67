"""The breach file's timeline: each step is stored as a code and its parameters, and told in the reader's language.

Stored history never holds sentences (STYLE.md): a French DPO and an English compliance officer read the same step
in their own language. Each app names its kinds and their sentences here; an app built on this one adds its own from
its AppConfig.ready(), so this module names nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from breachdesk.formats import reader_language

if TYPE_CHECKING:
    from breachdesk.models import BreachFileEvent

Sentence = Callable[[dict[str, Any]], str]

_sentences: dict[str, Sentence] = {}


class TimelineKind(models.TextChoices):
    AWARE = "aware", _("Awareness")
    OPENED = "opened", _("Breach file opened")
    PROCESSOR_INFORMED = "processor_informed", _("Informed by the processor")
    CHANGED = "changed", _("Change")
    AUTHORITY_NOTIFIED = "authority_notified", _("Supervisory authority notified")
    RISK_ASSESSED = "risk_assessed", _("Risk assessed")
    DECISION = "decision", _("Decision")
    SUBJECTS_IMPORTED = "subjects_imported", _("Data subjects imported")
    SUBJECTS_IMPORT_REJECTED = "subjects_import_rejected", _("Import rejected")
    OBLIGATION_DECIDED = "obligation_decided", _("Obligation decided")
    OBLIGATION_SUBMITTED = "obligation_submitted", _("Obligation submitted")


def register_sentence(kind: str, sentence: Sentence) -> None:
    """Say how a kind of step reads; the sentence is built when it is shown, in the language active then."""
    _sentences[kind] = sentence


def describe(event: BreachFileEvent) -> str:
    """Tell a step of the timeline in the active language (steps recorded before codes keep their sentence)."""
    sentence = _sentences.get(event.kind)
    if sentence is None or (event.summary and not event.params):
        return event.summary or event.kind
    try:
        return sentence(event.params)
    except (KeyError, LookupError, TypeError, ValueError, ObjectDoesNotExist, FieldDoesNotExist):
        # A step whose object is gone, or a field renamed since: the page still shows, with the step's name.
        return event.summary or event.kind


def _field_names(names: list[str]) -> str:
    from breachdesk.models import BreachFile

    labels = []
    for name in names:
        try:
            field = BreachFile._meta.get_field(name)
        except FieldDoesNotExist:
            labels.append(name)
        else:
            labels.append(str(getattr(field, "verbose_name", name)))
    return ", ".join(labels)


def _risk_assessed(params: dict[str, Any]) -> str:
    from breachdesk.models import RiskAssessment

    assessment = RiskAssessment.objects.get(pk=params["assessment"])
    language = reader_language()
    return gettext("Risk assessed: %(arithmetic)s; retained level %(level)s.") % {
        "arithmetic": assessment.severity.arithmetic(language),
        "level": assessment.get_level_display(),
    }


def _decision(params: dict[str, Any]) -> str:
    from breachdesk.models import DecisionOutcome

    return gettext("Decision: %(outcome)s (score %(score)s).") % {
        "outcome": DecisionOutcome(params["outcome"]).label,
        "score": params["score"],
    }


def _obligation_decided(params: dict[str, Any]) -> str:
    from breachdesk.models import Applicability
    from breachdesk.obligations.regimes import regime_named

    return gettext("%(regime)s: %(applicability)s.") % {
        "regime": regime_named(params["regime"]).label,
        "applicability": Applicability(params["applicability"]).label,
    }


def _obligation_submitted(params: dict[str, Any]) -> str:
    from breachdesk.obligations.regimes import regime_named

    regime = regime_named(params["regime"])
    values = {"regime": regime.label, "phase": regime.phase(params["phase"]).label}
    if params.get("late"):
        return gettext("%(regime)s: %(phase)s submitted (late, reasons recorded).") % values
    return gettext("%(regime)s: %(phase)s submitted.") % values


for _kind, _sentence in {
    TimelineKind.AWARE: lambda params: gettext("Became aware of the breach: the 72-hour clock starts."),
    TimelineKind.OPENED: lambda params: (
        gettext("Breach file opened in BreachDesk, with %(others)s other controllers of the incident.") % params
        if params.get("others")
        else gettext("Breach file opened in BreachDesk.")
    ),
    TimelineKind.PROCESSOR_INFORMED: lambda params: (
        gettext("Informed by the processor (Art. 33(2)): notice sent to the DPO.")
        if params.get("notice_sent")
        else gettext("Informed by the processor (Art. 33(2)).")
    ),
    TimelineKind.CHANGED: lambda params: gettext("Changed: %(fields)s") % {"fields": _field_names(params["fields"])},
    TimelineKind.AUTHORITY_NOTIFIED: lambda params: (
        gettext("Supervisory authority notified (late, reasons recorded).")
        if params.get("late")
        else gettext("Supervisory authority notified within 72 hours.")
    ),
    TimelineKind.RISK_ASSESSED: _risk_assessed,
    TimelineKind.DECISION: _decision,
    TimelineKind.SUBJECTS_IMPORTED: lambda params: (
        gettext(
            "Import #%(id)s: %(count)s data subjects imported (%(unreachable)s unreachable, "
            "%(duplicates)s duplicates reported)."
        )
        % params
    ),
    TimelineKind.OBLIGATION_DECIDED: _obligation_decided,
    TimelineKind.OBLIGATION_SUBMITTED: _obligation_submitted,
    TimelineKind.SUBJECTS_IMPORT_REJECTED: lambda params: (
        gettext("Import #%(id)s rejected: %(errors)s errors, nothing stored.") % params
    ),
}.items():
    register_sentence(_kind, _sentence)
