"""The start-up check for libharfbuzz-subset."""

from __future__ import annotations

import ctypes.util

from notifications.checks import harfbuzz_subset_is_installed


def test_the_check_is_silent_when_harfbuzz_subset_is_installed():
    assert ctypes.util.find_library("harfbuzz-subset"), "make test installs libharfbuzz-subset0"
    assert harfbuzz_subset_is_installed() == []


def test_the_check_warns_when_harfbuzz_subset_is_missing(monkeypatch):
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    [warning] = harfbuzz_subset_is_installed()
    assert warning.id == "notifications.W001"
    assert "libharfbuzz-subset0" in warning.hint
