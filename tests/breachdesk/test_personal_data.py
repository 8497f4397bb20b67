"""Personal data at rest: encrypted, fail-closed, rotatable, looked up through blind indexes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date

import pytest
from cryptography.fernet import Fernet
from django.db import IntegrityError, connection, transaction

from breachdesk import crypto
from breachdesk.crypto import DecryptionError
from breachdesk.models import DataSubject, PersonalData
from breachdesk.synthetic import nir_for
from tests.conftest import require_service
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = PersonalData(
    patient_ref="P-000123",
    last_name="Kerbrat",
    first_name="Maëlle",
    birth_date=date(1987, 4, 12),
    nir=nir_for(sex=2, birth=date(1987, 4, 12), department="29", commune="019", order=123),
    email="maelle.kerbrat@example.org",
    phone="+33 6 12 34 56 78",
    address_1="14 rue des Ajoncs",
    address_2="Résidence Ker Anna",
    postcode="29200",
    city="Brest",
    # The factory's default exposures: a health fact, stored in the token only.
    exposures=["identity", "contact", "nir", "hiv"],
)
SENSITIVE_VALUES = [
    "Kerbrat",
    "Maëlle",
    "maelle.kerbrat",
    "12 34 56 78",
    "rue des Ajoncs",
    "Ker Anna",
    "Brest",
    "29200",
    "1987-04-12",
    "P-000123",
    ALICE.nir,
]


# The code "hiv" as a word: never inside a Fernet token (base64url letters, digits, - and _ around it).
HEALTH_CODE = re.compile(r"(?<![A-Za-z0-9_-])hiv(?![A-Za-z0-9_-])", re.IGNORECASE)


def raw_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM breachdesk_datasubject")
        return repr(cursor.fetchall())


def test_a_raw_select_shows_no_plaintext_personal_data(breach_file):
    DataSubjectFactory(breach_file=breach_file, personal=ALICE)
    dump = raw_rows()
    for value in SENSITIVE_VALUES:
        assert value not in dump
    assert not HEALTH_CODE.search(dump)
    assert DataSubject.objects.get().personal == ALICE


def test_a_pg_dump_shows_no_plaintext_personal_data(breach_file, is_postgresql):
    if not is_postgresql:
        require_service("PostgreSQL")
    if not shutil.which("pg_dump"):
        require_service("pg_dump")
    DataSubjectFactory(breach_file=breach_file, personal=ALICE)
    settings_dict = connection.settings_dict
    environment = {**os.environ, "PGPASSWORD": settings_dict.get("PASSWORD") or ""}
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            settings_dict["HOST"] or "127.0.0.1",
            "-p",
            str(settings_dict["PORT"] or 5432),
            "-U",
            settings_dict["USER"],
            "-t",
            "breachdesk_datasubject",
            settings_dict["NAME"],
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    ).stdout
    assert "COPY public.breachdesk_datasubject" in dump
    assert "gAAAAA" in dump  # the Fernet tokens are there
    for value in SENSITIVE_VALUES:
        assert value not in dump
    assert not HEALTH_CODE.search(dump)


def test_decryption_with_a_wrong_key_raises_a_typed_error_without_the_ciphertext(breach_file, settings):
    subject = DataSubjectFactory(breach_file=breach_file, personal=ALICE)
    settings.DATA_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    fresh = DataSubject.objects.get(pk=subject.pk)
    with pytest.raises(DecryptionError) as error:
        _ = fresh.personal.last_name
    assert subject.personal_token not in str(error.value)
    assert subject.personal_token[:20] not in repr(error.value)


def test_a_tampered_token_fails_closed(breach_file):
    subject = DataSubjectFactory(breach_file=breach_file, personal=ALICE)
    token = subject.personal_token
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    DataSubject.objects.filter(pk=subject.pk).update(personal_token=tampered)
    with pytest.raises(DecryptionError):
        _ = DataSubject.objects.get(pk=subject.pk).personal


def test_the_import_encryptor_makes_the_tokens_fernet_makes_one_after_the_other(settings):
    encryptor = crypto.Encryptor()
    fernet = Fernet(settings.DATA_ENCRYPTION_KEYS[0].encode())
    # Lengths around the 16-byte blocks, one after the other: each token must not depend on the ones before.
    for length in [0, 1, 15, 16, 17, 31, 32, 33, 700, 16, 0]:
        plaintext = os.urandom(length)
        iv = os.urandom(16)
        expected = fernet._encrypt_from_parts(plaintext, 1_764_000_000 + length, iv).decode("ascii")
        assert encryptor.token(plaintext, issued_at=1_764_000_000 + length, iv=iv) == expected


def test_the_import_encryptors_tokens_decrypt_with_the_key_ring_and_differ_each_time(settings):
    old_key = settings.DATA_ENCRYPTION_KEYS[0]
    encryptor = crypto.Encryptor()
    tokens = [encryptor.encrypt(b'{"last_name":"Le Floc\'h"}') for _ in range(3)]
    assert len(set(tokens)) == 3
    settings.DATA_ENCRYPTION_KEYS = [crypto.generate_key(), old_key]
    assert all(crypto.decrypt_json(token) == {"last_name": "Le Floc'h"} for token in tokens)
    settings.DATA_ENCRYPTION_KEYS = [crypto.generate_key()]
    with pytest.raises(DecryptionError):
        crypto.decrypt_bytes(tokens[0])


def test_the_import_encryptor_encrypts_with_the_primary_key(settings):
    old_key = settings.DATA_ENCRYPTION_KEYS[0]
    new_key = crypto.generate_key()
    settings.DATA_ENCRYPTION_KEYS = [new_key, old_key]
    token = crypto.Encryptor().encrypt(b"{}")
    assert Fernet(new_key.encode()).decrypt(token.encode("ascii")) == b"{}"


def test_the_same_nir_twice_in_a_breach_file_is_refused_by_the_database(breach_file):
    DataSubjectFactory(breach_file=breach_file, personal=ALICE)
    same_person_spaced = PersonalData(
        patient_ref="P-999",
        last_name="Autre",
        first_name="Nom",
        nir=" ".join([ALICE.nir[:1], ALICE.nir[1:7], ALICE.nir[7:]]),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        DataSubjectFactory(breach_file=breach_file, personal=same_person_spaced)
    assert DataSubject.objects.count() == 1


def test_the_same_patient_reference_twice_in_a_breach_file_is_refused_by_the_database(breach_file):
    DataSubjectFactory(breach_file=breach_file, personal=ALICE)
    with pytest.raises(IntegrityError), transaction.atomic():
        DataSubjectFactory(breach_file=breach_file, personal=PersonalData(patient_ref="p-000123 ", last_name="X"))


def test_the_same_person_may_appear_in_two_labs_and_is_found_by_the_nir_index(breach_file, other_breach_file):
    DataSubjectFactory(breach_file=breach_file, personal=ALICE)
    DataSubjectFactory(breach_file=other_breach_file, personal=ALICE)
    matches = DataSubject.objects.filter(nir_index=DataSubject.nir_lookup(ALICE.nir))
    assert {subject.breach_file_id for subject in matches} == {breach_file.pk, other_breach_file.pk}


def test_blind_indexes_depend_on_their_key(settings):
    first = crypto.blind_index("email", "someone@example.org")
    settings.BLIND_INDEX_KEY = "another-key"
    assert crypto.blind_index("email", "SomeOne@Example.org") != first
    assert crypto.blind_index("email", "") is None


def test_personal_data_never_shows_in_the_string_of_a_subject(breach_file):
    subject = DataSubjectFactory(breach_file=breach_file, personal=ALICE)
    assert "Kerbrat" not in str(subject) and "Kerbrat" not in repr(subject)


def test_the_nir_is_displayed_masked():
    assert ALICE.masked_nir.startswith("2 ")
    assert ALICE.nir[1:13] not in ALICE.masked_nir.replace(" ", "")
