"""Production settings pass Django's deployment checks, send a Content Security Policy and refuse malformed keys."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest
from django.urls import reverse

from tests.breachdesk.test_settings import GOOD, ROOT, load_settings
from tests.conftest import require_service

PRODUCTION = {
    **GOOD,
    # Django's deployment check wants 50 characters or more.
    "SECRET_KEY": "a-real-secret-key-of-decent-length-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "breachdesk.example.org",
}


def _run(*arguments: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    """Run python with these arguments in the project, with the production environment and nothing of the tests'."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BREACHDESK_", "DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_", "SECURE_", "DJANGO_"))
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "breachdesk.settings",
            "BREACHDESK_VAR_DIR": str(ROOT / "var" / "test-settings"),
            "BREACHDESK_ENV_FILE": os.devnull,
            **PRODUCTION,
            **overrides,
        }
    )
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_the_deployment_checks_at_warning_level():
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_proxy_ssl_header_is_trusted_only_when_configured():
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    assert _run("-c", code).stdout.strip() == "None"
    configured = _run("-c", code, BREACHDESK_PROXY_SSL_HEADER="X-Forwarded-Proto: https")
    assert configured.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')", configured.stderr


def test_a_malformed_data_key_stops_the_start_without_showing_it():
    bad = "not-a-fernet-key-but-a-secret-all-the-same"
    result = load_settings(BREACHDESK_DATA_KEYS=f"{GOOD['BREACHDESK_DATA_KEYS']},{bad}")
    assert result.returncode != 0
    assert "BREACHDESK_DATA_KEYS: key 2 of 2 is not a Fernet key" in result.stderr
    assert bad not in result.stderr and GOOD["BREACHDESK_DATA_KEYS"] not in result.stderr


def test_a_short_audit_key_stops_the_start():
    result = load_settings(BREACHDESK_AUDIT_KEY="short")
    assert result.returncode != 0
    assert "BREACHDESK_AUDIT_KEY is shorter than 16 characters" in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_code(client, lab_dpo, breach_file):
    pages = [reverse("login")]
    client.force_login(lab_dpo)
    pages.append(reverse("breach_file_detail", args=[breach_file.incident.reference, breach_file.controller.code]))
    for page in pages:
        policy = client.get(page)["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


INLINE = re.compile(r"""<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|<style\b|\sstyle=|\son[a-z]+=""", re.I)


def test_no_page_template_holds_inline_scripts_styles_or_handlers():
    # Letters, PDFs and emails are rendered apart from the browser's policy and may style themselves.
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if not {"pdf", "email"} & set(path.parts) and INLINE.search(path.read_text())
    ]
    assert offenders == []


def test_two_installations_on_one_redis_never_see_each_others_tasks(monkeypatch):
    import redis
    from celery import Celery

    from breachdesk.queues import celery_isolation

    url = os.environ.get("BREACHDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        require_service("Redis")
    names = [f"install-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    # Celery prefers the environment's CELERY_BROKER_URL (CI sets one) to the broker an app is given.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    apps = []
    for name in names:
        app = Celery(name, broker=url, set_as_current=False)
        app.conf.update(**celery_isolation(installation=name, broker_url=url))
        apps.append(app)
    try:
        apps[0].send_task("notifications.campaign_tasks.send_notice_emails", args=[1])
        keys = {key.decode() for key in client.keys("install-*")}
        assert keys and all(key.startswith(f"{names[0]}:") for key in keys)
        with apps[1].connection_for_read() as connection:
            queue = connection.SimpleQueue(names[1])
            with pytest.raises(queue.Empty):
                queue.get(block=False)
            queue.close()
        with apps[0].connection_for_read() as connection:
            queue = connection.SimpleQueue(names[0])
            message = queue.get(timeout=5)
            assert message.headers["task"] == "notifications.campaign_tasks.send_notice_emails"
            message.ack()
            queue.close()
    finally:
        for name in names:
            for key in client.keys(f"{name}:*"):
                client.delete(key)
