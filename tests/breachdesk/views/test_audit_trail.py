"""The audit trail page and its CSV: who reads what of it, its filters, its words, its dialect, its cost."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from breachdesk.formats import PARIS
from breachdesk.models import AuditEvent, Role
from breachdesk.services import record_audit
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(lab, other_lab, outside_lab, lab_dpo, other_lab_dpo, compliance_officer):
    """Entries about the Rennes lab, the Brest lab, a lab of another group, and some about no organisation."""
    outsider = UserFactory(username="dpo.lyon", role=Role.DPO, organisation=outside_lab)
    record_audit(user=lab_dpo, action="view", object_type="breach_file", object_id=1, organisation_id=lab.pk)
    record_audit(user=lab_dpo, action="export", object_type="register_csv", detail="all")
    record_audit(user=compliance_officer, action="view", object_type="data_subject", organisation_id=lab.pk)
    record_audit(user=other_lab_dpo, action="change", object_type="breach_file", organisation_id=other_lab.pk)
    record_audit(user=other_lab_dpo, action="view", object_type="compliance_dashboard", detail="1 files")
    record_audit(user=outsider, action="download", object_type="print_batch", organisation_id=outside_lab.pk)
    record_audit(user=outsider, action="view", object_type="compliance_dashboard", detail="1 files")
    return AuditEvent.objects.count()


def listed(response) -> list[tuple[str, str, str]]:
    """The page's rows as (username, action, object type) codes."""
    content = response.content.decode()
    rows = []
    for chunk in content.split("<tr data-action=")[1:]:
        attributes = chunk.split(">", 1)[0]
        values = dict(part.split("=", 1) for part in attributes.replace('"', "").split(" ") if "=" in part)
        rows.append((values["data-username"], chunk.split('"')[1], values["data-object-type"]))
    return rows


def test_the_mailroom_and_users_without_a_role_get_a_403_that_is_audited(client, trail, mailroom_operator, lab):
    nobody = UserFactory(username="nobody", role="", organisation=lab)
    for user in (mailroom_operator, nobody):
        client.force_login(user)
        response = client.get("/audit/")
        assert response.status_code == 403
        assert "Votre rôle ne donne pas accès à cette page" in response.content.decode()
        assert client.get("/audit/export.csv").status_code == 403
        assert AuditEvent.objects.filter(user=user, action="denied", object_type="audit_trail").count() == 2
    client.logout()
    assert client.get("/audit/").status_code == 302


def test_a_dpo_reads_only_their_organisations_entries(client, trail, lab_dpo):
    client.force_login(lab_dpo)
    rows = listed(client.get("/audit/"))
    assert sorted(rows) == [
        ("compliance", "view", "data_subject"),  # about their lab, by someone else
        ("dpo.rennes", "export", "register_csv"),  # about no organisation, by their own people
        ("dpo.rennes", "view", "breach_file"),
    ]
    # Asking for another lab's entries is not a way round: the choice is not offered, the scope stays.
    response = client.get("/audit/", {"organisation": "LAB-BREST"})
    assert 'value="LAB-BREST"' not in response.content.decode()
    assert all(row[0] != "dpo.brest" for row in listed(response))


def test_a_compliance_officer_reads_the_group_and_an_admin_everything(client, trail, compliance_officer, admin_user):
    client.force_login(compliance_officer)
    users = {row[0] for row in listed(client.get("/audit/"))}
    assert users == {"dpo.rennes", "dpo.brest", "compliance"}  # not the other group's dpo.lyon
    client.force_login(admin_user)
    assert len(listed(client.get("/audit/"))) == trail + 1  # the compliance officer's reading is there too


def test_the_filters_narrow_by_user_organisation_object_action_and_period(client, trail, compliance_officer):
    client.force_login(compliance_officer)
    assert {row[0] for row in listed(client.get("/audit/", {"user": "dpo.brest"}))} == {"dpo.brest"}
    assert listed(client.get("/audit/", {"organisation": "LAB-RENNES", "action": "view"})) == [
        ("compliance", "view", "data_subject"),
        ("dpo.rennes", "view", "breach_file"),
    ]
    assert listed(client.get("/audit/", {"object_type": "breach_file", "action": "change"})) == [
        ("dpo.brest", "change", "breach_file")
    ]
    today = timezone.now().astimezone(PARIS).date()
    assert listed(client.get("/audit/", {"on_or_before": (today - timedelta(days=1)).isoformat()})) == []
    assert len(listed(client.get("/audit/", {"on_or_after": today.isoformat(), "user": "dpo.rennes"}))) == 2


def test_the_period_is_read_in_paris_days(client, lab, lab_dpo):
    # 23:30 UTC on 31 March is 1 April in Paris (summer time).
    # The trail is append-only: the entry is recorded at that time rather than moved there.
    AuditEvent.objects.create(
        user=lab_dpo,
        username=lab_dpo.username,
        action="view",
        object_type="breach_file",
        organisation_id=lab.pk,
        at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
    )
    client.force_login(lab_dpo)
    assert len(listed(client.get("/audit/", {"on_or_after": "2026-04-01", "on_or_before": "2026-04-01"}))) == 1
    assert listed(client.get("/audit/", {"on_or_after": "2026-03-31", "on_or_before": "2026-03-31"})) == []


def test_a_period_ending_before_it_starts_is_refused_with_a_clear_error(client, trail, compliance_officer):
    client.force_login(compliance_officer)
    content = client.get("/audit/", {"on_or_after": "2026-04-02", "on_or_before": "2026-04-01"}).content.decode()
    assert "La fin de la période précède son début." in content


def test_actions_and_object_types_read_in_words_newest_first(client, trail, compliance_officer):
    client.force_login(compliance_officer)
    content = client.get("/audit/").content.decode()
    # The newest entry first: the other lab's DPO on the compliance dashboard (a notifications object type).
    first_row = content.split("<tr data-action=")[1]
    assert "Consulté" in first_row and "Tableau de bord de conformité" in first_row
    assert "Dossier de violation" in content and "Registre (CSV)" in content and "Modifié" in content
    assert "compliance_dashboard</td>" not in content


def test_reading_and_exporting_the_trail_are_audited_with_the_filters_as_codes(client, trail, compliance_officer):
    client.force_login(compliance_officer)
    client.get("/audit/", {"user": "dpo.brest", "action": "view"})
    client.get("/audit/export.csv", {"organisation": "LAB-RENNES"})
    viewed = AuditEvent.objects.get(user=compliance_officer, action="view", object_type="audit_trail")
    exported = AuditEvent.objects.get(user=compliance_officer, action="export", object_type="audit_trail")
    brest = AuditEvent.objects.filter(username="dpo.brest").first()
    assert brest is not None and brest.user_id is not None
    assert viewed.detail == f"page=1; user={brest.user_id}; action=view"
    assert exported.detail == "organisation=LAB-RENNES"


def test_the_csv_is_the_filtered_view_in_the_excel_dialect_with_french_labels(client, trail, compliance_officer):
    client.force_login(compliance_officer)
    response = client.get("/audit/export.csv", {"organisation": "LAB-RENNES"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    assert text.count("\r\n") == 3 and text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    assert rows[0] == [
        "date et heure (Paris)",
        "utilisateur",
        "action",
        "objet",
        "identifiant de l'objet",
        "code de l'organisme",
        "organisme",
        "détail",
    ]
    assert [row[1:] for row in rows[1:]] == [
        ["compliance", "Consulté", "Personne concernée", "", "LAB-RENNES", "Laboratoire de Rennes", ""],
        ["dpo.rennes", "Consulté", "Dossier de violation", "1", "LAB-RENNES", "Laboratoire de Rennes", ""],
    ]
    datetime.strptime(rows[1][0], "%d/%m/%Y %H:%M:%S")


def test_the_csv_speaks_the_readers_language(client, trail, compliance_officer):
    client.force_login(compliance_officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/audit/export.csv", {"organisation": "LAB-BREST"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["date and time (Paris)", "user", "action", "object"]
    assert rows[1][1:4] == ["dpo.brest", "Changed", "Breach file"]


def test_a_page_costs_the_same_few_queries_whatever_the_organisations(
    client, lab, compliance_officer, django_assert_max_num_queries
):
    organisations = [OrganisationFactory(code=f"LAB-{index:02d}", group=lab.group) for index in range(12)]
    for index in range(120):
        record_audit(
            user=compliance_officer,
            action="view",
            object_type="breach_file",
            organisation_id=organisations[index % 12].pk,
        )
    client.force_login(compliance_officer)
    # Session, user, organisations (twice), the users to filter by, the count, the page, the audit entry, the menu;
    # the audit entry is chained: a savepoint, the chain's lock (PostgreSQL), the previous seal, the release.
    with django_assert_max_num_queries(13):
        response = client.get("/audit/", {"page": 2})
    assert len(listed(response)) == 50
    assert "2 / 3" in response.content.decode()


def test_an_object_type_no_app_registered_shows_as_stored(client, lab, lab_dpo):
    record_audit(user=lab_dpo, action="view", object_type="retired_page", organisation_id=lab.pk)
    client.force_login(lab_dpo)
    assert "<td>retired_page</td>" in client.get("/audit/").content.decode()


def test_the_menu_offers_the_trail_to_its_readers_only(client, lab_dpo, compliance_officer, mailroom_operator):
    for user, offered in ((lab_dpo, True), (compliance_officer, True), (mailroom_operator, False)):
        client.force_login(user)
        home = client.get("/", follow=True).content.decode()
        assert ('href="/audit/"' in home) is offered, user.username
