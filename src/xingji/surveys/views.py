"""The survey pages of the branch secretary and its superiors (login), and the ballot (no login).

Every object is reached through ``access_session`` / the campaign's
``access_evaluation`` (404 outside the user's subtree); every change is one
service call whose refusal shows as a message or a form error.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xingji.accounts.access import NOT_FOUND, visible_organizations
from xingji.accounts.decorators import login_required
from xingji.campaigns import access as campaign_access
from xingji.common.exports import xlsx_response
from xingji.common.forms import add_service_error
from xingji.common.pagination import paginate
from xingji.common.pdf import PdfFontMissing
from xingji.common.views import messages_of
from xingji.surveys import services, slips
from xingji.surveys.forms import IssueForm, SessionOpenForm, SettingsForm
from xingji.surveys.models import SessionState, SurveySession, TokenKind


def access_session(user, pk) -> SurveySession:
    """A survey session of an organization in the user's subtree (404 otherwise, like a missing one)."""
    session = (
        SurveySession.objects.filter(evaluation__organization__in=visible_organizations(user))
        .select_related("evaluation__campaign", "evaluation__organization")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise Http404(NOT_FOUND)
    return session


# --- the secretary's pages ---------------------------------------------------------------------


@login_required
@require_GET
def evaluation_sessions(request, pk):
    """The evaluation's survey page: its sessions, and opening a new one."""
    evaluation = campaign_access.access_evaluation(request.user, pk)
    page, query = paginate(request, evaluation.survey_sessions.all())
    return render(
        request,
        "surveys/evaluation.html",
        {
            "evaluation": evaluation,
            "campaign": evaluation.campaign,
            "page": page,
            "query": query,
            "may_open": services.is_own(request.user, evaluation)
            and not evaluation.survey_sessions.filter(state=SessionState.OPEN).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_open(request, pk):
    evaluation = campaign_access.access_evaluation(request.user, pk)
    services.require_own(request.user, evaluation)
    today = timezone.localdate()
    form = SessionOpenForm(request.POST or None, initial={"meeting_on": today, "expires_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_open(evaluation=evaluation, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "测评已开启，请发放测评码")
            return redirect("surveys:issue", pk=session.pk)
    return render(
        request,
        "web/form_page.html",
        {
            "title": f"组织党员群众测评：{evaluation.organization.name}",
            "form": form,
            "submit": "开启测评",
            "note": "题目按评定方案生成：每项评定内容和总体评价分为满意、基本满意、不满意，另可填写意见建议。"
            f"参加测评的党员须达到党员总数的{evaluation.campaign.survey_min_participation_text}，测评方为有效。",
            "cancel_url": reverse("surveys:evaluation", args=[evaluation.pk]),
        },
    )


@login_required
@require_GET
def session_detail(request, pk):
    session = access_session(request.user, pk)
    evaluation = session.evaluation
    closed = session.state == SessionState.CLOSED
    context = {
        "session": session,
        "evaluation": evaluation,
        "campaign": evaluation.campaign,
        "counter": services.live_counter(session),
        "issued": {kind: session.tokens.filter(kind=kind).count() for kind in TokenKind.values},
        "has_ballots": session.ballots.exists(),
        "is_own": services.is_own(request.user, evaluation),
        "may_close": services.may_close(request.user, evaluation),
        "closed": closed,
    }
    if closed:
        context.update(_results(session))
    return render(request, "surveys/session.html", context)


def _results(session: SurveySession) -> dict:
    questions = session.questions
    labels = {option["code"]: option["label"] for option in questions["options"]}
    rows = [{"name": "总体评价", "counts": [session.distributions.get("overall", {}).get(code, 0) for code in labels]}]
    for criterion in questions.get("criteria", []):
        counts = session.distributions.get("criteria", {}).get(criterion["code"], {})
        rows.append(
            {"name": f"{criterion['code']}. {criterion['name']}", "counts": [counts.get(code, 0) for code in labels]}
        )
    chart = {"options": list(labels.values()), "rows": [{"name": row["name"], "counts": row["counts"]} for row in rows]}
    return {"option_labels": list(labels.values()), "distribution_rows": rows, "chart_data": chart}


@login_required
@require_http_methods(["GET", "POST"])
def session_settings(request, pk):
    session = access_session(request.user, pk)
    services.require_own(request.user, session.evaluation)
    form = SettingsForm(
        request.POST or None,
        initial={
            "public_tokens_allowed": session.public_tokens_allowed,
            "comments_collected": session.comments_collected,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.session_settings_change(session=session, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "匿名设置已保存")
            return redirect("surveys:session", pk=session.pk)
    return render(
        request,
        "web/form_page.html",
        {
            "title": "测评匿名设置",
            "form": form,
            "note": "测评票只记录答案和日期，不记录测评码、党员、IP或时间。第一张测评票提交后匿名设置即锁定。",
            "cancel_url": reverse("surveys:session", args=[session.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def tokens_issue(request, pk):
    """Issue codes; the answer to a valid POST is the slips (PDF) or the list of links (CSV), once."""
    session = access_session(request.user, pk)
    services.require_own(request.user, session.evaluation)
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = services.tokens_issue(
                session=session,
                member_tokens=data["member_tokens"],
                public_tokens=data["public_tokens"],
                replace_unused=data["replace_unused"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _slips_response(request, issued, data["output"])
    return render(
        request,
        "surveys/issue.html",
        {
            "title": "发放测评码",
            "form": form,
            "session": session,
            "evaluation": session.evaluation,
            "issued": {kind: session.tokens.filter(kind=kind).count() for kind in TokenKind.values},
            "cancel_url": reverse("surveys:session", args=[session.pk]),
        },
    )


def _download(body, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["Cache-Control"] = "no-store"
    return response


def _slips_response(request, issued: services.IssuedCodes, output: str) -> HttpResponse:
    # The site's address when the settings give it (XINGJI_BASE_URL; ``xingji demo --lan`` sets the LAN one),
    # so that phones reach it whatever address this page was opened at; else this request's.
    base_url = (settings.XINGJI_BASE_URL or request.build_absolute_uri("/")).rstrip("/")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"测评票-{issued.session.evaluation.organization.name}-{stamp}"
    if output != "csv":
        try:
            return _download(slips.slips_pdf(issued.session, issued.codes, base_url), "application/pdf", f"{name}.pdf")
        except PdfFontMissing:
            pass  # the codes exist only in this answer: hand them out as links rather than lose them
    return _download(slips.links_csv(issued.codes, base_url), "text/csv; charset=utf-8", f"{name}.csv")


@login_required
@require_POST
def session_close(request, pk):
    session = access_session(request.user, pk)
    services.require_may_close(request.user, session.evaluation)
    if not request.POST.get("confirm"):
        # Closing cannot be undone: it takes the tick that the meeting's voting is over.
        messages.error(request, "请先勾选“已确认本次测评会投票结束”，再结束测评")
        return redirect(reverse("surveys:session", args=[session.pk]) + "#close-session")
    try:
        closed = services.session_close(session=session, actor=request.user)
    except ValidationError as error:
        messages.error(request, messages_of(error))
    else:
        if closed.valid:
            messages.success(request, "测评已结束，结果已计入本组织的评定")
        else:
            messages.warning(request, "测评已结束：参加测评的党员不足规定比例，测评无效，请重新组织测评")
    return redirect("surveys:session", pk=session.pk)


@login_required
@require_GET
def ballots_export(request, pk):
    """The ballots of a closed session as .xlsx, in random order."""
    session = access_session(request.user, pk)
    if session.state != SessionState.CLOSED:
        messages.error(request, "测评结束前不能导出测评票")
        return redirect("surveys:session", pk=session.pk)
    questions = session.questions
    labels = {option["code"]: option["label"] for option in questions["options"]}
    criteria = questions.get("criteria", [])
    headers = ["回执码", "投票日期", "总体评价", *[f"{c['code']}. {c['name']}" for c in criteria], "意见建议"]
    rows = [
        [
            ballot.receipt,
            ballot.cast_on,
            labels.get(ballot.answers.get("overall"), ""),
            *[labels.get(ballot.answers.get("criteria", {}).get(c["code"]), "") for c in criteria],
            ballot.answers.get("comment", ""),
        ]
        for ballot in services.ballots_shuffled(session)
    ]
    name = session.evaluation.organization.name
    return xlsx_response(
        f"测评票-{name}.xlsx", "测评票", headers, rows, notes=["测评票按随机顺序排列，与投票先后无关。"]
    )
