"""What launching a campaign would do, in numbers, before anyone confirms it (counted in the database)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.translation import gettext as _

from breachdesk.assessment import subjects_to_inform
from breachdesk.models import BreachFile, DataSubject, User
from breachdesk.models.subjects import AgeGroup
from notifications.models import Campaign, Channel, Notice, NoticeText
from notifications.services import campaigns
from notifications.services.notice_texts import LANGUAGES

# The (channel, addressee) pairs a launch can write; a letter to the representatives is the only one not to the person.
_PAIRS = [
    (Channel.POST.value, Notice.Addressee.SUBJECT.value),
    (Channel.EMAIL.value, Notice.Addressee.SUBJECT.value),
    (Channel.POST.value, Notice.Addressee.REPRESENTATIVES.value),
]
_GROUPED = ["language", "has_postal_address", "has_email", "has_confidential_care", "age_group"]


def _exists_name(channel: str, addressee: str) -> str:
    return f"has_{channel}_{addressee}"


@dataclass(frozen=True)
class TextVersion:
    """Which text a language's letters and emails will carry, frozen at launch."""

    language: str
    label: str
    saved_at: datetime | None
    saved_by: User | None
    is_proposal: bool
    is_frozen: bool


@dataclass
class LaunchPreview:
    channels: list[str]
    is_relaunch: bool
    persons: int = 0
    letters: Counter[str] = field(default_factory=Counter)
    emails: Counter[str] = field(default_factory=Counter)
    representatives_letters: int = 0
    unreachable: int = 0
    adolescents_without_choice: int = 0
    already_in_ledger: int = 0
    # The languages the covered persons read, whether or not this launch adds anything for them.
    recipient_languages: set[str] = field(default_factory=set)
    texts: list[TextVersion] = field(default_factory=list)
    refusal: str = ""
    refusal_link: str = ""

    @property
    def letters_total(self) -> int:
        return sum(self.letters.values())

    @property
    def emails_total(self) -> int:
        return sum(self.emails.values())

    @property
    def languages(self) -> list[tuple[str, str, int, int]]:
        """Per recipient language: code, name, letters, emails."""
        codes = [code for code in LANGUAGES if self.letters[code] or self.emails[code]]
        return [(code, str(DataSubject.Language(code).label), self.letters[code], self.emails[code]) for code in codes]

    @property
    def can_launch(self) -> bool:
        return not self.refusal


def launch_preview(*, breach_file: BreachFile, channels: list[str]) -> LaunchPreview:
    """Count what a launch on these channels adds: letters and emails per language, unreachable persons, pending
    choices and the text version each language freezes; one grouped query, whatever the number of persons."""
    campaign = Campaign.objects.filter(breach_file=breach_file).first()
    chosen = set(channels) | set(campaign.channels if campaign else [])
    preview = LaunchPreview(
        channels=[channel for channel in Channel.values if channel in chosen], is_relaunch=bool(campaign)
    )
    covered = subjects_to_inform(breach_file).order_by()
    existing: dict[str, models.Exists] = {}
    if campaign is not None:
        existing = {
            _exists_name(channel, addressee): models.Exists(
                Notice.objects.filter(
                    breach_file=breach_file, subject=models.OuterRef("pk"), channel=channel, addressee=addressee
                )
            )
            for channel, addressee in _PAIRS
        }
    groups = covered.annotate(**existing).values(*_GROUPED, *existing).annotate(count=models.Count("pk"))
    for group in groups:
        count = group["count"]
        preview.persons += count
        preview.recipient_languages.add(group["language"])
        if group["age_group"] == AgeGroup.ADOLESCENT and not breach_file.adolescent_addressee:
            preview.adolescents_without_choice += count
        # An unsaved person with the group's flags: the launch's own rule says who is told, without decrypting anyone.
        profile = DataSubject(
            has_postal_address=group["has_postal_address"],
            has_email=group["has_email"],
            has_confidential_care=group["has_confidential_care"],
        )
        pairs = campaigns.recipients_of(
            profile,
            channels=chosen,
            age_group=group["age_group"],
            adolescent_addressee=breach_file.adolescent_addressee,
        )
        if not pairs:
            preview.unreachable += count
            continue
        for channel, addressee in pairs:
            if group.get(_exists_name(channel, addressee)):
                preview.already_in_ledger += count
                continue
            if channel == Channel.EMAIL:
                preview.emails[group["language"]] += count
            else:
                preview.letters[group["language"]] += count
                if addressee == Notice.Addressee.REPRESENTATIVES:
                    preview.representatives_letters += count
    preview.texts = _text_versions(breach_file, campaign, preview)
    try:
        campaigns.require_inform_decision(breach_file)
        if campaign is None:
            campaigns.ensure_ready_to_launch(breach_file)
    except campaigns.CampaignRefused as error:
        preview.refusal, preview.refusal_link = str(error), error.link
    if not preview.refusal and not preview.persons:
        preview.refusal = _("The decision to inform covers no data subject yet: import them, or review the decision.")
    return preview


def _text_versions(breach_file: BreachFile, campaign: Campaign | None, preview: LaunchPreview) -> list[TextVersion]:
    languages = [code for code in LANGUAGES if code in preview.recipient_languages] or list(LANGUAGES[:1])
    stored = {
        text.language: text for text in NoticeText.objects.filter(breach_file=breach_file).select_related("updated_by")
    }
    versions = []
    for language in languages:
        label = str(DataSubject.Language(language).label)
        text = stored.get(language)
        if campaign is not None:
            versions.append(
                TextVersion(
                    language, label, campaign.launched_at, campaign.launched_by, is_proposal=False, is_frozen=True
                )
            )
        elif text is not None:
            versions.append(
                TextVersion(language, label, text.updated_at, text.updated_by, is_proposal=False, is_frozen=False)
            )
        else:
            versions.append(TextVersion(language, label, None, None, is_proposal=True, is_frozen=False))
    return versions
