from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from breachdesk.importing.services import stage_subject_import
from breachdesk.models import DataSubject, SubjectImport
from tests.breachdesk.importing.conftest import HEADER, FakeUpload, csv_bytes, rows, subject_row, write_csv
from tests.conftest import PASSWORD

State = SubjectImport.State
pytestmark = pytest.mark.django_db
ARGS = ("INC-2021-0001", "LAB-RENNES")


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client: Client, content: bytes, name: str = "patients.csv", **extra: str):
    return client.post(
        reverse("subject_import", args=ARGS), {"file": SimpleUploadedFile(name, content), **extra}, follow=False
    )


def test_the_lab_dpo_uploads_a_file_and_the_task_imports_it_after_commit(
    breach_file, lab_dpo, eager_celery, django_capture_on_commit_callbacks
):
    client = client_for(lab_dpo)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(client, csv_bytes(rows(3)))
    assert len(callbacks) == 1
    subject_import = SubjectImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("subject_import_detail", args=[*ARGS, subject_import.pk])
    subject_import.refresh_from_db()
    assert subject_import.state == State.IMPORTED
    assert DataSubject.objects.filter(breach_file=breach_file).count() == 3
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Personnes concernées importées : 3." in page.content.decode()


def test_the_upload_url_and_task_arguments_carry_no_personal_data(breach_file, lab_dpo, monkeypatch):
    from breachdesk import tasks

    sent: list[tuple[object, ...]] = []
    monkeypatch.setattr(tasks.run_subject_import, "delay_on_commit", lambda *args: sent.append(args), raising=False)
    data = rows(2)
    response = upload(client_for(lab_dpo), csv_bytes(data))
    assert sent == [(SubjectImport.objects.get().pk,)]
    for row in data:
        assert row["last_name"] not in response["Location"]


def test_a_dry_run_upload_stores_nothing(breach_file, lab_dpo, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client_for(lab_dpo), csv_bytes(rows(3)), dry_run="on")
    subject_import = SubjectImport.objects.get()
    assert subject_import.state == State.VALID
    assert DataSubject.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_by_the_form_with_a_clear_message(breach_file, lab_dpo, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    response = upload(client_for(lab_dpo), b"x" * (1024 * 1024 + 1))
    assert response.status_code == 200
    assert "la limite est de 1 Mo" in response.content.decode()
    assert not SubjectImport.objects.exists()


def test_a_file_with_another_extension_is_refused(breach_file, lab_dpo):
    response = upload(client_for(lab_dpo), csv_bytes(rows(1)), name="patients.pdf")
    assert response.status_code == 200 and not SubjectImport.objects.exists()


def test_a_rejected_import_shows_its_report_and_offers_it_for_download(breach_file, lab_dpo):
    content = csv_bytes([subject_row(1, nir="295109912611199", last_name="<b>Bold</b>")])
    subject_import = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
    from breachdesk.importing.services import process_subject_import

    process_subject_import(subject_import_id=subject_import.pk)
    client = client_for(lab_dpo)
    page = client.get(reverse("subject_import_detail", args=[*ARGS, subject_import.pk])).content.decode()
    assert "nir_key" in page and "Rejeté" in page
    report = client.get(reverse("subject_import_report", args=[*ARGS, subject_import.pk]))
    assert report.status_code == 200
    assert report["Content-Type"].startswith("text/csv")
    assert "attachment" in report["Content-Disposition"]
    assert report.content.startswith(b"\xef\xbb\xbf")
    text = report.content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text), delimiter=";"))[1][:3] == ["2", "nir", "nir_key"]
    assert "Bold" not in text


def test_an_english_reader_gets_the_report_of_the_same_import_in_english(breach_file, lab_dpo):
    # The English requests activate English in this thread: give the next tests the language they found.
    with translation.override("fr"):
        from breachdesk.importing.services import process_subject_import

        content = csv_bytes([subject_row(1, nir="295109912611199")])
        subject_import = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
        process_subject_import(subject_import_id=subject_import.pk)
        client = client_for(lab_dpo)
        url = reverse("subject_import_report", args=[*ARGS, subject_import.pk])
        french = client.get(url).content.decode("utf-8-sig").splitlines()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = client.get(url).content.decode("utf-8-sig").splitlines()
        assert french[0] == "ligne;colonne;code;message" and english[0] == "line;column;code;message"
        assert english[1] == "2;nir;nir_key;The NIR key (last 2 digits) does not match the first 13 characters."
        assert french[1].startswith("2;nir;nir_key;La clé du NIR")
        page = client.get(reverse("subject_import_detail", args=[*ARGS, subject_import.pk]))
        assert "Rejected: 1 errors on 1 rows; nothing was stored." in page.content.decode()


def test_html_in_a_name_is_escaped_in_pages(breach_file, lab_dpo, admin_user):
    from breachdesk.importing.services import process_subject_import

    content = csv_bytes([subject_row(1, last_name="<script>x</script>")])
    subject_import = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
    process_subject_import(subject_import_id=subject_import.pk)
    subject = DataSubject.objects.get()
    page = client_for(lab_dpo).get(reverse("subject_detail", args=[*ARGS, subject.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    # Our own pages only echo the uploader's file name, which is escaped too.
    hostile = stage_subject_import(
        breach_file=breach_file, upload=FakeUpload(b"x"), user=lab_dpo, original_name="<img src=x onerror=alert(1)>.csv"
    )
    listing = client_for(lab_dpo).get(reverse("subject_import", args=ARGS)).content.decode()
    assert "<img src=x" not in listing and "&lt;img src=x" in listing
    assert hostile.pk


def test_the_progress_endpoint_shows_live_counts_while_the_worker_runs(breach_file, lab_dpo):
    from breachdesk.importing import progress

    subject_import = stage_subject_import(breach_file=breach_file, upload=FakeUpload(csv_bytes(rows(3))), user=lab_dpo)
    SubjectImport.objects.filter(pk=subject_import.pk).update(state=State.RUNNING)
    progress.write_progress(subject_import.pk, rows_read=2, rows_validated=2, rows_stored=0)
    client = client_for(lab_dpo)
    data = client.get(reverse("subject_import_progress", args=[*ARGS, subject_import.pk])).json()
    assert data["rows_read"] == 2 and data["rows_expected"] == 3 and data["is_finished"] is False
    # Leaving and coming back: the page itself shows where the import is.
    page = client.get(reverse("subject_import_detail", args=[*ARGS, subject_import.pk])).content.decode()
    assert "data-progress-url" in page and "Vous pouvez quitter cette page" in page


def test_the_template_csv_has_the_documented_columns_and_opens_in_french_excel(breach_file, lab_dpo):
    response = client_for(lab_dpo).get(reverse("subject_import_template", args=ARGS))
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert text.lstrip("\ufeff").strip().split(";") == list(HEADER)


def test_the_documentation_lists_the_same_columns_as_the_template():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "import-format.md").read_text()
    for column in HEADER:
        assert f"`{column}`" in doc


def test_the_compliance_officer_sees_imports_but_cannot_upload(breach_file, compliance_officer, lab_dpo):
    subject_import = stage_subject_import(breach_file=breach_file, upload=FakeUpload(csv_bytes(rows(1))), user=lab_dpo)
    client = client_for(compliance_officer)
    page = client.get(reverse("subject_import", args=ARGS))
    assert page.status_code == 200 and b"import-form" not in page.content
    assert client.get(reverse("subject_import_detail", args=[*ARGS, subject_import.pk])).status_code == 200
    assert client.get(reverse("subject_import_progress", args=[*ARGS, subject_import.pk])).status_code == 200
    assert upload(client, csv_bytes(rows(1))).status_code == 404
    assert SubjectImport.objects.count() == 1


def test_the_admin_can_upload(breach_file, admin_user):
    response = upload(client_for(admin_user), csv_bytes(rows(1)))
    assert response.status_code == 302


@pytest.mark.parametrize("persona", ["other_lab_dpo", "mailroom_operator", "user_without_role"])
def test_other_labs_mailroom_and_users_without_role_get_404_everywhere(breach_file, lab_dpo, persona, request):
    subject_import = stage_subject_import(breach_file=breach_file, upload=FakeUpload(csv_bytes(rows(1))), user=lab_dpo)
    from breachdesk.importing.services import process_subject_import

    process_subject_import(subject_import_id=subject_import.pk)
    SubjectImport.objects.filter(pk=subject_import.pk).update(
        findings=[{"line": 1, "column": "", "code": "column_unknown", "message": {"text": "x"}, "is_error": False}]
    )
    client = client_for(request.getfixturevalue(persona))
    for name, args in (
        ("subject_import", ARGS),
        ("subject_import_template", ARGS),
        ("subject_import_detail", (*ARGS, subject_import.pk)),
        ("subject_import_progress", (*ARGS, subject_import.pk)),
        ("subject_import_report", (*ARGS, subject_import.pk)),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert upload(client, csv_bytes(rows(1, start=5))).status_code == 404
    assert SubjectImport.objects.count() == 1


def test_an_import_of_another_breach_file_is_not_reachable_through_this_one(
    breach_file, other_breach_file, lab_dpo, other_lab_dpo
):
    theirs = stage_subject_import(
        breach_file=other_breach_file, upload=FakeUpload(csv_bytes(rows(1))), user=other_lab_dpo
    )
    client = client_for(lab_dpo)
    assert client.get(reverse("subject_import_detail", args=[*ARGS, theirs.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(breach_file):
    response = Client().get(reverse("subject_import", args=ARGS))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_panel_links_the_dpo_to_the_import_page(breach_file, lab_dpo, compliance_officer):
    from django.template.loader import render_to_string

    html = render_to_string("breachdesk/_import_panel.html", {"breach_file": breach_file, "user": lab_dpo})
    assert "Importer les personnes concernées" in html and reverse("subject_import", args=ARGS) in html
    html = render_to_string("breachdesk/_import_panel.html", {"breach_file": breach_file, "user": compliance_officer})
    assert "Importer les personnes concernées" not in html and reverse("subject_import", args=ARGS) in html


def test_the_breach_file_panel_shows_what_is_stored_before_a_rejected_last_attempt(breach_file, lab_dpo, tmp_path):
    from breachdesk.importing.services import import_subjects

    stored = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "a.csv", rows(3)))
    rejected = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "b.csv", [subject_row(9, nir="1")]))
    assert rejected.state == SubjectImport.State.REJECTED
    page = client_for(lab_dpo).get(reverse("breach_file_detail", args=ARGS)).content.decode()
    panel = page[page.index('data-testid="import-panel"') :]
    assert panel.index("3 personnes concernées enregistrées") < panel.index("Dernière tentative")
    assert f"#{stored.pk}" in panel and f"#{rejected.pk}" in panel
    last_attempt = panel[panel.index('data-testid="import-last-attempt"') :]
    assert f"#{rejected.pk}</a>" in last_attempt and "Rejeté" in last_attempt
    assert f"#{stored.pk}</a>" not in last_attempt


def test_the_import_page_lists_the_exposure_codes_in_the_reader_s_language(breach_file, lab_dpo):
    # The English requests activate English in this thread: give the next tests the language they found.
    with translation.override("fr"):
        client = client_for(lab_dpo)
        french = client.get(reverse("subject_import", args=ARGS)).content.decode()
        assert "<code>hiv</code></td><td>Statut VIH</td>" in french
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = client.get(reverse("subject_import", args=ARGS)).content.decode()
        assert "<code>test_results</code></td><td>Test results</td>" in english
        assert "<code>hiv</code></td><td>HIV status</td>" in english
