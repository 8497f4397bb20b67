"""The lockout backend, first of the authentication backends."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class ThrottledBackend(AxesStandaloneBackend):
    """Refuse locked-out accounts and addresses; an authentication without a request is not a sign-in."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        # Only code calls authenticate() without a request (the test client, a shell): no client to throttle.
        # Every sign-in over HTTP (the site's and the admin's login forms) passes its request.
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
