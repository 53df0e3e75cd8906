"""The ballot's short way through the middleware (``BallotMiddleware``).

The two ballot pages a phone posts to (``/ballot/`` and ``/ballot/submit/``)
use no session, no user, no message and no CSRF token (see
``xingji.surveys.public_views``): the middleware that provides them only
costs time there, at the moment a whole meeting votes. They go through the
middleware that still applies to them — the security headers, the host
check — and nothing else; every other address goes through the whole stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponseBase
from django.urls import ResolverMatch, resolve, reverse
from django.utils.module_loading import import_string

Handler = Callable[[HttpRequest], HttpResponseBase]

#: What the ballot pages keep of the middleware listed after this one, in the order of ``MIDDLEWARE``:
#: the host check and slash redirect (CommonMiddleware), ``X-Frame-Options`` (XFrameOptionsMiddleware).
#: ``SecurityMiddleware`` (HTTPS redirect, HSTS, nosniff, referrer policy) comes before this one and applies.
KEPT = (
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)
#: The ballot pages taking the short way, by URL name: the receipt list renders with the request (navigation,
#: user) and takes the whole stack.
SHORT_WAY = ("ballot:start", "ballot:submit")


class BallotMiddleware:
    """Sends the ballot pages through ``KEPT`` only; listed right after the security and static files middleware."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        here = f"{__name__}.{type(self).__name__}"
        after = settings.MIDDLEWARE[settings.MIDDLEWARE.index(here) + 1 :]
        # As Django builds its own chain: each layer turns the exceptions below it into responses.
        short: Callable[[HttpRequest], Any] = convert_exception_to_response(self._view)
        for path in reversed([path for path in after if path in KEPT]):
            short = convert_exception_to_response(import_string(path)(short))
        self.short_way = short
        self._paths: frozenset[str] | None = None
        # The two pages take no argument: each resolves to one match, kept.
        self._matches: dict[str, ResolverMatch] = {}

    def paths(self) -> frozenset[str]:
        # Reversed on the first request, once the URLconf can be loaded.
        if self._paths is None:
            self._paths = frozenset(reverse(name) for name in SHORT_WAY)
        return self._paths

    def _view(self, request: HttpRequest) -> HttpResponseBase:
        """The page's view, called as Django's handler calls it (no ``process_view`` of the skipped middleware)."""
        match = self._matches.get(request.path_info)
        if match is None:
            match = self._matches[request.path_info] = resolve(request.path_info)
        request.resolver_match = match
        response: HttpResponseBase | None = match.func(request, *match.args, **match.kwargs)
        if response is None:
            raise ValueError(f"The view {match.view_name} returned None.")
        return response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path in self.paths():
            return self.short_way(request)
        return self.get_response(request)
