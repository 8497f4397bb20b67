"""Every notification page against every persona: deny by default with a 404, see only what one oversees."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from breachdesk.models import AuditEvent, Decision, RiskAssessment, Role
from notifications.models import Filing, ProcessorNotice
from notifications.selectors import register as register_selectors
from notifications.services import filings, processor_notices
from tests.conftest import PASSWORD
from tests.factories import OrganisationGroupFactory, UserFactory
from tests.notifications.campaign_fixtures import decide_to_inform

pytestmark = pytest.mark.django_db
FILE = "/files/INC-2021-0001/LAB-RENNES"


@pytest.fixture
def other_group_compliance_officer(outside_lab):
    return UserFactory(username="compliance.sud", role=Role.COMPLIANCE_OFFICER, group=outside_lab.group)


@pytest.fixture
def personas(
    lab_dpo,
    other_lab_dpo,
    compliance_officer,
    other_group_compliance_officer,
    mailroom_operator,
    admin_user,
    user_without_role,
):
    return {
        "lab_dpo": lab_dpo,
        "other_lab_dpo": other_lab_dpo,
        "compliance_officer": compliance_officer,
        "other_group_compliance_officer": other_group_compliance_officer,
        "mailroom_operator": mailroom_operator,
        "admin_user": admin_user,
        "user_without_role": user_without_role,
    }


@pytest.fixture
def filed(complete_breach_file, other_breach_file, lab_dpo, compliance_officer):
    """The lab's file with a rendered filing and a processor notice; another lab of the group too."""
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    filings.generate_filing_dossier(filing_id=filing.pk)
    result = processor_notices.notify_controllers(incident=complete_breach_file.incident, user=compliance_officer)
    for notice in result.queued:
        processor_notices.deliver_processor_notice(notice_id=notice.pk)
    return complete_breach_file


READ_ON_FILE = [
    f"{FILE}/risk/",
    f"{FILE}/filings/",
    f"{FILE}/filings/1/",
    f"{FILE}/filings/1/dossier.pdf",
    f"{FILE}/filings/1/teleservice.json",
    f"{FILE}/processor-notice.pdf",
]
CAN_READ_FILE = {"lab_dpo", "compliance_officer", "admin_user"}
OVERSIGHT = [
    "/compliance/",
    "/compliance/export.csv",
    "/register/",
    "/register/export.csv",
    "/register/export.pdf",
]
CAN_OVERSEE = {"lab_dpo", "other_lab_dpo", "compliance_officer", "other_group_compliance_officer", "admin_user"}


@pytest.mark.parametrize("url", READ_ON_FILE)
def test_the_pages_of_a_breach_file_answer_its_lab_its_group_and_admins_and_404_for_the_others(
    client, filed, personas, url
):
    for name, user in personas.items():
        client.force_login(user)
        response = client.get(url)
        expected = 200 if name in CAN_READ_FILE else 404
        assert response.status_code == expected, (name, url, response.status_code)
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.parametrize("url", OVERSIGHT)
def test_the_oversight_pages_answer_dpos_compliance_officers_and_admins_only(client, filed, personas, url):
    for name, user in personas.items():
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == (200 if name in CAN_OVERSEE else 404), (name, url)
    client.logout()
    assert client.get(url).status_code == 302


def test_the_processor_fan_out_page_answers_compliance_officers_and_admins_of_the_incident(client, filed, personas):
    url = "/incidents/INC-2021-0001/processor-notices/"
    for name, user in personas.items():
        client.force_login(user)
        expected = 200 if name in {"compliance_officer", "admin_user"} else 404
        assert client.get(url).status_code == expected, name
        assert client.get(url + "confirm/").status_code == expected, name
        assert client.post(url).status_code == (302 if expected == 200 else 404), name


POSTS = [
    (f"{FILE}/risk/assess/", {}),
    (f"{FILE}/risk/decide/notify_authority/", {}),
    (f"{FILE}/filings/", {"kind": "initial"}),
    (f"{FILE}/filings/1/", {"submitted_at": "2021-02-23T10:00", "case_number": "X"}),
    (f"{FILE}/filings/1/regenerate/", {}),
]


@pytest.mark.parametrize(("url", "data"), POSTS)
def test_only_the_lab_dpo_and_admins_change_a_breach_file(client, filed, personas, url, data):
    before = (RiskAssessment.objects.count(), Decision.objects.count(), Filing.objects.count())
    for name, user in personas.items():
        if name in {"lab_dpo", "admin_user"}:
            continue
        client.force_login(user)
        assert client.post(url, data).status_code == 404, (name, url)
    assert (RiskAssessment.objects.count(), Decision.objects.count(), Filing.objects.count()) == before
    assert Filing.objects.get(version=1).submitted_at is None


def test_the_dashboard_of_another_lab_dpo_does_not_list_this_lab(client, filed, other_lab_dpo, compliance_officer):
    client.force_login(other_lab_dpo)
    content = client.get("/compliance/").content.decode()
    assert "LAB-BREST" in content and "LAB-RENNES" not in content
    client.force_login(compliance_officer)
    content = client.get("/compliance/").content.decode()
    assert "LAB-BREST" in content and "LAB-RENNES" in content


def _spreadsheet_rows(content: bytes, columns, *, language: str = "fr") -> list[dict[str, str]]:
    """Read a CSV a person opens (`;`, UTF-8 with BOM, CRLF, headers in their language), keyed by column code."""
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert text.count("\r\n") == text.count("\n")
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    assert rows[0] == register_selectors.header(columns, language=language)
    return [dict(zip([code for code, _label in columns], row, strict=True)) for row in rows[1:]]


def test_the_dashboard_csv_lists_every_file_of_the_group_with_time_left_status_decisions_and_filings(
    client, filed, compliance_officer, outside_breach_file
):
    client.force_login(compliance_officer)
    response = client.get("/compliance/export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _spreadsheet_rows(response.content, register_selectors.DASHBOARD_COLUMNS)
    assert response.content.decode("utf-8-sig").startswith("Incident;Code de l'organisme;Organisme;Statut;")
    by_code = {row["organisation_code"]: row for row in rows}
    assert set(by_code) == {"LAB-RENNES", "LAB-BREST"}  # not the other group's LAB-LYON
    rennes = by_code["LAB-RENNES"]
    assert rennes["status"] == "Évaluée"
    assert rennes["risk_score"] == "5" and rennes["risk_level"] == "Très élevé"
    assert rennes["notify_decision"] == "Notifier l'autorité de contrôle"
    assert rennes["inform_decision"].endswith("(art. 34(1)) [Élevé, Très élevé]")
    assert rennes["is_overdue"] == "non"
    assert (rennes["filings_prepared"], rennes["filings_submitted"]) == ("1", "0")
    assert rennes["time_left"].startswith("61h") or rennes["time_left"].startswith("62h")
    assert AuditEvent.objects.filter(
        action="export", object_type="compliance_dashboard_csv", user=compliance_officer
    ).exists()


def test_every_csv_cell_that_a_spreadsheet_would_run_is_neutralised(client, filed, compliance_officer):
    filed.controller.name = '=HYPERLINK("http://evil.example","clic")'
    filed.controller.save()
    filed.measures_immediate = "+33 2 99 00 00 00 appelé"
    filed.consequences_detail = "@SUM(A1:A9)"
    filed.delay_reasons = "-1"
    filed.save()
    client.force_login(compliance_officer)
    dashboard = client.get("/compliance/export.csv").content.decode("utf-8-sig")
    register = client.get("/register/export.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in dashboard and "'=HYPERLINK" in register
    assert "'+33 2 99" in register and "'@SUM(A1:A9)" in register and ";'-1;" in register
    for document in (dashboard, register):
        for row in csv.reader(io.StringIO(document), delimiter=";"):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_the_register_keeps_every_breach_file_notified_or_not_filtered_by_organisation_and_period(
    client, filed, other_breach_file, compliance_officer
):
    filings.record_submission(
        filing=Filing.objects.get(version=1),
        user=None,
        submitted_at=timezone.now() - timedelta(hours=1),
        case_number="CNIL-2021-004217",
    )
    other_breach_file.became_aware_at = timezone.now() - timedelta(days=40)
    other_breach_file.save()
    client.force_login(compliance_officer)
    rows = _spreadsheet_rows(client.get("/register/export.csv").content, register_selectors.REGISTER_COLUMNS)
    assert {row["organisation_code"] for row in rows} == {"LAB-RENNES", "LAB-BREST"}
    rennes = next(row for row in rows if row["organisation_code"] == "LAB-RENNES")
    assert rennes["cnil_case_number"] == "CNIL-2021-004217"
    assert rennes["notify_rationale"] == "Données de santé publiées."
    assert rennes["inform_rationale"] == "Risque élevé pour les patients."
    assert rennes["measures_immediate"].startswith("Retrait du fichier")
    assert "déposée le" in rennes["filings"]
    brest = next(row for row in rows if row["organisation_code"] == "LAB-BREST")
    assert brest["notify_decision"] == "" and brest["filings"] == ""
    # The other clocks (issue 12) are in the register too: the ARS declaration and the complaint fall due.
    assert "CSP L.1111-8-2" in rennes["other_obligations"] and "L.12-10-1" in rennes["other_obligations"]
    assert "NIS2" in rennes["other_obligations"]

    only_brest = client.get("/register/export.csv", {"organisation": "LAB-BREST"}).content.decode("utf-8-sig")
    assert "LAB-BREST" in only_brest and "LAB-RENNES" not in only_brest
    since = (timezone.now() - timedelta(days=2)).date().isoformat()
    recent = client.get("/register/export.csv", {"aware_from": since}).content.decode("utf-8-sig")
    assert "LAB-RENNES" in recent and "LAB-BREST" not in recent

    response = client.get("/register/export.pdf", {"organisation": "LAB-RENNES"})
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "Registre des violations de données personnelles" in text
    assert "Laboratoire de Rennes" in text and "Laboratoire de Brest" not in text
    assert "Données de santé publiées." in text and "CNIL-2021-004217" in text
    assert AuditEvent.objects.filter(object_type="register_pdf", detail__contains="organisation=LAB-RENNES").exists()


def test_the_register_of_a_compliance_officer_of_another_group_holds_none_of_this_group(
    client, filed, other_group_compliance_officer, outside_breach_file
):
    client.force_login(other_group_compliance_officer)
    document = client.get("/register/export.csv").content.decode("utf-8-sig")
    assert "LAB-LYON" in document and "LAB-RENNES" not in document and "LAB-BREST" not in document
    # Filtering by an organisation one does not oversee is refused by the form, not answered with its data.
    document = client.get("/register/export.csv", {"organisation": "LAB-RENNES"}).content.decode("utf-8-sig")
    assert "LAB-RENNES" not in document


def test_the_dpo_assesses_decides_and_prepares_a_filing_through_the_pages(client, complete_breach_file, lab_dpo):
    client.force_login(lab_dpo)
    response = client.post(
        f"{FILE}/risk/assess/",
        {
            "exposures": ["identity", "contact", "nir", "physician"],
            "identification": "maximum",
            "confidentiality": "known_recipients",
            "integrity": "none",
            "availability": "none",
            "level": "medium",
        },
    )
    assert response.status_code == 400
    assert "Déroger au niveau de risque par défaut exige une justification." in response.content.decode()
    response = client.post(
        f"{FILE}/risk/assess/",
        {
            "exposures": ["identity", "contact", "nir", "physician"],
            "identification": "maximum",
            "confidentiality": "known_recipients",
            "integrity": "none",
            "availability": "none",
        },
    )
    assert response.status_code == 302
    latest = RiskAssessment.objects.latest_first().first()
    assert (latest.score, latest.band, latest.level) == (2.25, "medium", "high")

    response = client.post(f"{FILE}/risk/decide/notify_authority/", {"notify_authority-outcome": "notify"})
    assert response.status_code == 400
    assert set(response.context["decision_forms"]["notify_authority"].errors) == {"rationale"}
    response = client.post(
        f"{FILE}/risk/decide/notify_authority/",
        {"notify_authority-outcome": "notify", "notify_authority-rationale": "Données de santé."},
    )
    assert response.status_code == 302
    page = client.get(f"{FILE}/risk/").content.decode()
    assert "SE = DPC × EI + CB = 2 × 1 + (0,25 + 0 + 0 + 0) = 2,25 → moyen" in page  # noqa: RUF001

    response = client.post(f"{FILE}/filings/", {"kind": "initial"})
    assert response.status_code == 302
    filing = Filing.objects.get()
    assert response["Location"] == f"{FILE}/filings/{filing.version}/"
    page = client.get(response["Location"]).content.decode()
    assert "Champ par champ, pour le téléservice de la CNIL" in page

    response = client.post(
        f"{FILE}/filings/1/", {"submitted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "case_number": "CNIL-9"}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.cnil_case_number == "CNIL-9"
    complete_breach_file.refresh_from_db()
    assert complete_breach_file.status == "notified"


def test_an_incomplete_filing_asks_the_dpo_to_confirm_the_phased_notification(client, breach_file, lab_dpo):
    client.force_login(lab_dpo)
    page = client.get(f"{FILE}/filings/").content.decode()
    assert f'href="{FILE}/edit/#id_measures_immediate"' in page
    assert "Une notification initiale incomplète est admise" in page
    response = client.post(f"{FILE}/filings/", {"kind": "initial"})
    assert response.status_code == 400
    assert not Filing.objects.exists()
    response = client.post(f"{FILE}/filings/", {"kind": "initial", "confirm_phased": "on"})
    assert response.status_code == 302
    assert not Filing.objects.get().is_complete


def test_a_late_submission_through_the_page_asks_for_the_reasons_for_the_delay(client, complete_breach_file, lab_dpo):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    client.force_login(lab_dpo)
    late = (complete_breach_file.authority_deadline + timedelta(hours=1)).astimezone(timezone.get_current_timezone())
    if late > timezone.now():
        complete_breach_file.became_aware_at -= timedelta(hours=80)
        complete_breach_file.save()
        late = (complete_breach_file.authority_deadline + timedelta(hours=1)).astimezone(
            timezone.get_current_timezone()
        )
    response = client.post(
        f"{FILE}/filings/1/", {"submitted_at": late.strftime("%Y-%m-%dT%H:%M"), "case_number": "CNIL-10"}
    )
    assert response.status_code == 400
    assert "indiquez les motifs du retard" in response.content.decode()
    filing.refresh_from_db()
    assert filing.submitted_at is None


def test_a_json_export_follows_the_same_mapping_as_the_page(client, filed, lab_dpo):
    client.force_login(lab_dpo)
    data = client.get(f"{FILE}/filings/1/teleservice.json").json()
    assert data["template"] == "cnil-teleservice"
    assert data["filing"]["type"] == "initial" and data["filing"]["version"] == 1
    sections = [section["key"] for section in data["sections"]]
    assert sections[:3] == ["notification", "organisation", "contact"] and sections[-1] == "enisa"
    fields = {field["key"]: field for section in data["sections"] for field in section["fields"]}
    assert fields["persons.count"]["value"] == "18216"
    assert fields["dates.start"]["is_known"] is True
    assert fields["enisa.formula"]["value"].endswith("= 5 → très élevé")
    page = client.get(f"{FILE}/filings/1/").content.decode()
    for key in fields:
        assert f'data-key="{key}"' in page


def test_downloads_are_private_and_recorded_in_the_audit_trail(client, filed, lab_dpo):
    client.force_login(lab_dpo)
    client.get(f"{FILE}/filings/1/")
    response = client.get(f"{FILE}/filings/1/dossier.pdf")
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="download", object_type="filing_pdf", user=lab_dpo).exists()
    assert AuditEvent.objects.filter(action="view", object_type="filing", user=lab_dpo).exists()
    assert ProcessorNotice.objects.get(breach_file=filed).letter_path.startswith("processor-notices/")


def test_the_breach_file_panel_shows_risk_decisions_and_filings(client, filed, lab_dpo):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = lab_dpo
    html = render_to_string(
        "notifications/_breach_file_panel.html", {"breach_file": filed, "user": lab_dpo, "request": request}
    )
    assert "Très élevé" in html
    assert f'href="{FILE}/risk/"' in html and f'href="{FILE}/filings/1/"' in html
    assert "Notifier l&#x27;autorité de contrôle" in html
    assert f'href="{FILE}/processor-notice.pdf"' in html


def test_login_with_a_password_then_a_page_works_end_to_end(client, filed, lab_dpo):
    assert client.login(username="dpo.rennes", password=PASSWORD)
    assert client.get(f"{FILE}/filings/1/").status_code == 200


def test_a_compliance_officer_without_group_sees_nothing(client, filed):
    lonely = UserFactory(username="compliance.none", role=Role.COMPLIANCE_OFFICER, group=None)
    client.force_login(lonely)
    assert client.get(f"{FILE}/risk/").status_code == 404
    assert "LAB-RENNES" not in client.get("/compliance/").content.decode()
    OrganisationGroupFactory(name="Unrelated")


@pytest.fixture
def reset_language():
    """The locale middleware leaves the reader's language active in the thread: give the next test the default."""
    yield
    translation.deactivate()


@pytest.mark.parametrize(
    ("language", "labels", "codes"),
    [
        (
            "fr",
            [
                "Acte externe malveillant",
                "Piratage, logiciel malveillant, hameçonnage",
                "Très élevé",
                "Données de santé",
            ],
            ["external_malicious", "hacking", "very_high", "health"],
        ),
        (
            "en",
            ["External malicious act", "Hacking, malware, phishing", "Very high", "Health data"],
            ["external_malicious", "hacking", "very_high", "Très élevé", "Acte externe"],
        ),
    ],
)
def test_the_register_page_csv_and_pdf_name_labels_in_the_readers_language_not_codes(
    reset_language, client, filed, compliance_officer, language, labels, codes
):
    client.force_login(compliance_officer)
    client.cookies["django_language"] = language
    rows = _spreadsheet_rows(
        client.get("/register/export.csv").content, register_selectors.REGISTER_COLUMNS, language=language
    )
    rennes = next(row for row in rows if row["organisation_code"] == "LAB-RENNES")
    cells = list(rennes.values())
    document = client.get("/register/export.pdf").content
    pdf_text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages).split())
    page = client.get("/register/").content.decode()
    assert rennes["cause"] == labels[0] and rennes["origin"] == labels[1] and rennes["risk_level"] == labels[2]
    assert labels[3] in rennes["data_categories"]
    for text in (pdf_text, page):
        assert labels[0] in text and labels[1] in text
    for code in codes:
        assert code not in " ".join(cells)
        assert code not in pdf_text


def test_a_disabled_button_says_why_beside_it_not_only_in_a_tooltip(client, complete_breach_file, lab_dpo):
    complete_breach_file.became_aware_at = timezone.now() - timedelta(hours=80)
    complete_breach_file.delay_reasons = ""
    complete_breach_file.save()
    client.force_login(lab_dpo)

    page = client.get(f"{FILE}/filings/").content.decode()

    assert 'disabled aria-describedby="prepare-refused-initial"' in page
    assert (
        '<span class="disabled-reason" id="prepare-refused-initial" data-testid="disabled-reason">'
        "Indiquez d'abord les motifs du retard</span>"
    ) in page


def test_a_missing_filing_item_is_named_in_the_readers_language_and_in_the_cnils_words_in_french():
    from notifications import cnil
    from notifications.templatetags.notifications_tags import gap_name, gap_rule

    start = cnil.Gap(
        key="dates.start",
        section="Dates et heures",
        label="Début de la violation",
        required_by="",
        edit="breach_file:started_at",
    )
    siren = cnil.Gap(
        key="organisation.siren",
        section="Organisme",
        label="Numéro SIREN",
        required_by="Téléservice",
        edit="organisation:siret",
    )

    with translation.override("en"):
        assert gap_name(start) == "Breach started at"
        assert gap_name(siren.as_json()) == "Organisation — SIREN or SIRET"
        assert gap_rule(siren.required_by) == "CNIL teleservice"
    with translation.override("fr"):
        assert gap_name(start) == "Dates et heures — Début de la violation"


def test_the_breach_file_page_and_the_dashboard_show_a_decision_whose_author_was_deleted(
    client, breach_file, lab_dpo, compliance_officer
):
    decide_to_inform(breach_file, lab_dpo)
    Decision.objects.filter(breach_file=breach_file).update(decided_by=None)

    client.force_login(lab_dpo)
    page = client.get(f"/files/{breach_file.incident.reference}/{breach_file.controller.code}/")
    client.force_login(compliance_officer)
    dashboard = client.get("/compliance/")

    assert page.status_code == dashboard.status_code == 200
    assert "BreachDesk" in page.content.decode()
