"""Finding data subjects in a breach file: the search through blind indexes, the filters, the list's rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from breachdesk import crypto, panels
from breachdesk.assessment import latest_assessment, level_condition
from breachdesk.formats import reader_language
from breachdesk.models import BreachFile, Channel, DataSubject
from breachdesk.models.subjects import DataSubjectQuerySet, PersonalData
from breachdesk.risk import BAND_ORDER, Band, class_severity

# The searched words live in the session, encrypted like any personal data: never in a URL, a log or clear text.
SESSION_KEY = "subject_search.{breach_file_id}"
MAX_QUERY_LENGTH = 200


class Reachability:
    REACHABLE = "reachable"
    UNREACHABLE = "unreachable"


class SubjectSearchForm(forms.Form):
    """The words searched: sent by POST, kept encrypted in the session (personal data never goes in a URL)."""

    query = forms.CharField(
        label=_("Patient reference, name, postcode or email"),
        max_length=MAX_QUERY_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Exact match, accents and case aside: a whole last name, last and first name, a whole email."),
    )


class SubjectFilterForm(forms.Form):
    """The list's filters: codes only, so they may sit in the URL and in the audit trail."""

    reachability = forms.ChoiceField(
        label=_("Reachability"),
        required=False,
        choices=[
            ("", _("All")),
            (Reachability.REACHABLE, _("Reachable")),
            (Reachability.UNREACHABLE, _("Unreachable (no address, no email)")),
        ],
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices])
    risk = forms.ChoiceField(label=_("Risk level"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("Any language")), *DataSubject.Language.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        risk = self.fields["risk"]
        assert isinstance(risk, forms.ChoiceField)
        risk.choices = [("", _("Any level")), *((band, Band(band).label) for band in BAND_ORDER)]
        for extension in panels.subject_filters():
            self.fields[extension.key] = forms.ChoiceField(
                label=str(extension.label), required=False, choices=[("", _("All")), *extension.choices()]
            )

    def chosen(self) -> dict[str, str]:
        """Return the filters set, by key (valid codes only)."""
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


class RiskLevels:
    """The risk level of a data subject under the breach file's latest assessment ("" when not assessed).

    Read from the person's derived classes stored in clear (processing context, health data or not), never from
    their exposure codes, which are encrypted.
    """

    def __init__(self, breach_file: BreachFile) -> None:
        self.breach_file = breach_file
        self.assessment = latest_assessment(breach_file)

    def of(self, subject: DataSubject) -> str:
        """Score a person's class (a pure computation, no query)."""
        if self.assessment is None or subject.processing_context is None:
            return ""
        return class_severity(
            dpc=subject.processing_context,
            has_health_data=subject.has_health_data,
            identification=self.assessment.identification,
            circumstances=self.assessment.circumstances,
        ).default_level.value

    def condition_at(self, level: str) -> Q | None:
        """Return the condition on the derived classes that selects the persons at this level (None: nobody)."""
        if self.assessment is None:
            return None
        return level_condition(self.assessment, [level])


def find_subjects(
    *, breach_file: BreachFile, query: str, filters: dict[str, str], levels: RiskLevels
) -> QuerySet[DataSubject]:
    """Return the breach file's data subjects that match the words and every filter, by indexed columns only."""
    chosen: DataSubjectQuerySet = DataSubject.objects.filter(breach_file=breach_file)
    if query.strip():
        chosen = chosen.matching(query)
    if filters.get("reachability") == Reachability.REACHABLE:
        chosen = chosen.reachable()
    elif filters.get("reachability") == Reachability.UNREACHABLE:
        chosen = chosen.unreachable()
    if filters.get("channel"):
        chosen = chosen.reachable_by(filters["channel"])
    if filters.get("language"):
        chosen = chosen.filter(language=filters["language"])
    subjects: QuerySet[DataSubject] = chosen
    if filters.get("risk"):
        condition = levels.condition_at(filters["risk"])
        subjects = subjects.filter(condition) if condition is not None else subjects.none()
    for extension in panels.subject_filters():
        if filters.get(extension.key):
            subjects = extension.apply(subjects, breach_file, filters[extension.key])
    return subjects


def stored_query(request: HttpRequest, breach_file: BreachFile) -> str:
    """Return the words this session searched in this breach file, decrypted ("" when none)."""
    token = request.session.get(SESSION_KEY.format(breach_file_id=breach_file.pk))
    if not token:
        return ""
    try:
        return str(crypto.decrypt_json(token).get("query", ""))
    except crypto.DecryptionError:
        return ""


def store_query(request: HttpRequest, breach_file: BreachFile, query: str) -> None:
    """Keep the searched words for this breach file in the session, encrypted; empty words forget them."""
    key = SESSION_KEY.format(breach_file_id=breach_file.pk)
    words = " ".join(query.split())
    if words:
        request.session[key] = crypto.encrypt_json({"query": words})
    else:
        request.session.pop(key, None)


@dataclass
class SubjectRow:
    """One line of the list: the subject, its decrypted personal data, and what the other apps add."""

    subject: DataSubject
    # None when no configured key decrypts the person's data: the row says so instead of failing the page.
    personal: PersonalData | None
    exposures: list[str]
    level: str
    extra: list[str] = field(default_factory=list)


def page_rows(*, breach_file: BreachFile, subjects: list[DataSubject], levels: RiskLevels) -> list[SubjectRow]:
    """Decrypt the rows of one page only and fill the other apps' columns, one query per column."""
    language = reader_language()
    ids = [subject.pk for subject in subjects]
    columns = [column.values(breach_file, ids) if ids else {} for column in panels.subject_columns()]
    rows = []
    for subject in subjects:
        personal = subject.readable_personal
        rows.append(
            SubjectRow(
                subject=subject,
                personal=personal,
                exposures=subject.exposure_labels(language) if personal is not None else [],
                level=levels.of(subject),
                extra=[values.get(subject.pk, "") for values in columns],
            )
        )
    return rows
