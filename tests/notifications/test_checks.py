"""The start-up checks: libharfbuzz-subset, SMTP timeouts under the claim heartbeat timeout."""

from __future__ import annotations

import ctypes.util

from notifications.checks import harfbuzz_subset_is_installed, smtp_operations_are_bounded_under_the_claim_heartbeat


def test_the_check_is_silent_when_harfbuzz_subset_is_installed():
    assert ctypes.util.find_library("harfbuzz-subset"), "make test installs libharfbuzz-subset0"
    assert harfbuzz_subset_is_installed() == []


def test_the_check_warns_when_harfbuzz_subset_is_missing(monkeypatch):
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    [warning] = harfbuzz_subset_is_installed()
    assert warning.id == "notifications.W001"
    assert "libharfbuzz-subset0" in warning.hint


def test_the_default_smtp_timeout_is_well_under_the_claim_heartbeat_timeout():
    assert smtp_operations_are_bounded_under_the_claim_heartbeat() == []


def test_an_smtp_connection_without_a_timeout_is_refused_at_start_up(settings):
    settings.EMAIL_TIMEOUT = None
    [error] = smtp_operations_are_bounded_under_the_claim_heartbeat()
    assert error.id == "notifications.E001"


def test_an_smtp_timeout_near_the_heartbeat_timeout_is_refused_at_start_up(settings):
    settings.EMAIL_TIMEOUT = settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS - 1
    [error] = smtp_operations_are_bounded_under_the_claim_heartbeat()
    assert error.id == "notifications.E001"
