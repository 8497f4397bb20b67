"""The compliance dashboard's Art. 34 columns: per lab, what the ledger says of letters and emails, in one query."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from breachdesk.models import BreachFile, User
from notifications.models import Channel, Notice, NoticeState
from notifications.selectors import register as register_selectors
from notifications.selectors.information import informing_progress
from notifications.selectors.register import breach_file_rows
from notifications.services import campaigns
from tests.factories import BreachFileFactory, OrganisationFactory
from tests.notifications.campaign_fixtures import decide_to_inform, make_subjects

pytestmark = pytest.mark.django_db


def set_states(breach_file: BreachFile, channel: str, states: list[str]) -> None:
    """Move the breach file's first notices of a channel to the given states, in id order."""
    notices = list(Notice.objects.filter(breach_file=breach_file, channel=channel).order_by("pk"))
    assert len(notices) >= len(states)
    for notice, state in zip(notices, states, strict=False):
        Notice.objects.filter(pk=notice.pk).update(state=state)


def launched(breach_file: BreachFile, user: User | None) -> BreachFile:
    """Four persons by email only, four by post only, one with neither; decided, launched, some told."""
    make_subjects(breach_file, 4, start=0, email=True, post=False)
    make_subjects(breach_file, 4, start=4, email=False, post=True)
    make_subjects(breach_file, 1, start=8, email=False, post=False)
    decide_to_inform(breach_file, user)
    campaigns.launch_campaign(breach_file=breach_file, user=user, channels=["post", "email"])
    set_states(breach_file, Channel.POST, [NoticeState.POSTED, NoticeState.POSTED, NoticeState.RETURNED])
    set_states(breach_file, Channel.EMAIL, [NoticeState.SENT, NoticeState.BOUNCED, NoticeState.UNKNOWN])
    return breach_file


@pytest.fixture
def campaign_file(breach_file, lab_dpo) -> BreachFile:
    return launched(breach_file, lab_dpo)


def test_the_progress_counts_letters_emails_and_the_persons_told(campaign_file, other_breach_file):
    progress = informing_progress([campaign_file.pk, other_breach_file.pk])
    assert set(progress) == {campaign_file.pk}  # the other lab has launched nothing
    informing = progress[campaign_file.pk]
    # A returned letter was posted, a bounced email was sent: both counted, neither tells the person.
    assert (informing.letters_posted, informing.letters_returned) == (3, 1)
    assert (informing.emails_sent, informing.emails_bounced, informing.emails_unknown) == (2, 1, 1)
    assert (informing.unreachable, informing.persons, informing.told) == (1, 9, 3)
    assert informing.percent == 33


def test_a_person_told_by_letter_and_by_email_counts_once(breach_file, lab_dpo):
    make_subjects(breach_file, 2, start=0, email=True, post=True)
    decide_to_inform(breach_file, lab_dpo)
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels=["post", "email"])
    set_states(breach_file, Channel.POST, [NoticeState.POSTED])
    set_states(breach_file, Channel.EMAIL, [NoticeState.SENT])
    informing = informing_progress([breach_file.pk])[breach_file.pk]
    assert (informing.letters_posted, informing.emails_sent, informing.persons, informing.told) == (1, 1, 2, 1)
    assert informing.percent == 50


def test_the_dashboard_reads_the_ledger_of_five_labs_in_two_grouped_queries(
    client, incident, lab, compliance_officer, django_assert_num_queries
):
    files = [launched(BreachFileFactory(incident=incident, controller=lab), None)]
    for index in range(4):
        controller = OrganisationFactory(code=f"LAB-{index:02d}", group=lab.group)
        files.append(launched(BreachFileFactory(incident=incident, controller=controller), None))
    # The breach files, assessments, decisions, filings, processor notices, then the five campaigns (with the persons
    # their fill gave a notice), their notices per state, those told, their unreachable persons: as many for one lab.
    with django_assert_num_queries(9):
        rows = breach_file_rows(BreachFile.objects.filter(pk__in=[f.pk for f in files]))
    assert [row.informing.letters_posted for row in rows if row.informing] == [3] * 5
    client.force_login(compliance_officer)
    with CaptureQueriesContext(connection) as captured:
        content = client.get("/compliance/").content.decode()
    ledger_queries = [query for query in captured.captured_queries if "notifications_notice" in query["sql"]]
    assert len(ledger_queries) == 2
    assert content.count('data-column="letters_posted">3<') == 5
    assert content.count('data-column="emails_bounced">1<') == 5


def test_the_dashboard_shows_the_numbers_in_words_and_a_bar(
    client, campaign_file, other_breach_file, compliance_officer
):
    client.force_login(compliance_officer)
    content = client.get("/compliance/").content.decode()
    assert '<progress max="9" value="3" aria-label="3 personnes informées sur 9"></progress>' in content
    assert 'data-column="emails_unknown" class="overdue-text">1<' in content  # someone must decide their fate
    assert "pas encore lancée" in content  # the other lab


def test_the_dashboard_csv_adds_the_campaign_columns(client, campaign_file, other_breach_file, compliance_officer):
    client.force_login(compliance_officer)
    response = client.get("/compliance/export.csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff") and "\r\n" in text
    lines = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    assert lines[0] == register_selectors.header(register_selectors.DASHBOARD_COLUMNS, language="fr")
    assert "Lettres postées" in lines[0]
    codes = [code for code, _label in register_selectors.DASHBOARD_COLUMNS]
    rows = {row["organisation_code"]: row for row in (dict(zip(codes, line, strict=True)) for line in lines[1:])}
    rennes, brest = rows["LAB-RENNES"], rows["LAB-BREST"]
    assert [
        rennes[column]
        for column in (
            "persons_to_inform",
            "persons_informed",
            "letters_posted",
            "emails_sent",
            "letters_returned",
            "emails_bounced",
            "unreachable",
            "emails_unknown",
        )
    ] == ["9", "3", "3", "2", "1", "1", "1", "1"]
    assert rennes["informing_launched_at"]
    assert brest["letters_posted"] == "" and brest["persons_to_inform"] == ""
