"""Launch at scale: the set-wise fill equals the person-by-person one, and a launch is a task the page follows."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from breachdesk.models import DataSubject
from breachdesk.models.subjects import AgeGroup, age_group_on
from breachdesk.taxonomy import AdolescentAddressee, SensitiveDetail
from notifications import postgres
from notifications.models import Campaign, Notice, UnreachableSubject
from notifications.services import campaigns, references
from notifications.tasks import campaigns as campaign_tasks
from tests.notifications.campaign_fixtures import decide_to_inform, make_subjects
from tests.notifications.services.test_campaigns_and_ledger import _at_once


def _years_ago(years: int) -> date:
    today = timezone.localdate()
    return date(today.year - years, today.month, min(today.day, 28)) - timedelta(days=3)


def _person(breach_file, index, *, years, post=True, email=True, language="fr", age_group=None, **fields):
    """One data subject stored as the import stores it: the age group of the birth date, unless told otherwise."""
    subject = make_subjects(breach_file, 1, start=index, post=post, email=email, language=language)[-1]
    birth = _years_ago(years) if years is not None else None
    subject.personal = replace(subject.personal, birth_date=birth)
    subject.age_group = age_group or age_group_on(birth, timezone.localdate())
    for name, value in fields.items():
        setattr(subject, name, value)
    subject.save()
    return subject


def _mixed_population(breach_file) -> dict[str, DataSubject]:
    """Adults, children, minors of 16, confidential care, no address, no email, English speakers, aged groups."""
    people = {
        "adult": _person(breach_file, 1, years=40),
        "adult_english_email_only": _person(breach_file, 2, years=33, post=False, language="en"),
        "adult_post_only": _person(breach_file, 3, years=71, email=False),
        "adult_unreachable": _person(breach_file, 4, years=50, post=False, email=False),
        "adult_address_to_review": _person(breach_file, 5, years=45, address_needs_review=True),
        "adult_address_to_review_only": _person(breach_file, 6, years=45, email=False, address_needs_review=True),
        "child": _person(breach_file, 7, years=9),
        "child_email_only": _person(breach_file, 8, years=12, post=False),
        "child_unreachable": _person(breach_file, 9, years=11, post=False, email=False),
        "sixteen": _person(breach_file, 10, years=16),
        "sixteen_english_email_only": _person(breach_file, 11, years=16, post=False, language="en"),
        "confidential_care": _person(breach_file, 12, years=14, has_confidential_care=True),
        # Aged since the import: 17 then, 18 on the letter date; 14 then, 15 now.
        "adult_since_import": _person(breach_file, 13, years=18, age_group=AgeGroup.ADOLESCENT),
        "fifteen_since_import": _person(breach_file, 14, years=15, age_group=AgeGroup.CHILD),
        # Stored some other way than the import: the group of a birth date was never computed.
        "child_of_unknown_group": _person(breach_file, 15, years=10, age_group=AgeGroup.UNKNOWN),
        "no_birth_date": _person(breach_file, 16, years=None),
    }
    for index in range(17, 57):
        rng = random.Random(index)
        people[f"other_{index}"] = _person(
            breach_file,
            index,
            years=rng.choice([8, 13, 15, 16, 17, 19, 35, 80]),
            post=rng.random() < 0.8,
            email=rng.random() < 0.6,
            language=rng.choice(["fr", "fr", "en"]),
            has_confidential_care=rng.random() < 0.1,
        )
    return people


def _ledger(campaign: Campaign) -> tuple[set[tuple], set[tuple]]:
    notices = set(
        campaign.notices.values_list(
            "subject_id", "channel", "addressee", "reference", "language", "postcode", "state", "origin", "batch"
        )
    )
    unreachable = set(campaign.unreachable.values_list("subject_id", "reason"))
    return notices, unreachable


def _choose(breach_file, user, choice: str) -> None:
    campaigns.record_letter_choices(
        breach_file=breach_file,
        adolescent_addressee=choice,
        reason="Les adolescents de ce laboratoire lisent leur courrier.",
        sensitive_detail=SensitiveDetail.OMIT,
        user=user,
    )


@pytest.mark.parametrize(
    "choice", [AdolescentAddressee.MINOR, AdolescentAddressee.REPRESENTATIVES, AdolescentAddressee.BOTH]
)
def test_a_mixed_population_gets_the_ledger_the_rules_for_minors_give(breach_file, lab_dpo, choice):
    people = _mixed_population(breach_file)
    decide_to_inform(breach_file, lab_dpo)
    _choose(breach_file, lab_dpo, choice)

    result = campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post,email")

    def pairs(name: str) -> list[tuple[str, str]]:
        return sorted(Notice.objects.filter(subject=people[name]).values_list("channel", "addressee"))

    def unreachable(name: str) -> str | None:
        row = UnreachableSubject.objects.filter(subject=people[name]).first()
        return row.reason if row else None

    own = [("email", "subject"), ("post", "subject")]
    assert pairs("adult") == own
    assert pairs("adult_english_email_only") == [("email", "subject")]
    assert pairs("adult_post_only") == [("post", "subject")]
    assert pairs("adult_address_to_review") == [("email", "subject")]
    assert unreachable("adult_unreachable") == UnreachableSubject.Reason.NO_CHANNEL
    assert unreachable("adult_address_to_review_only") == UnreachableSubject.Reason.NO_CHANNEL
    assert pairs("child") == [("post", "representatives")]
    assert unreachable("child_email_only") == UnreachableSubject.Reason.MINOR_WITHOUT_POSTAL_ADDRESS
    assert unreachable("child_unreachable") == UnreachableSubject.Reason.NO_CHANNEL
    assert pairs("confidential_care") == own
    assert pairs("adult_since_import") == own
    assert pairs("child_of_unknown_group") == [("post", "representatives")]
    assert pairs("no_birth_date") == own
    expected_sixteen = {
        AdolescentAddressee.MINOR: own,
        AdolescentAddressee.REPRESENTATIVES: [("post", "representatives")],
        AdolescentAddressee.BOTH: [("email", "subject"), ("post", "representatives"), ("post", "subject")],
    }[choice]
    assert pairs("sixteen") == expected_sixteen
    assert pairs("fifteen_since_import") == expected_sixteen
    if choice == AdolescentAddressee.REPRESENTATIVES:
        assert unreachable("sixteen_english_email_only") == UnreachableSubject.Reason.MINOR_WITHOUT_POSTAL_ADDRESS
    else:
        assert pairs("sixteen_english_email_only") == [("email", "subject")]
    for notice in Notice.objects.select_related("subject"):
        assert notice.reference == references.make_reference(
            breach_file.pk, notice.subject_id, notice.channel, notice.addressee
        )
        assert notice.language == notice.subject.language
        assert notice.postcode == (notice.subject.personal.postcode if notice.channel == "post" else "")
    assert result.covered == len(people)
    assert result.created_total == Notice.objects.count()
    with_rows = set(Notice.objects.values_list("subject_id", flat=True))
    listed = set(UnreachableSubject.objects.values_list("subject_id", flat=True))
    assert with_rows | listed == {person.pk for person in people.values()}
    assert not with_rows & listed


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "choice", [AdolescentAddressee.MINOR, AdolescentAddressee.REPRESENTATIVES, AdolescentAddressee.BOTH]
)
@pytest.mark.parametrize("channels", ["post,email", "email", "post"])
def test_the_set_wise_fill_and_the_person_by_person_fill_give_the_same_ledger(breach_file, lab_dpo, choice, channels):
    if connection.vendor != "postgresql":
        pytest.skip("the set-wise fill is PostgreSQL's")
    _mixed_population(breach_file)
    decide_to_inform(breach_file, lab_dpo)
    _choose(breach_file, lab_dpo, choice)
    campaign, _is_new = campaigns.prepare_launch(breach_file=breach_file, user=lab_dpo, channels=channels)
    now = timezone.now()
    ledgers = []
    for setwise in (False, True):
        result = campaigns.LaunchResult(campaign=campaign, is_new_campaign=False)
        created = campaigns._populate(campaign=campaign, now=now, result=result, setwise=setwise)
        ledgers.append((_ledger(campaign), created, result.covered))
        again = campaigns.LaunchResult(campaign=campaign, is_new_campaign=False)
        assert campaigns._populate(campaign=campaign, now=now, result=again, setwise=setwise) == {}
        Notice.objects.all().delete()
        UnreachableSubject.objects.all().delete()

    assert ledgers[0] == ledgers[1]
    assert ledgers[0][0][0], "the ledger has rows"


@pytest.mark.postgresql
@pytest.mark.django_db
def test_the_references_computed_in_sql_are_the_python_ones_for_thousands_of_ids():
    if connection.vendor != "postgresql":
        pytest.skip("the references computed in SQL are PostgreSQL's")
    rng = random.Random(14)
    rows = [
        (breach_file_id, subject_id, kind)
        for breach_file_id in (1, 9, 27)
        for subject_id in range(1, 1200)
        for kind in (1, 2, 3)
    ]
    rows += [(rng.randrange(1, 10**6), rng.randrange(1, 10**10), rng.choice((1, 2, 3))) for _ in range(3000)]
    rows += [(5, 9_999_999, 1), (5, 10_000_000, 2), (5, 123_456_789, 3)]
    kinds = {1: ("post", "subject"), 2: ("email", "subject"), 3: ("post", "representatives")}

    computed = postgres.references_of(rows)

    assert computed == [references.make_reference(b, s, *kinds[kind]) for b, s, kind in rows]
    assert all(references.normalise_reference(reference) == reference for reference in computed)


def test_a_fill_that_stops_is_recorded_and_a_retry_adds_only_what_is_missing(breach_file, lab_dpo, monkeypatch):
    make_subjects(breach_file, 30, email=True, post=True)
    decide_to_inform(breach_file, lab_dpo)
    campaign, _is_new = campaigns.prepare_launch(breach_file=breach_file, user=lab_dpo, channels="post,email")
    # Each step commits its rows: PostgreSQL's fill one statement per channel, the ORM twin one chunk after the other.
    module, name, stop_at = (
        (postgres, "fill_notices", 2) if connection.vendor == "postgresql" else (campaigns, "_populate_chunk", 3)
    )
    real = getattr(module, name)
    calls = []

    def stops(**kwargs):
        calls.append(1)
        if len(calls) == stop_at:
            raise RuntimeError("worker lost")
        return real(**kwargs)

    monkeypatch.setattr(module, name, stops)
    monkeypatch.setattr(campaigns, "POPULATE_CHUNK", 7)
    with pytest.raises(RuntimeError):
        campaigns.fill_campaign(campaign_id=campaign.pk, user=lab_dpo)
    campaign.refresh_from_db()
    assert campaign.fill_state == "failed"
    assert campaign.fill_error == Campaign.FillError.ERROR
    assert campaign.populated_at is None
    half = Notice.objects.count()

    assert 0 < half < 60
    monkeypatch.setattr(module, name, real)
    campaigns.prepare_launch(breach_file=breach_file, user=lab_dpo, channels="post,email")
    result = campaigns.fill_campaign(campaign_id=campaign.pk, user=lab_dpo)

    campaign.refresh_from_db()
    assert campaign.fill_state == "done"
    assert Notice.objects.count() == 60
    assert result.created_total == 60 - half
    assert not Notice.objects.filter(channel="post", postcode="").exists()
    assert Notice.objects.values("subject", "channel", "addressee").distinct().count() == Notice.objects.count() == 60


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_fill_tasks_run_at_once_on_a_mixed_population_write_each_notice_once(breach_file, lab_dpo, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency of fills is about PostgreSQL")
    sent: list[tuple] = []
    monkeypatch.setattr(campaign_tasks.fill_campaign, "apply_async", lambda args, *a, **k: sent.append(tuple(args)))
    monkeypatch.setattr(campaigns, "wake_campaign", lambda campaign_id: None)
    _mixed_population(breach_file)
    decide_to_inform(breach_file, lab_dpo)
    _choose(breach_file, lab_dpo, AdolescentAddressee.BOTH)
    campaign = campaigns.queue_launch(breach_file=breach_file, user=lab_dpo, channels="post,email")
    results: list[campaigns.LaunchResult] = []

    assert sent == [(campaign.pk, lab_dpo.pk)]
    # Four workers took the same task (a redelivery, a retry clicked twice): they run one after the other.
    _at_once(4, lambda: results.append(campaigns.fill_campaign(campaign_id=campaign.pk, user=lab_dpo)))

    keys = list(Notice.objects.values_list("subject_id", "channel", "addressee"))
    assert len(keys) == len(set(keys))
    assert Notice.objects.filter(addressee=Notice.Addressee.REPRESENTATIVES).exists()
    assert sum(result.created_total for result in results) == len(keys)
    assert sum(1 for result in results if result.created_nothing) == 3
    campaign.refresh_from_db()
    assert campaign.fill_state == "done"
    listed = list(UnreachableSubject.objects.values_list("subject_id", flat=True))
    assert len(listed) == len(set(listed)) > 0
