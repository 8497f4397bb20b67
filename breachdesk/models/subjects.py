"""Data subjects of a breach file: personal data encrypted at rest, blind indexes for lookups."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from breachdesk import crypto
from breachdesk.taxonomy import EXPOSURES, data_categories_of


def risk_class_of(exposures: Sequence[str]) -> tuple[int | None, bool]:
    """Return what scoring needs of a person's exposures: the processing context and whether health data is among them."""
    known = [EXPOSURES[code] for code in exposures if code in EXPOSURES]
    if not known:
        return None, False
    return max(exposure.base_dpc for exposure in known), any(exposure.is_health for exposure in known)


def is_postally_reachable(*, address_1: str, postcode: str, city: str, address_block: Sequence[str] = ()) -> bool:
    """Tell whether a letter can be addressed: a street line (or a built block), a postcode and a locality."""
    return bool((address_block or address_1) and postcode and city)


class AgeGroup(models.TextChoices):
    """A data subject's age band for informing them (DOMAIN.md section 9), kept instead of the birth date itself."""

    ADULT = "adult", _("Adult")
    # Under the digital age (loi Informatique et Libertés art. 45): informed through the legal representatives.
    CHILD = "child", _("Child under the digital age")
    # From the digital age to 17: the DPO chooses per breach file who is informed.
    ADOLESCENT = "adolescent", _("Minor from the digital age to 17")
    UNKNOWN = "unknown", _("Age not known")


def age_on(birth_date: date, day: date) -> int:
    """Return the age in whole years on a day (a birthday on 29 February falls on 1 March in other years)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_group_on(birth_date: date | None, day: date) -> str:
    """Place a birth date in its age group on the day a letter is dated; thresholds from the settings."""
    from django.conf import settings

    if birth_date is None:
        return AgeGroup.UNKNOWN
    age = age_on(birth_date, day)
    if age < settings.NOTICE_DIGITAL_AGE:
        return AgeGroup.CHILD
    if age < settings.NOTICE_AGE_OF_MAJORITY:
        return AgeGroup.ADOLESCENT
    return AgeGroup.ADULT


class Title(models.TextChoices):
    """How a letter greets a person when the lab knows it ("Madame"/"Monsieur"); empty when not known."""

    MADAME = "mme", _("Madam")
    MONSIEUR = "m", _("Sir")


class Channel(models.TextChoices):
    """How a data subject can be reached (Art. 34: by post, by email, or both)."""

    POST = "post", _("Letter")
    EMAIL = "email", _("Email")


@dataclass(repr=False)
class PersonalData:
    """Everything that identifies a data subject; only ever stored encrypted."""

    patient_ref: str = ""
    # Title.MADAME, Title.MONSIEUR or "" when the lab did not give it.
    title: str = ""
    last_name: str = ""
    first_name: str = ""
    birth_date: date | None = None
    nir: str = ""
    email: str = ""
    phone: str = ""
    address_1: str = ""
    address_2: str = ""
    address_3: str = ""
    postcode: str = ""
    city: str = ""
    # The NF Z10-011 printable block computed at import (at most 6 lines of 38 characters).
    address_block: list[str] = field(default_factory=list)
    # The exposure codes of this person (taxonomy.EXPOSURES), e.g. "hiv": health facts, so encrypted with the rest.
    exposures: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        # A repr reaches logs and tracebacks: it names the fields that are filled, never their values.
        filled = [f.name for f in dataclasses.fields(self) if getattr(self, f.name)]
        return f"PersonalData(<{len(filled)} fields hidden>)"

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["birth_date"] = self.birth_date.isoformat() if self.birth_date else ""
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PersonalData:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["birth_date"] = date.fromisoformat(data["birth_date"]) if data.get("birth_date") else None
        return cls(**values)

    @property
    def has_postal_address(self) -> bool:
        return is_postally_reachable(
            address_1=self.address_1, postcode=self.postcode, city=self.city, address_block=self.address_block
        )

    @property
    def address_lines(self) -> list[str]:
        """Return the postal address as lines: the printable block when built, else the lines the lab gave."""
        if self.address_block:
            return list(self.address_block)
        locality = " ".join(part for part in (self.postcode, self.city) if part)
        return [line for line in (self.address_1, self.address_2, self.address_3, locality) if line]

    @property
    def masked_nir(self) -> str:
        """Show only the sex digit and the key, as DOMAIN.md asks: NIR displayed masked."""
        if not self.nir:
            return ""
        return f"{self.nir[0]} •• •• •• ••• ••• {self.nir[-2:]}" if len(self.nir) == 15 else f"{self.nir[0]} ••••"


class BlindIndexField(models.CharField):
    """A keyed HMAC in hex: compared for equality only, so PostgreSQL compares it byte by byte.

    Under a database's linguistic collation (en_US.UTF-8, fr_FR.UTF-8, even C.UTF-8 before PostgreSQL 17) every
    B-tree comparison of text goes through strcoll; hex digests gain nothing from it. The "C" collation makes the
    unique checks and lookups of the import compare bytes. Other databases keep their own (binary) comparison.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


def name_condition(words: Sequence[str]) -> models.Q | None:
    """Return the lookup of a searched name through the name blind indexes, each an exact match.

    "Le Gall" is a last name of two words; "Dupont Marie" and "Marie Dupont" are a last and a first name in either
    order: every split of the words is tried, so a few index lookups answer, never a scan. A full name is looked up
    among the rows of its last name, so the last-name index answers both.
    """
    whole = crypto.blind_index("last_name", "".join(words))
    last_names: set[str] = {whole} if whole else set()
    full_names: set[str] = set()
    for cut in range(1, len(words)):
        head, tail = "".join(words[:cut]), "".join(words[cut:])
        for last, first in ((head, tail), (tail, head)):
            last_index = crypto.blind_index("last_name", last)
            full_index = crypto.blind_index("full_name", last, first)
            if last_index and full_index:
                last_names.add(last_index)
                full_names.add(full_index)
    if not last_names:
        return None
    names = models.Q(full_name_index__in=sorted(full_names))
    if whole:
        names |= models.Q(last_name_index=whole)
    return models.Q(last_name_index__in=sorted(last_names)) & names


class DataSubjectQuerySet(models.QuerySet["DataSubject"]):
    """The questions asked of many data subjects, each answered by indexed columns."""

    def matching(self, query: str) -> DataSubjectQuerySet:
        """Find a patient reference, a name, a postcode or an email, exactly as the import normalised them."""
        words = query.split()
        if not words:
            return self
        text = " ".join(words)
        condition = models.Q(patient_ref_index=crypto.blind_index("patient_ref", text) or "")
        if "@" in text:
            condition |= models.Q(email_index=crypto.blind_index("email", text))
        compact = text.replace(" ", "")
        if compact.isdigit() and len(compact) in (4, 5):
            # Spreadsheets drop a postcode's leading zero; the import put it back.
            condition |= models.Q(postcode_index=crypto.blind_index("postcode", compact.zfill(5)))
        elif compact.isalnum() and any(char.isdigit() for char in compact) and len(compact) <= 10:
            condition |= models.Q(postcode_index=crypto.blind_index("postcode", compact))
        names = name_condition(words)
        if names is not None:
            condition |= names
        return self.filter(condition)

    def reachable(self) -> DataSubjectQuerySet:
        return self.filter(models.Q(has_postal_address=True) | models.Q(has_email=True))

    def unreachable(self) -> DataSubjectQuerySet:
        return self.filter(has_postal_address=False, has_email=False)

    def reachable_by(self, channel: str) -> DataSubjectQuerySet:
        return self.filter(has_email=True) if channel == Channel.EMAIL else self.filter(has_postal_address=True)


class DataSubject(models.Model):
    """A person whose personal data a breach file exposed."""

    class Language(models.TextChoices):
        FRENCH = "fr", _("French")
        ENGLISH = "en", _("English")

    # No index of its own: the unique (breach_file, patient_ref_index) constraint leads with it.
    breach_file = models.ForeignKey(
        "breachdesk.BreachFile",
        verbose_name=_("breach file"),
        on_delete=models.CASCADE,
        related_name="data_subjects",
        db_index=False,
    )
    # Authenticated encryption of PersonalData as JSON (Fernet, key ring for rotation).
    personal_token = models.TextField(editable=False)
    # Keyed HMACs of normalised values: lookups and duplicate detection without plaintext.
    patient_ref_index = BlindIndexField()
    nir_index = BlindIndexField(null=True, blank=True)
    email_index = BlindIndexField(null=True, blank=True)
    identity_index = BlindIndexField(null=True, blank=True)
    # The subject list's search: a last name alone, a last and a first name, a postcode, each an exact match.
    last_name_index = BlindIndexField(null=True, blank=True)
    full_name_index = BlindIndexField(null=True, blank=True)
    postcode_index = BlindIndexField(null=True, blank=True)

    country = models.CharField(_("country"), max_length=2, default="FR")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FRENCH)
    # Derived from the encrypted exposures, for scoring and selection without them (README, "What is stored in
    # clear"): the ENISA data processing context (1 to 4, the highest base score) and whether any is health data.
    # Together they set the person's severity under an assessment; they name no specific fact.
    processing_context = models.PositiveSmallIntegerField(_("data processing context"), null=True, blank=True)
    has_health_data = models.BooleanField(_("health data exposed"), default=False)
    # The age band at import, refined on the letter date at launch: who is addressed, and the CNIL's "minors" count.
    age_group = models.CharField(_("age group"), max_length=12, choices=AgeGroup.choices, default=AgeGroup.UNKNOWN)
    # CSP L.1111-5: care a minor keeps confidential from the parents; the lab marks it at import.
    has_confidential_care = models.BooleanField(_("care kept confidential from the parents"), default=False)
    has_postal_address = models.BooleanField(_("reachable by post"), default=False)
    has_email = models.BooleanField(_("reachable by email"), default=False)
    # An address was given but cannot be printed (NF Z10-011) or is incomplete: no letter until a person corrects it.
    address_needs_review = models.BooleanField(_("address to review"), default=False)
    # Which import stored the subject: provenance, written only by the import, in the transaction that holds its
    # SubjectImport row, and never looked up by the product. So no database constraint and no index: PostgreSQL
    # would check the constraint and grow the index once per subject (about 14 % of its work in an import). Django
    # still sets it to NULL when an import record is deleted (with its breach file, or alone in the admin): one scan
    # of the subject table, for a rare act.
    import_batch = models.ForeignKey(
        "breachdesk.SubjectImport",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_subjects",
        editable=False,
        db_constraint=False,
        db_index=False,
    )
    # The line of the imported file the subject came from: with import_batch, where to find the row again. The
    # import's last checks (same person twice in the file, or at another lab) name lines from it.
    source_line = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # When a DPO last corrected the postal address or the email: a notice that came back before it may go again.
    contact_corrected_at = models.DateTimeField(_("contact details corrected at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = DataSubjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("data subject")
        verbose_name_plural = _("data subjects")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["breach_file", "patient_ref_index"], name="subject_patient_ref_unique"),
            # NIR first: the same index answers "this NIR in this breach file" (the import's check against
            # earlier imports) and "this NIR in the other breach files of the incident" (the cross-lab lookup).
            models.UniqueConstraint(
                fields=["nir_index", "breach_file"],
                condition=models.Q(nir_index__isnull=False),
                name="subject_nir_breach_file_unique",
            ),
        ]
        # Every index costs each imported row: only the lookups that exist get one. Blind indexes are looked up by
        # equality, never by prefix (no _like twins). The search of one breach file's list looks up a last name
        # (a full name is checked on the rows of its last name, so it needs no index), an email or a postcode.
        indexes = [
            models.Index(fields=["identity_index"], name="subject_identity_index"),
            models.Index(fields=["breach_file", "last_name_index"], name="subject_last_name_search"),
            models.Index(fields=["breach_file", "email_index"], name="subject_email_search"),
            models.Index(fields=["breach_file", "postcode_index"], name="subject_postcode_search"),
            # The list of a breach file, its counts and its pages in id order, filtered by the columns the list
            # filters on: read from this index alone (a 491,840-person file's last page read every row before it).
            # Appended in id order at import, so it costs far less per row than a blind index.
            models.Index(
                fields=[
                    "breach_file",
                    "id",
                    "has_postal_address",
                    "has_email",
                    "language",
                    "processing_context",
                    "has_health_data",
                    "address_needs_review",
                ],
                name="subject_list",
            ),
        ]

    def __str__(self) -> str:
        # Never personal data: this string reaches logs and the admin.
        return f"data subject #{self.pk}"

    # Every column the personal setter writes: what save(update_fields=...) names after changing a person's data.
    SET_WITH_PERSONAL = (
        "personal_token",
        "patient_ref_index",
        "nir_index",
        "email_index",
        "identity_index",
        "last_name_index",
        "full_name_index",
        "postcode_index",
        "has_postal_address",
        "has_email",
        "processing_context",
        "has_health_data",
    )

    @property
    def personal(self) -> PersonalData:
        """Decrypt once per instance; UnreadableData (naming this row) when no key authenticates the token."""
        cached: PersonalData | None = self.__dict__.get("_personal")
        if cached is None:
            token = crypto.decrypt_row_json(self.personal_token, table=self._meta.db_table, pk=self.pk)
            cached = PersonalData.from_json(token)
            self.__dict__["_personal"] = cached
        return cached

    @personal.setter
    def personal(self, value: PersonalData) -> None:
        self.personal_token = crypto.encrypt_json(value.to_json())
        self.patient_ref_index = crypto.blind_index("patient_ref", value.patient_ref) or ""
        self.nir_index = crypto.blind_index("nir", value.nir)
        self.email_index = crypto.blind_index("email", value.email)
        self.identity_index = crypto.blind_index(
            "identity", value.last_name, value.first_name, value.birth_date.isoformat() if value.birth_date else ""
        )
        self.last_name_index = crypto.blind_index("last_name", value.last_name)
        self.full_name_index = crypto.blind_index("full_name", value.last_name, value.first_name)
        self.postcode_index = crypto.blind_index("postcode", value.postcode)
        self.has_postal_address = value.has_postal_address
        self.has_email = bool(value.email)
        self.processing_context, self.has_health_data = risk_class_of(value.exposures)
        self.__dict__["_personal"] = value

    @property
    def readable_personal(self) -> PersonalData | None:
        """Return the decrypted personal data, or None when the token is unreadable (pages show that instead)."""
        try:
            return self.personal
        except crypto.UnreadableData:
            return None

    @property
    def is_readable(self) -> bool:
        return self.readable_personal is not None

    @property
    def channels(self) -> list[str]:
        """Return the channels this person can be reached by ("post", "email"), empty when unreachable."""
        has_post = self.has_postal_address and not self.address_needs_review
        return [name for name, ok in (("post", has_post), ("email", self.has_email)) if ok]

    @property
    def is_reachable(self) -> bool:
        return bool(self.channels)

    @property
    def exposures(self) -> list[str]:
        """Return the person's exposure codes, decrypted with the rest of their personal data."""
        return list(self.personal.exposures)

    @property
    def data_categories(self) -> list[str]:
        return data_categories_of(self.exposures)

    def exposure_labels(self, language: str) -> list[str]:
        return [EXPOSURES[code].label(language) for code in self.exposures if code in EXPOSURES]

    def clean(self) -> None:
        unknown = [code for code in self.exposures if code not in EXPOSURES]
        if unknown or not self.exposures:
            raise ValidationError({"exposures": _("Give at least one known exposure code.")})
        if not self.patient_ref_index:
            raise ValidationError({"personal_token": _("The patient reference is required.")})

    @staticmethod
    def nir_lookup(nir: str) -> str | None:
        return crypto.blind_index("nir", nir)


class ExposureSummary(models.Model):
    """A breach file's data subjects counted per set of exposure codes, encrypted.

    An aggregate, not a person's fact, but "hiv: 1" in a small file comes close: it is encrypted like the persons'
    data. The import adds its rows' sets in its transaction; the risk assessment, the CNIL's categories and the
    import page read it instead of decrypting every person.
    """

    breach_file = models.OneToOneField(
        "breachdesk.BreachFile", on_delete=models.CASCADE, related_name="exposure_summary"
    )
    # Fernet token of {"sets": [[codes, count], ...]}.
    token = models.TextField(editable=False)

    class Meta:
        verbose_name = _("exposure summary")
        verbose_name_plural = _("exposure summaries")

    def __str__(self) -> str:
        return f"exposure summary #{self.pk}"

    @property
    def sets(self) -> list[tuple[list[str], int]]:
        data = crypto.decrypt_row_json(self.token, table=self._meta.db_table, pk=self.pk)
        return [(list(codes), int(count)) for codes, count in data["sets"]]

    @sets.setter
    def sets(self, value: Sequence[tuple[Sequence[str], int]]) -> None:
        self.token = crypto.encrypt_json({"sets": [[list(codes), count] for codes, count in value if count]})
