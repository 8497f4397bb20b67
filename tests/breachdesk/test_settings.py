"""Settings come from the environment and the .env file; production refuses missing secrets or DEBUG on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "BREACHDESK_ENV": "production",
    "SECRET_KEY": "a-real-secret-key-of-decent-length-0123456789",
    "BREACHDESK_DATA_KEYS": "q3wqm0n1J8m0m3gJ0b3Lr8xvKo3m0Jj7b9kQw3d2Wc0=",
    "BREACHDESK_BLIND_INDEX_KEY": "another-real-secret-for-indexes",
    "BREACHDESK_AUDIT_KEY": "a-third-real-secret-for-the-audit-chain",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/breachdesk",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DEBUG": "false",
}


def load_settings(*, setting: str = "DEBUG", then: str = "", **overrides: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter with exactly this environment, print one setting, run `then`."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BREACHDESK_", "DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_", "LOG_LEVEL"))
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "breachdesk.settings",
            "BREACHDESK_VAR_DIR": str(ROOT / "var" / "test-settings"),
            # A developer's own .env stays out of these tests.
            "BREACHDESK_ENV_FILE": os.devnull,
            **GOOD,
            **overrides,
        }
    )
    environment = {key: value for key, value in environment.items() if value != "<unset>"}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print(settings.{setting}); {then}",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_start_with_every_secret_and_debug_off():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_settings_refuse_a_missing_secret_key():
    result = load_settings(SECRET_KEY="<unset>")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_refuse_missing_data_keys():
    result = load_settings(BREACHDESK_DATA_KEYS="<unset>", BREACHDESK_BLIND_INDEX_KEY="<unset>")
    assert result.returncode != 0
    assert "BREACHDESK_DATA_KEYS" in result.stderr and "BREACHDESK_BLIND_INDEX_KEY" in result.stderr


def test_production_settings_refuse_debug():
    result = load_settings(DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_development_settings_start_with_no_configuration_at_all():
    result = load_settings(**{key: "<unset>" for key in GOOD})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_settings_read_the_env_file_that_breachdesk_env_file_names(tmp_path):
    env_file = tmp_path / "breachdesk.env"
    env_file.write_text("LOG_LEVEL=WARNING\n")
    result = load_settings(setting="LOGGING['root']['level']", BREACHDESK_ENV_FILE=str(env_file))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "WARNING"


def test_the_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / "breachdesk.env"
    env_file.write_text("LOG_LEVEL=WARNING\n")
    result = load_settings(setting="LOGGING['root']['level']", BREACHDESK_ENV_FILE=str(env_file), LOG_LEVEL="ERROR")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ERROR"


def test_settings_refuse_an_env_file_that_does_not_exist(tmp_path):
    result = load_settings(BREACHDESK_ENV_FILE=str(tmp_path / "missing.env"))
    assert result.returncode != 0
    assert "BREACHDESK_ENV_FILE" in result.stderr


def test_the_var_dir_may_come_from_the_env_file(tmp_path):
    var_dir = tmp_path / "var-from-env-file"
    env_file = tmp_path / "breachdesk.env"
    env_file.write_text(f"BREACHDESK_VAR_DIR={var_dir}\n")
    result = load_settings(setting="VAR_DIR", BREACHDESK_ENV_FILE=str(env_file), BREACHDESK_VAR_DIR="<unset>")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(var_dir)
    assert (var_dir / "static").is_dir()


def test_every_periodic_task_of_the_beat_schedule_is_a_registered_task():
    from django.conf import settings

    from breachdesk.celery import app

    app.loader.import_default_modules()
    registered = set(app.tasks.keys())
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in registered


def test_the_embedded_broker_of_development_connects_without_kombu_warning_of_a_missing_host():
    result = load_settings(
        **{key: "<unset>" for key in GOOD},
        setting="CELERY_BROKER_URL",
        then=(
            "import logging, kombu; logging.basicConfig(); connection = kombu.Connection("
            "settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS);"
            " connection.info(); connection.connect(); connection.release()"
        ),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("filesystem://")
    assert "No hostname was supplied" not in result.stderr


def test_production_requires_the_second_factor_and_development_does_not():
    assert load_settings(setting="REQUIRE_MFA").stdout.strip() == "True"
    development = load_settings(setting="REQUIRE_MFA", BREACHDESK_ENV="development", DEBUG="<unset>")
    assert development.stdout.strip() == "False"


def test_no_proxy_is_trusted_unless_configured():
    assert load_settings(setting="TRUSTED_PROXIES").stdout.strip() == "[]"
    configured = load_settings(setting="TRUSTED_PROXIES", BREACHDESK_TRUSTED_PROXIES="10.0.0.1,10.0.1.0/24")
    assert configured.stdout.strip() == "['10.0.0.1', '10.0.1.0/24']"
