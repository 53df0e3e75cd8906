"""The login lockout (django-axes): by account *and* client address, with a higher ceiling per address.

Two limits, both counted over the cool-off (``XINGJI_LOCKOUT_MINUTES``):

* an **account on one client address** is locked after
  ``XINGJI_LOGIN_FAILURE_LIMIT`` failed logins from that address
  (``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]``): a colleague
  behind the same NAT address, and the same account from another address,
  are not locked;
* a **client address** is locked after ``XINGJI_IP_FAILURE_LIMIT`` failed
  logins from it, whatever the accounts it tries (guessing across accounts).

Axes has one limit; ``LockoutHandler`` adds the second by counting an
address that reached its ceiling as having reached the account limit too.
A try during a lockout is not recorded
(``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``), so a lockout
ends at a known time, which the lockout page and the user list tell in
minutes. The office lifts an account's lockout from the user list
(``xingji.accounts.services.user_unlock``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address: ``REMOTE_ADDR``, or the header a trusted proxy sets (``XINGJI_CLIENT_IP_HEADER``).

    Behind a proxy every client would otherwise share the proxy's address, and
    so one per-address ceiling.
    """
    header = getattr(settings, "XINGJI_CLIENT_IP_HEADER", "")
    if header:
        # X-Forwarded-For: client, proxy1, proxy2 — the proxy in front of us appends the last one.
        address = str(request.META.get(header, "")).split(",")[-1].strip()
        if address:
            return address
    return request.META.get("REMOTE_ADDR") or None


def cool_off() -> timedelta:
    """How long failures count and a lockout lasts (``AXES_COOLOFF_TIME``, from ``XINGJI_LOCKOUT_MINUTES``)."""
    return get_cool_off() or timedelta(minutes=settings.XINGJI_LOCKOUT_MINUTES)


def account_failure_limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)


def address_failures(ip_address: str | None, since: datetime) -> int:
    """The failed logins from a client address since ``since``, whatever the accounts."""
    if not ip_address:
        return 0
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return int(total or 0)


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, with a second, higher limit per client address (``XINGJI_IP_FAILURE_LIMIT``)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The failures of the account from this address; the account limit if the address reached its ceiling."""
        failures = super().get_failures(request, credentials)
        if address_failures(request.axes_ip_address, get_cool_off_threshold(request)) >= ip_failure_limit():
            return max(failures, get_failure_limit(request, credentials))
        return failures


def ip_failure_limit() -> int:
    return int(settings.XINGJI_IP_FAILURE_LIMIT)


@dataclass(frozen=True)
class _Attempt:
    attempt_time: datetime
    failures: int


def _locked_until(attempts: Iterable[_Attempt], limit: int, period: timedelta) -> datetime | None:
    """When failures counted over ``period`` fall below ``limit`` again, or None if they are below it now.

    A row of attempts leaves the count whole, ``period`` after its last failure.
    """
    ordered = sorted(attempts, key=lambda attempt: attempt.attempt_time)
    total = sum(attempt.failures for attempt in ordered)
    if total < limit:
        return None
    until = None
    for attempt in ordered:
        if total < limit:
            break
        total -= attempt.failures
        until = attempt.attempt_time + period
    return until


def minutes_until(moment: datetime | None, now: datetime) -> int:
    """Whole minutes from ``now`` to ``moment``, rounded up (at least 1), or 0 when there is none."""
    if moment is None:
        return 0
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def _attempts(**filters) -> list[tuple[str, str | None, _Attempt]]:
    rows = AccessAttempt.objects.filter(**filters).values_list(
        "username", "ip_address", "attempt_time", "failures_since_start"
    )
    return [(username, ip, _Attempt(time, failures)) for username, ip, time, failures in rows]


def account_locks(usernames: Iterable[str], *, now: datetime | None = None) -> dict[str, int]:
    """The accounts among ``usernames`` locked on some client address, each with the minutes left (the longest)."""
    now = now or timezone.now()
    period = cool_off()
    grouped: dict[tuple[str, str | None], list[_Attempt]] = defaultdict(list)
    for username, ip, attempt in _attempts(username__in=list(usernames), attempt_time__gte=now - period):
        grouped[(username, ip)].append(attempt)
    limit = account_failure_limit()
    locks: dict[str, int] = {}
    for (username, _ip), attempts in grouped.items():
        minutes = minutes_until(_locked_until(attempts, limit, period), now)
        if minutes:
            locks[username] = max(minutes, locks.get(username, 0))
    return locks


def recent_failures(username: str, *, now: datetime | None = None) -> int:
    """The failed logins of an account over the cool-off, from every client address."""
    since = (now or timezone.now()) - cool_off()
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return int(total or 0)


@dataclass(frozen=True)
class Lockout:
    """Why a login is refused and for how long: the account on this address, or the address itself."""

    username: str
    account_minutes: int
    address_minutes: int

    @property
    def minutes(self) -> int:
        return max(self.account_minutes, self.address_minutes) or math.ceil(cool_off().total_seconds() / 60)

    @property
    def by_address(self) -> bool:
        return self.address_minutes > 0 and self.address_minutes >= self.account_minutes


def lockout_of(username: str, ip_address: str | None, *, now: datetime | None = None) -> Lockout:
    now = now or timezone.now()
    period = cool_off()
    since = now - period
    account = [
        attempt for _, _, attempt in _attempts(username=username, ip_address=ip_address, attempt_time__gte=since)
    ]
    address = [attempt for _, _, attempt in _attempts(ip_address=ip_address, attempt_time__gte=since)]
    return Lockout(
        username=username,
        account_minutes=minutes_until(_locked_until(account, account_failure_limit(), period), now),
        address_minutes=minutes_until(_locked_until(address, ip_failure_limit(), period), now),
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The lockout page (``AXES_LOCKOUT_CALLABLE``): in Chinese, why and how many minutes are left; HTTP 429."""
    username = get_client_username(request, credentials) or ""
    lockout = lockout_of(username, getattr(request, "axes_ip_address", None) or client_address(request))
    context = {
        "username": username,
        "failure_limit": account_failure_limit(),
        "ip_failure_limit": ip_failure_limit(),
        "minutes_left": lockout.minutes,
        "by_address": lockout.by_address,
    }
    return render(request, "accounts/lockout.html", context, status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429))
