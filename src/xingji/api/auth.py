"""``Authorization: Bearer <token>``: which client asks, whether it may ask now, and what it may do.

Refusals: no token, a malformed, unknown, expired or revoked one → 401; a
client over its rate (``XINGJI_API_RATE_PER_MINUTE`` requests per minute,
counted in the shared cache, so every app server counts together) → 429 with
``Retry-After``; a scope the client lacks → 403.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer

from xingji.api.errors import ApiError
from xingji.api.models import ApiClient
from xingji.api.scopes import label
from xingji.api.services import TokenRefused, api_client_authenticate

WINDOW_SECONDS = 60


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiClient | None:
        if not request.headers.get("Authorization"):
            raise ApiError(401, "token_missing", "缺少令牌：请在 Authorization 头中以 Bearer 方式提供令牌")
        return super().__call__(request)  # type: ignore[no-any-return]

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient:
        try:
            client = api_client_authenticate(token.strip())
        except TokenRefused as refusal:
            raise ApiError(401, refusal.code, refusal.message) from None
        # Remembered for the request log (``xingji.api.urls``), whatever the answer.
        request.api_client = client  # type: ignore[attr-defined]
        check_rate(client)
        return client


def check_rate(client: ApiClient) -> None:
    """Count the request in the client's current minute; 429 beyond the limit."""
    limit = settings.XINGJI_API_RATE_PER_MINUTE
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"xingji:api:rate:{client.pk}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count > limit:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
        raise RateLimited(retry_after)


class RateLimited(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            "rate_limited",
            f"请求过于频繁：每分钟最多 {settings.XINGJI_API_RATE_PER_MINUTE} 次，请 {retry_after} 秒后再试",
        )
        self.retry_after = retry_after


def require_scope(request: HttpRequest, scope: str) -> ApiClient:
    """The request's client, if it holds ``scope``; 403 otherwise."""
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    if not client.has_scope(scope):
        raise ApiError(
            403,
            "scope_missing",
            f"该令牌没有“{label(scope)}”权限",
            [{"location": ["scope"], "message": scope, "code": "scope_missing"}],
        )
    return client
