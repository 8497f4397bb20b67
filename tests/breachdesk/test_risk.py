"""ENISA severity (SE = DPC x EI + CB), per-subject levels, and the decisions recorded with the score as evidence."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from breachdesk import assessment as services
from breachdesk.models import Decision, DecisionKind, DecisionOutcome, RiskAssessment
from breachdesk.models.audit import AppendOnlyError
from breachdesk.risk import (
    AvailabilityLoss,
    Band,
    Circumstances,
    ConfidentialityLoss,
    Identification,
    IntegrityLoss,
    band_of,
    count_by_level,
    processing_context,
    severity,
    severity_by_exposure_set,
)
from breachdesk.taxonomy import EXPOSURES, Status
from tests.factories import DataSubjectFactory

PUBLISHED_BY_AN_ATTACKER = Circumstances(
    confidentiality="unknown_recipients", integrity="none", availability="none", is_malicious=True
)
SENT_TO_ONE_WRONG_RECIPIENT = Circumstances(
    confidentiality="known_recipients", integrity="none", availability="none", is_malicious=False
)
FILE_2021 = ["identity", "contact", "nir", "blood_group", "physician", "insurance", "test_results", "hiv"]


def test_the_2021_file_scores_dpc_4_times_ei_1_plus_cb_1_that_is_5_very_high():
    score = severity(exposures=FILE_2021, identification="maximum", circumstances=PUBLISHED_BY_AN_ATTACKER)
    assert (score.dpc, score.ei, score.cb) == (4, Decimal("1"), Decimal("1"))
    assert score.score == Decimal("5")
    assert score.band == Band.VERY_HIGH
    assert score.arithmetic() == "SE = DPC × EI + CB = 4 × 1 + (0.5 + 0 + 0 + 0.5) = 5 → very high"  # noqa: RUF001
    assert score.arithmetic("fr") == "SE = DPC × EI + CB = 4 × 1 + (0,5 + 0 + 0 + 0,5) = 5 → très élevé"  # noqa: RUF001
    assert score.explanation()[0] == "DPC 4: highest base score of the exposed data (Test results, HIV status)."


@pytest.mark.parametrize(
    ("exposures", "identification", "circumstances", "expected_score", "expected_band", "expected_level"),
    [
        # An email address book sent to one wrong recipient: 1 x 0.75 + 0.25 = 1.
        (["contact"], "significant", SENT_TO_ONE_WRONG_RECIPIENT, "1", Band.LOW, Band.LOW),
        # Identity and NIR lost on an unencrypted laptop, no malice: 2 x 1 + 0.5 = 2.5.
        (
            ["identity", "nir"],
            "maximum",
            Circumstances("unknown_recipients", "none", "none", False),
            "2.5",
            Band.MEDIUM,
            Band.MEDIUM,
        ),
        # Treating physician shown to one wrong patient: health, so high by default though the score is low.
        (["identity", "physician"], "limited", SENT_TO_ONE_WRONG_RECIPIENT, "1.25", Band.LOW, Band.HIGH),
        # Blood groups altered, restorable, by an attacker: 3 x 1 + 0.25 + 0.5 = 3.75.
        (
            ["identity", "blood_group"],
            "maximum",
            Circumstances("none", "recoverable", "none", True),
            "3.75",
            Band.HIGH,
            Band.HIGH,
        ),
        # Nothing but availability, temporarily, of simple data: 1 x 0.25 + 0.25 = 0.5.
        (["contact"], "negligible", Circumstances("none", "none", "temporary", False), "0.5", Band.LOW, Band.LOW),
    ],
)
def test_lighter_cases_score_below_the_2021_file(
    exposures, identification, circumstances, expected_score, expected_band, expected_level
):
    score = severity(exposures=exposures, identification=identification, circumstances=circumstances)
    assert score.score == Decimal(expected_score)
    assert score.band == expected_band
    assert score.default_level == expected_level


@pytest.mark.parametrize(
    ("score", "band"),
    [
        ("0.25", "low"),
        ("1.99", "low"),
        ("2", "medium"),
        ("2.99", "medium"),
        ("3", "high"),
        ("3.99", "high"),
        ("4", "very_high"),
        ("6", "very_high"),
    ],
)
def test_the_bands_are_below_2_low_2_to_3_medium_3_to_4_high_and_4_or_more_very_high(score, band):
    assert band_of(Decimal(score)) == band


def test_the_highest_exposure_sets_the_processing_context_along_the_health_ladder():
    assert processing_context(["identity", "contact"]).dpc == 1
    assert processing_context(["identity", "nir"]).dpc == 2
    # The fact of a specific test (blood group) ranks above the treating physician, results and diagnoses on top.
    assert processing_context(["identity", "physician"]).dpc == 2
    assert processing_context(["identity", "physician", "blood_group"]).dpc == 3
    context = processing_context(["identity", "blood_group", "hiv", "contact"])
    assert (context.dpc, context.drivers, context.has_health_data) == (4, ("hiv",), True)
    assert not processing_context(["identity", "nir", "insurance"]).has_health_data


def test_an_unknown_exposure_code_or_no_exposure_at_all_is_refused():
    with pytest.raises(ValueError, match="Unknown exposure codes: tarot"):
        processing_context(["identity", "tarot"])
    with pytest.raises(ValueError):
        processing_context([])


@settings(max_examples=200, deadline=None)
@given(
    exposures=st.sets(st.sampled_from(sorted(EXPOSURES)), min_size=1),
    identification=st.sampled_from(Identification.values),
    confidentiality=st.sampled_from(ConfidentialityLoss.values),
    integrity=st.sampled_from(IntegrityLoss.values),
    availability=st.sampled_from(AvailabilityLoss.values),
    is_malicious=st.booleans(),
)
def test_any_assessment_follows_the_formula_and_never_lowers_health_data_below_high(
    exposures, identification, confidentiality, integrity, availability, is_malicious
):
    circumstances = Circumstances(confidentiality, integrity, availability, is_malicious)
    score = severity(exposures=exposures, identification=identification, circumstances=circumstances)
    assert score.score == score.dpc * score.ei + score.cb
    assert Decimal("0.25") <= score.score <= Decimal("6")
    assert score.dpc == max(EXPOSURES[code].base_dpc for code in exposures)
    assert score.band == band_of(score.score)
    if any(EXPOSURES[code].is_health for code in exposures):
        assert score.default_level in (Band.HIGH, Band.VERY_HIGH)
    else:
        assert score.default_level == score.band
    # Exposing one more item never lowers the score.
    more = severity(exposures=exposures | {"hiv"}, identification=identification, circumstances=circumstances)
    assert more.score >= score.score


def test_subjects_with_the_same_exposures_in_another_order_form_one_group():
    groups = severity_by_exposure_set(
        [(["contact", "identity"], 3), (["identity", "contact"], 2), (["identity", "hiv"], 1)],
        identification="maximum",
        circumstances=PUBLISHED_BY_AN_ATTACKER,
    )
    assert [(group.exposures, group.count, group.level) for group in groups] == [
        (("identity", "hiv"), 1, Band.VERY_HIGH),
        (("identity", "contact"), 5, Band.MEDIUM),
    ]
    assert count_by_level(groups) == {"low": 0, "medium": 5, "high": 0, "very_high": 1}


def assess_the_2021_way(breach_file, user, **overrides):
    arguments = {
        "exposures": ["identity", "contact", "nir", "hiv"],
        "identification": "maximum",
        "confidentiality": "unknown_recipients",
        "integrity": "none",
        "availability": "none",
        "is_malicious": True,
    }
    arguments.update(overrides)
    return services.assess_risk(breach_file=breach_file, user=user, **arguments)


@pytest.mark.django_db
def test_one_breach_file_holds_subjects_at_different_levels(breach_file, lab_dpo, django_assert_max_num_queries):
    DataSubjectFactory.create_batch(3, breach_file=breach_file, exposures=["contact"])
    DataSubjectFactory.create_batch(2, breach_file=breach_file, exposures=["identity", "contact", "nir"])
    DataSubjectFactory(breach_file=breach_file, exposures=["identity", "contact", "nir", "hiv"])
    DataSubjectFactory(breach_file=breach_file, exposures=["physician", "identity"])
    assessment = assess_the_2021_way(breach_file, lab_dpo)
    with django_assert_max_num_queries(1):
        groups = services.subject_groups(breach_file=breach_file, assessment=assessment)
    by_exposures = {group.exposures: (group.count, group.score.score, group.level) for group in groups}
    assert by_exposures == {
        ("contact",): (3, Decimal(2), Band.MEDIUM),  # 1 x 1 + 1
        ("identity", "contact", "nir"): (2, Decimal(3), Band.HIGH),  # 2 x 1 + 1
        ("identity", "contact", "nir", "hiv"): (1, Decimal(5), Band.VERY_HIGH),
        ("identity", "physician"): (1, Decimal(3), Band.HIGH),  # 2 x 1 + 1, health anyway
    }


@pytest.mark.django_db
def test_the_inform_decision_covers_exactly_the_subjects_at_the_chosen_levels(breach_file, lab_dpo, is_postgresql):
    email_only = DataSubjectFactory.create_batch(3, breach_file=breach_file, exposures=["contact"])
    with_nir = DataSubjectFactory.create_batch(2, breach_file=breach_file, exposures=["identity", "contact", "nir"])
    hiv = DataSubjectFactory(breach_file=breach_file, exposures=["identity", "contact", "nir", "hiv"])
    hiv_reordered = DataSubjectFactory(breach_file=breach_file, exposures=["hiv", "nir", "contact", "identity"])
    DataSubjectFactory(exposures=["identity", "hiv"])  # another breach file's subject
    assess_the_2021_way(breach_file, lab_dpo)
    assert not services.subjects_to_inform(breach_file).exists()

    services.record_decision(
        breach_file=breach_file,
        user=lab_dpo,
        kind=DecisionKind.INFORM_SUBJECTS,
        outcome=DecisionOutcome.INFORM,
        levels=["very_high"],
        rationale="HIV status published: very high risk for those persons.",
        override_rationale="NIR without health data is handled by a separate mailing next week.",
    )
    assert set(services.subjects_to_inform(breach_file)) == {hiv, hiv_reordered}

    services.record_decision(
        breach_file=breach_file,
        user=lab_dpo,
        kind=DecisionKind.INFORM_SUBJECTS,
        outcome=DecisionOutcome.INFORM,
        levels=["medium", "high", "very_high"],
        rationale="Everyone whose data were published, identity theft included.",
        override_rationale="We inform the medium level too: the file is public.",
    )
    assert set(services.subjects_to_inform(breach_file)) == {*email_only, *with_nir, hiv, hiv_reordered}
    decision = services.current_decisions(breach_file)["inform_subjects"]
    groups = services.subject_groups(breach_file=breach_file, assessment=decision.assessment)
    assert services.count_covered(decision, groups) == services.subjects_to_inform(breach_file).count() == 7


@pytest.mark.django_db
def test_recording_an_assessment_moves_the_file_to_assessed_and_notes_the_arithmetic(breach_file, lab_dpo):
    assessment = assess_the_2021_way(breach_file, lab_dpo)
    breach_file.refresh_from_db()
    assert breach_file.status == Status.ASSESSED
    assert (assessment.dpc, assessment.score, assessment.band, assessment.level) == (
        4,
        Decimal("5"),
        "very_high",
        "very_high",
    )
    event = breach_file.events.get(kind="risk_assessed")
    assert "4 × 1 + (0,5 + 0 + 0 + 0,5) = 5" in event.text  # noqa: RUF001
    assert event.actor == lab_dpo


@pytest.mark.django_db
def test_lowering_the_default_level_of_health_data_requires_a_rationale(breach_file, lab_dpo):
    arguments = {"exposures": ["identity", "physician"], "identification": "limited", "is_malicious": False}
    with pytest.raises(ValidationError) as error:
        assess_the_2021_way(breach_file, lab_dpo, confidentiality="known_recipients", level="low", **arguments)
    assert "level_rationale" in error.value.message_dict
    assessment = assess_the_2021_way(
        breach_file,
        lab_dpo,
        confidentiality="known_recipients",
        level="low",
        level_rationale="The one recipient is a physician bound by medical secrecy who deleted the message.",
        **arguments,
    )
    assert (assessment.band, assessment.default_level, assessment.level) == ("low", "high", "low")
    assert assessment.is_level_overridden


@pytest.mark.django_db
def test_the_database_refuses_an_overridden_level_without_rationale(breach_file):
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskAssessment.objects.create(
            breach_file=breach_file,
            assessed_at=timezone.now(),
            exposures=["hiv"],
            identification="maximum",
            confidentiality="none",
            integrity="none",
            availability="none",
            dpc=4,
            score=Decimal("4"),
            band="very_high",
            default_level="very_high",
            level="low",
        )


@pytest.mark.django_db
def test_a_decision_requires_a_written_rationale(breach_file, lab_dpo):
    assess_the_2021_way(breach_file, lab_dpo)
    with pytest.raises(ValidationError) as error:
        services.record_decision(
            breach_file=breach_file, user=lab_dpo, kind=DecisionKind.NOTIFY_AUTHORITY, outcome="notify", rationale="  "
        )
    assert "rationale" in error.value.message_dict
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_decision_without_rationale(breach_file, lab_dpo):
    assessment = assess_the_2021_way(breach_file, lab_dpo)
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(
            breach_file=breach_file,
            kind="notify_authority",
            outcome="notify",
            default_outcome="notify",
            rationale="",
            assessment=assessment,
            score=assessment.score,
            level=assessment.level,
            decided_at=timezone.now(),
        )


@pytest.mark.django_db
def test_a_decision_is_recorded_by_a_named_user_at_a_time_with_the_score_as_evidence(breach_file, lab_dpo):
    assess_the_2021_way(breach_file, lab_dpo)
    DataSubjectFactory(breach_file=breach_file, exposures=["identity", "hiv"])
    decided_at = timezone.now() - timedelta(minutes=3)
    decision = services.record_decision(
        breach_file=breach_file,
        user=lab_dpo,
        kind=DecisionKind.NOTIFY_AUTHORITY,
        outcome=DecisionOutcome.NOTIFY,
        rationale="HIV status published online: very high risk.",
        at=decided_at,
    )
    assert (decision.decided_by, decision.decided_at, decision.score, decision.level) == (
        lab_dpo,
        decided_at,
        Decimal("5"),
        "very_high",
    )
    assert decision.subjects_by_level == {"low": 0, "medium": 0, "high": 0, "very_high": 1}
    assert not decision.is_overriding_default
    with pytest.raises(AppendOnlyError):
        decision.save()


@pytest.mark.django_db
def test_a_decision_needs_an_assessment_first(breach_file, lab_dpo):
    with pytest.raises(ValidationError, match="Évaluez d'abord le risque"):
        services.record_decision(
            breach_file=breach_file, user=lab_dpo, kind="notify_authority", outcome="notify", rationale="Obvious."
        )


@pytest.mark.django_db
def test_not_notifying_health_data_departs_from_the_proposal_and_needs_its_own_rationale(breach_file, lab_dpo):
    assess_the_2021_way(breach_file, lab_dpo)
    arguments = {"breach_file": breach_file, "user": lab_dpo, "kind": DecisionKind.NOTIFY_AUTHORITY}
    with pytest.raises(ValidationError) as error:
        services.record_decision(**arguments, outcome="do_not_notify", rationale="Only a test file.")
    assert "override_rationale" in error.value.message_dict
    decision = services.record_decision(
        **arguments,
        outcome="do_not_notify",
        rationale="Only a test file.",
        override_rationale="The published file held synthetic records only, confirmed by the vendor.",
    )
    assert decision.default_outcome == "notify"
    assert decision.is_overriding_default


@pytest.mark.django_db
def test_a_low_risk_proposes_not_notifying_and_not_informing(breach_file, lab_dpo):
    assessment = assess_the_2021_way(
        breach_file,
        lab_dpo,
        exposures=["contact"],
        identification="significant",
        confidentiality="known_recipients",
        is_malicious=False,
    )
    notify = services.propose_decision(breach_file=breach_file, kind="notify_authority", assessment=assessment)
    inform = services.propose_decision(breach_file=breach_file, kind="inform_subjects", assessment=assessment)
    assert (notify.outcome, inform.outcome) == ("do_not_notify", "not_required")


@pytest.mark.django_db
def test_exemption_c_requires_recording_the_public_communication(breach_file, lab_dpo):
    assess_the_2021_way(breach_file, lab_dpo)
    arguments = {
        "breach_file": breach_file,
        "user": lab_dpo,
        "kind": DecisionKind.INFORM_SUBJECTS,
        "outcome": DecisionOutcome.EXEMPT_DISPROPORTIONATE,
        "rationale": "No address for most of the persons.",
        "override_rationale": "No postal address nor email for 80% of the persons: a press release reaches them.",
    }
    with pytest.raises(ValidationError) as error:
        services.record_decision(**arguments)
    assert {"public_communication", "public_communication_at"} <= set(error.value.message_dict)
    decision = services.record_decision(
        **arguments,
        public_communication="Press release in Ouest-France and notice on the lab website.",
        public_communication_at=timezone.now() - timedelta(hours=1),
    )
    assert decision.exemption_letter == "c"
    assert not services.subjects_to_inform(breach_file).exists()


@pytest.mark.django_db
def test_health_data_propose_informing_every_affected_person_at_every_level_present(breach_file, lab_dpo):
    DataSubjectFactory.create_batch(2, breach_file=breach_file, exposures=["contact"])
    DataSubjectFactory(breach_file=breach_file, exposures=["identity", "contact", "nir", "hiv"])
    assessment = assess_the_2021_way(breach_file, lab_dpo)
    proposal = services.propose_decision(breach_file=breach_file, kind="inform_subjects", assessment=assessment)
    assert proposal.outcome == "inform"
    assert proposal.levels == ["medium", "high", "very_high"]
    assert proposal.basis == "health_data"
    decision = services.record_decision(
        breach_file=breach_file,
        user=lab_dpo,
        kind="inform_subjects",
        outcome="inform",
        levels=proposal.levels,
        rationale="Health data published online.",
    )
    assert not decision.is_overriding_default
    assert services.subjects_to_inform(breach_file).count() == 3


@pytest.mark.django_db
def test_informing_only_the_high_levels_of_a_health_data_breach_needs_a_written_reason(breach_file, lab_dpo):
    DataSubjectFactory(breach_file=breach_file, exposures=["contact"])
    DataSubjectFactory(breach_file=breach_file, exposures=["identity", "hiv"])
    assess_the_2021_way(breach_file, lab_dpo)
    arguments = {
        "breach_file": breach_file,
        "user": lab_dpo,
        "kind": "inform_subjects",
        "outcome": "inform",
        "levels": ["high", "very_high"],
        "rationale": "Only the patients whose HIV status leaked.",
    }
    with pytest.raises(ValidationError) as error:
        services.record_decision(**arguments)
    assert "9/2022" in " ".join(error.value.message_dict["override_rationale"])
    decision = services.record_decision(
        **arguments, override_rationale="The email addresses were already public on the lab's own directory."
    )
    assert decision.is_overriding_default
    assert services.subjects_to_inform(breach_file).count() == 1


@pytest.mark.django_db
def test_without_health_data_only_the_high_levels_are_proposed(breach_file, lab_dpo):
    DataSubjectFactory(breach_file=breach_file, exposures=["contact"])
    DataSubjectFactory(breach_file=breach_file, exposures=["identity", "contact", "nir"])
    assessment = assess_the_2021_way(breach_file, lab_dpo, exposures=["identity", "contact", "nir"])
    proposal = services.propose_decision(breach_file=breach_file, kind="inform_subjects", assessment=assessment)
    assert (proposal.outcome, proposal.levels, proposal.basis) == ("inform", ["high", "very_high"], "risk")


@pytest.fixture
def reset_language():
    """The locale middleware leaves the reader's language active in the thread: give the next test the default."""
    yield
    translation.deactivate()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "Health data were exposed: every affected person is informed"),
        ("fr", "Des données de santé ont été exposées : chaque personne concernée est informée"),
    ],
)
def test_the_risk_page_says_why_every_patient_is_proposed_in_the_readers_language(
    reset_language, client, breach_file, lab_dpo, language, sentence
):
    DataSubjectFactory(breach_file=breach_file, exposures=["contact"])
    DataSubjectFactory(breach_file=breach_file, exposures=["identity", "hiv"])
    assess_the_2021_way(breach_file, lab_dpo)
    client.force_login(lab_dpo)
    client.cookies["django_language"] = language
    page = client.get(f"/files/{breach_file.incident.reference}/{breach_file.controller.code}/risk/").content.decode()
    assert sentence in page.replace("\u00a0", " ")
    assert "9/2022" in page
