"""The ballot (测评票), without login, phone first, usable without JavaScript.

``/ballot/``: the voter types the code from the slip (or the small script
takes it from the link's ``#t=`` fragment, which no server ever receives,
and clears it from the address bar); the code then travels only in POST
bodies: step 1 checks it and shows the questions with the code in a hidden
field, step 2 casts the ballot and shows the receipt code. Refusals are
pages in Chinese, with status 200 so that a phone shows them as they are.

The ballot sets no cookie at all: no session, and no CSRF cookie. The two
POST views are exempt from the CSRF check on purpose — it protects a user's
ambient credentials (a session cookie) from a forged request, and a ballot
has none: its only credential is the code in the body, which a forger would
need to know, and whoever knows it can submit it directly. The pages are
rendered without the request (no context processors), with the addresses
of their static files resolved once per process, and they take a short way
through the middleware (``xingji.surveys.middleware``): what keeps them
cheap under load (``bench/ballots.py``).
"""

from __future__ import annotations

from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from xingji.surveys import codes, services
from xingji.surveys.models import SessionState, SurveySession

STATIC_FILES = {"stylesheet": "surveys/ballot.css", "icon": "xingji/favicon.svg", "script": "surveys/ballot.js"}


@cache
def static_urls() -> dict[str, str]:
    """The ballot pages' static files (``static`` in their templates): their hashed names change only with a
    deployment, which restarts the processes."""
    return {name: static(path) for name, path in STATIC_FILES.items()}


@receiver(setting_changed)
def _static_urls_changed(*, setting: str, **kwargs) -> None:
    if setting in {"STATIC_URL", "STORAGES"}:
        static_urls.cache_clear()


def _page(template: str, context: dict):
    """A ballot page: only what the view passes (no navigation, no user, no token); never cached."""
    return HttpResponse(render_to_string(template, {"static_files": static_urls(), **context}))


def _refused(request, refusal: services.BallotRefused):
    return _page("surveys/ballot_refused.html", {"refusal": refusal})


def _questions(request, session: SurveySession, code: str, errors=None, data=None):
    questions = session.questions
    data = data or {}
    criteria = [
        {
            "code": c["code"],
            "name": c["name"],
            "field": f"criterion_{c['code']}",
            "value": data.get(f"criterion_{c['code']}", ""),
            "error": (errors or {}).get(f"criterion_{c['code']}"),
        }
        for c in questions.get("criteria", [])
    ]
    return _page(
        "surveys/ballot_questions.html",
        {
            "session": session,
            "organization": session.evaluation.organization,
            "code": code,
            "options": questions["options"],
            "criteria": criteria,
            "errors": errors or {},
            "overall": data.get("overall", ""),
            "comment": data.get("comment", ""),
        },
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def ballot_start(request):
    if request.method == "GET":
        return _page("surveys/ballot_start.html", {})
    code = request.POST.get("code", "")
    if not code.strip():
        return _page("surveys/ballot_start.html", {"error": "请输入测评票上的测评码"})
    try:
        session = services.ballot_session(code)
    except services.BallotRefused as refusal:
        return _refused(request, refusal)
    return _questions(request, session, codes.normalize(code))


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def ballot_submit(request):
    if request.method == "GET":
        return redirect("ballot:start")
    code = request.POST.get("code", "")
    try:
        receipt = services.ballot_cast(code=code, data=request.POST)
    except services.BallotRefused as refusal:
        return _refused(request, refusal)
    except services.BallotInvalid as invalid:
        try:
            session = services.ballot_session(code)
        except services.BallotRefused as refusal:
            return _refused(request, refusal)
        return _questions(request, session, codes.normalize(code), invalid.errors, request.POST)
    return _page("surveys/ballot_receipt.html", {"receipt": receipt})


@require_GET
def receipts(request, public_id):
    """The receipt codes of a closed session, published so that each voter can check that the ballot counted."""
    session = (
        SurveySession.objects.select_related("evaluation__organization")
        .filter(public_id=public_id, state=SessionState.CLOSED)
        .first()
    )
    if session is None:
        raise Http404("没有找到该测评")
    return render(
        request,
        "surveys/ballot_receipts.html",
        {
            "session": session,
            "organization": session.evaluation.organization,
            "receipts": services.receipts_sorted(session),
            "static_files": static_urls(),
        },
    )
