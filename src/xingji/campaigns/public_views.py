"""The public notice pages (公示): no login, for anyone, on a phone as well.

* the notices, current and past, newest first;
* a notice: its organizations with their proposed levels, and the audit
  chain's head hash (at publication and now), so that a later rewrite of the
  database can be told from outside it;
* the objection form (异议): content required, contact optional. Each client
  (by IP address) may file ``XINGJI_OBJECTIONS_PER_CLIENT_PER_HOUR``
  objections an hour; the service caps each notice for everyone together.
  Either limit answers 429 with a Chinese message and writes nothing;
* the receipt page, showing the receipt number once (it is stored only as a
  digest), and the lookup of an answer by receipt number (sent by POST, so
  that it never appears in a logged query string). An unknown receipt and a
  malformed one get the same answer.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods

from xingji.audit.chain import head_hash
from xingji.audit.models import AuditEntry
from xingji.campaigns import access
from xingji.campaigns.models import Notice, NoticeState
from xingji.campaigns.public_forms import RECEIPT_MAX_LENGTH, ObjectionForm, ReceiptLookupForm
from xingji.campaigns.selectors import notice_entries, objection_by_receipt, public_notices
from xingji.campaigns.services import objection_file
from xingji.common.errors import TransitionRefused
from xingji.common.pagination import paginate

#: Objections one client (IP address) may file in an hour (``XINGJI_OBJECTIONS_PER_CLIENT_PER_HOUR``).
DEFAULT_OBJECTIONS_PER_CLIENT_PER_HOUR = 5
NOTICES_PER_PAGE = 20
SESSION_RECEIPT = "xingji_objection_receipt"
THROTTLED_MESSAGE = "提交过于频繁，请一小时后再试。"
NOT_FOUND_MESSAGE = "未查到该回执号对应的异议，请核对回执号（字母不区分大小写）。"


def _no_store(response):
    add_never_cache_headers(response)
    return response


def client_address(request) -> str:
    """The client's IP address: ``REMOTE_ADDR``, or the header a trusted proxy sets (``XINGJI_CLIENT_IP_HEADER``)."""
    header = getattr(settings, "XINGJI_CLIENT_IP_HEADER", "")
    if header:
        forwarded = request.META.get(header, "")
        # X-Forwarded-For: client, proxy1, proxy2 — the proxy in front of us appends the last one.
        address = forwarded.split(",")[-1].strip()
        if address:
            return address
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _client_key(request) -> str:
    # The address is hashed: the cache need not hold who objected.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{client_address(request)}".encode()).hexdigest()[:32]
    return f"xingji:objections:client:{digest}"


def client_throttled(request) -> bool:
    """Count one filing attempt of this client; True when it went over its hourly limit."""
    limit = getattr(settings, "XINGJI_OBJECTIONS_PER_CLIENT_PER_HOUR", DEFAULT_OBJECTIONS_PER_CLIENT_PER_HOUR)
    key = _client_key(request)
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > limit


def _publication_hash(notice: Notice) -> str | None:
    """The audit chain's head right after the notice was published: the hash of its ``notice.published`` entry."""
    return (
        AuditEntry.objects.filter(
            action="notice.published", object_type=Notice._meta.label_lower, object_id=str(notice.pk)
        )
        .order_by("-sequence")
        .values_list("hash", flat=True)
        .first()
    )


@require_GET
def notice_list(request):
    page_obj, query = paginate(request, public_notices(), NOTICES_PER_PAGE)
    return render(
        request,
        "campaigns/public/notice_list.html",
        {
            "page_obj": page_obj,
            "query": query,
            "head_hash": head_hash(),
        },
    )


@require_GET
def notice_detail(request, pk):
    notice = access.public_notice(pk)
    return render(
        request,
        "campaigns/public/notice_detail.html",
        {
            "notice": notice,
            "entries": notice_entries(notice),
            "open": notice.state == NoticeState.PUBLISHED,
            "publication_hash": _publication_hash(notice),
            "head_hash": head_hash(),
        },
    )


@require_http_methods(["GET", "POST"])
def objection_create(request, pk):
    notice = access.public_notice(pk)
    entries = list(notice_entries(notice))
    context = {"notice": notice, "open": notice.state == NoticeState.PUBLISHED}
    if request.method == "POST":
        form = ObjectionForm(request.POST, entries=entries)
        if form.is_valid() and context["open"]:
            if client_throttled(request):
                context.update(form=form, refusal=THROTTLED_MESSAGE)
                return render(request, "campaigns/public/objection_form.html", context, status=429)
            entry = next(entry for entry in entries if entry.pk == form.cleaned_data["entry"])
            try:
                filed = objection_file(
                    notice=notice,
                    evaluation=entry.evaluation,
                    content=form.cleaned_data["content"],
                    contact=form.cleaned_data["contact"],
                )
            except TransitionRefused as refusal:
                status = 429 if refusal.code == "throttled" else 400
                context.update(form=form, refusal=" ".join(refusal.messages))
                return render(request, "campaigns/public/objection_form.html", context, status=status)
            request.session[SESSION_RECEIPT] = {
                "receipt": filed.receipt,
                "notice": notice.title,
                "organization": entry.organization.name,
            }
            return redirect("public:objection_receipt")
    else:
        initial = {}
        chosen = request.GET.get("entry", "")
        if chosen.isdigit() and any(entry.pk == int(chosen) for entry in entries):
            initial["entry"] = int(chosen)
        form = ObjectionForm(initial=initial, entries=entries)
    context["form"] = form
    return render(request, "campaigns/public/objection_form.html", context)


@require_GET
def objection_receipt(request):
    """The receipt number of the objection just filed, shown once: the session forgets it."""
    filed = request.session.pop(SESSION_RECEIPT, None)
    return _no_store(render(request, "campaigns/public/objection_receipt.html", {"filed": filed}))


@require_http_methods(["GET", "POST"])
def objection_lookup(request):
    objection = None
    searched = False
    if request.method == "POST":
        form = ReceiptLookupForm(request.POST)
        if form.is_valid():
            searched = True
            receipt = form.cleaned_data["receipt"].strip()
            if len(receipt) <= RECEIPT_MAX_LENGTH:
                objection = objection_by_receipt(receipt)
    else:
        form = ReceiptLookupForm()
    return _no_store(
        render(
            request,
            "campaigns/public/objection_lookup.html",
            {
                "form": form,
                "objection": objection,
                "searched": searched,
                "not_found": NOT_FOUND_MESSAGE,
            },
        )
    )
