"""The campaign pages of the office, the reviewers and the branches.

Thin views: every object is reached through ``xingji.campaigns.access``
(404 outside the user's subtree), every change is one service call. A
``TransitionRefused`` (state or data) shows as a form error or a message;
an ``ActionForbidden`` (role) is a 403.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xingji.accounts.access import access_organization, visible_organizations
from xingji.accounts.decorators import login_required
from xingji.accounts.models import Role
from xingji.campaigns import access, scoring, selectors, services, workflow
from xingji.campaigns.documents import self_evaluation_docx
from xingji.campaigns.forms import (
    UPLOAD,
    ApprovalForm,
    CampaignCreateForm,
    CampaignEditForm,
    DirectCheckForm,
    EvaluationFilterForm,
    MunicipalReturnForm,
    MunicipalSendForm,
    NoticeForm,
    ObjectionAnswerForm,
    ReasonForm,
    ReviewForm,
    ScopedNoticeForm,
    SelfEvaluationForm,
    SuperiorEvaluationForm,
    TieDecisionForm,
    evidence_help_text,
)
from xingji.campaigns.models import (
    Campaign,
    CriterionScore,
    Evaluation,
    EvaluationState,
    NoticeState,
    ObjectionState,
    QuotaMode,
    QuotaTie,
    ScorePart,
    TieState,
)
from xingji.campaigns.withdraw_views import withdraw_offers
from xingji.common import documents
from xingji.common.confirmation import CONFIRMATION_PHRASE, ConfirmationForm
from xingji.common.documents import DOCX_TYPE
from xingji.common.exports import export_stamp, xlsx_response
from xingji.common.forms import add_service_error
from xingji.common.pagination import paginate
from xingji.common.views import attempt, messages_of, passes, refused
from xingji.orgs.models import Organization
from xingji.records.attachments import attachment_response
from xingji.records.kinds import KIND_BY_MODEL
from xingji.records.selectors import evaluation_evidence, fact_lines
from xingji.reports import selectors as report_selectors


def _office_campaign(request, pk) -> Campaign:
    """A campaign the user sees (404) and runs as the committee office (403)."""
    return access.access_campaign(request.user, pk, write=True)


def _is_self(user, evaluation: Evaluation) -> bool:
    if user.is_superuser:
        return True
    return user.organization_id == evaluation.organization_id and user.role in access.SELF_ROLES


def _level_rows(campaign: Campaign, counts: dict[int, int]) -> list[dict]:
    """One row per level of the scheme (highest first) with its count and a bar width (0-100)."""
    largest = max(counts.values(), default=0)
    rows = []
    for level in sorted(campaign.scheme.level_values(), reverse=True):
        count = counts.get(level, 0)
        rows.append(
            {
                "level": level,
                "name": campaign.level_name(level),
                "count": count,
                "width": round(count * 100 / largest) if largest else 0,
            }
        )
    return rows


def _chart(campaign: Campaign, proposed: dict[int, int], approved: dict[int, int]) -> dict:
    """Geometry of the inline SVG bar chart: two bars (proposed, approved) per level."""
    rows = []
    largest = max([*proposed.values(), *approved.values()], default=0) or 1
    for index, level in enumerate(sorted(campaign.scheme.level_values(), reverse=True)):
        y = 10 + index * 44
        rows.append(
            {
                "level": level,
                "name": campaign.level_name(level),
                "y": y,
                "label_y": y + 22,
                "proposed": proposed.get(level, 0),
                "approved": approved.get(level, 0),
                "proposed_width": round(proposed.get(level, 0) * 380 / largest),
                "approved_width": round(approved.get(level, 0) * 380 / largest),
                "proposed_y": y + 2,
                "approved_y": y + 20,
            }
        )
    return {"rows": rows, "height": 20 + len(rows) * 44}


# --- campaigns ---------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request):
    campaigns = selectors.campaign_list(user=request.user)
    page, query = paginate(request, campaigns)
    can_create = request.user.is_superuser or request.user.role == Role.COMMITTEE_OFFICE
    return render(request, "campaigns/campaign_list.html", {"page_obj": page, "query": query, "can_create": can_create})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    user = request.user
    if not (user.is_superuser or (user.role == Role.COMMITTEE_OFFICE and user.organization_id)):
        raise PermissionDenied("只有市直工委组织部可以开展评定活动")
    initial = {"year": timezone.localdate().year, "root": user.organization_id}
    form = CampaignCreateForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["scheme"] == UPLOAD
        try:
            campaign = services.campaign_create(
                root=data["root"],
                year=data["year"],
                kind=data["kind"],
                scheme="" if upload else data["scheme"],
                scheme_text=data.get("scheme_text") if upload else None,
                scheme_filename=data["scheme_file"].name if upload else "",
                quota_mode=data["quota_mode"],
                notice_days=data["notice_days"],
                deadline=data["deadline"],
                name=data["name"],
                actor=user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已创建评定活动“{campaign.name}”，请核对后开展")
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/form.html",
        {
            "title": "开展评定活动",
            "form": form,
            "multipart": True,
            "submit": "创建",
            "cancel_url": reverse("campaigns:list"),
        },
    )


@login_required
@require_POST
def campaign_open(request, pk):
    campaign = _office_campaign(request, pk)
    try:
        # A user opens a campaign only with a deadline ahead (the service also takes past years' campaigns).
        services.deadline_check(campaign.deadline)
    except ValidationError as error:
        refused(request, error)
    else:
        attempt(
            request,
            services.campaign_open,
            campaign=campaign,
            actor=request.user,
            success="评定活动已开展，各组织可以开始自评",
        )
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk):
    """The office changes a draft campaign's settings; refused (with a message) once it is opened."""
    campaign = _office_campaign(request, pk)
    try:
        workflow.check_campaign("update", campaign)
    except ValidationError as error:
        refused(request, error)
        return redirect("campaigns:detail", pk=campaign.pk)
    initial = {name: getattr(campaign, name) for name in services.CAMPAIGN_UPDATABLE_FIELDS}
    form = CampaignEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign=campaign, data=form.cleaned_data, actor=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "评定活动已修改")
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/form.html",
        {
            "title": f"修改评定活动：{campaign.name}",
            "campaign": campaign,
            "form": form,
            "submit": "保存",
            "cancel_url": reverse("campaigns:detail", args=[campaign.pk]),
        },
    )


def _node_for(request, campaign: Campaign) -> Organization:
    """The node of the progress page: ?node=…, else the campaign's root, else the user's own organization."""
    if request.GET.get("node"):
        node = access_organization(request.user, request.GET["node"])
        if not node.path.startswith(campaign.root.path):
            raise Http404("没有找到该组织")
        return node
    if visible_organizations(request.user).filter(pk=campaign.root_id).exists():
        return campaign.root
    return access_organization(request.user, request.user.organization_id)


def _children_counts(request, campaign: Campaign, node: Organization) -> list[dict]:
    """The node's children with their evaluations per state, in two queries."""
    children = list(
        visible_organizations(request.user).filter(path__startswith=node.path, depth=node.depth + 1).order_by("path")
    )
    if not children:
        return []
    width = len(node.path) + Organization.steplen
    rows = (
        selectors.evaluation_list(user=request.user, campaign=campaign)
        .order_by()
        .filter(organization__path__startswith=node.path, organization__depth__gt=node.depth)
        .annotate(branch=Substr("organization__path", 1, width))
        .values("branch")
        .annotate(
            total=Count("id"),
            submitted=Count("id", filter=~Q(state=EvaluationState.SELF_DRAFT)),
            approved=Count("id", filter=Q(approved_level__isnull=False)),
        )
    )
    counts = {row["branch"]: row for row in rows}
    return [
        {"organization": child, **counts.get(child.path, {"total": 0, "submitted": 0, "approved": 0})}
        for child in children
    ]


@login_required
@require_GET
def campaign_detail(request, pk):
    """The progress page (评定进度): states, overdue, levels proposed and approved, drill-down."""
    campaign = access.access_campaign(request.user, pk)
    node = _node_for(request, campaign)
    progress = selectors.campaign_progress(user=request.user, campaign=campaign, node=node)
    states = [
        {"value": value, "label": label, "count": progress.by_state.get(value, 0)}
        for value, label in EvaluationState.choices
    ]
    step = Organization.steplen
    ancestor_paths = [node.path[:end] for end in range(len(campaign.root.path), len(node.path), step)]
    # A crumb links only where ``_node_for`` would let the user go: inside its subtree (one query for all).
    ancestors = list(
        Organization.objects.filter(path__in=ancestor_paths)
        .order_by("path")
        .annotate(openable=Exists(visible_organizations(request.user).filter(pk=OuterRef("pk"))))
    )
    chart = _chart(campaign, progress.by_level, progress.by_approved_level)
    is_office = access.is_office_for(request.user, campaign)
    allowed = workflow.allowed_campaign_transitions(campaign)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "node": node,
            "ancestors": ancestors,
            "progress": progress,
            "states": states,
            "proposed": _level_rows(campaign, progress.by_level),
            "approved": _level_rows(campaign, progress.by_approved_level),
            "chart": chart,
            "chart_data": [
                {"level": row["level"], "name": row["name"], "proposed": row["proposed"], "approved": row["approved"]}
                for row in chart["rows"]
            ],
            "children": _children_counts(request, campaign, node),
            "is_office": is_office,
            "allowed": allowed,
            # What ``services.municipal_review_send`` would send: the link only when it is not nothing.
            "municipal_pending": is_office
            and "municipal" in allowed
            and selectors.municipal_pending(campaign).exists(),
            "municipal_outstanding": (
                is_office and "municipal" in allowed and selectors.municipal_outstanding(campaign).exists()
            ),
            # The whole campaign's states (the progress above may be a node's): what a notice or an approval would take.
            "campaign_states": (
                dict(campaign.evaluations.order_by().values_list("state").annotate(n=Count("id")))
                if is_office and ("publish" in allowed or "approve" in allowed)
                else {}
            ),
            "top_level_name": campaign.level_name(campaign.top_level),
            "deadline_past": not passes(services.deadline_check, campaign.deadline),
            "quota_mode_changeable": is_office and passes(services.campaign_quota_mode_check, campaign),
            "notices": list(campaign.notices.all()),
            "approvals": list(campaign.approvals.all()),
        },
    )


@login_required
@require_GET
def evaluation_list(request, pk):
    campaign = access.access_campaign(request.user, pk)
    form = EvaluationFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    evaluations = selectors.evaluation_list(user=request.user, campaign=campaign, state=data.get("state") or None)
    if data.get("q"):
        evaluations = evaluations.filter(
            Q(organization__name__icontains=data["q"]) | Q(organization__code__icontains=data["q"])
        )
    under = None
    if data.get("under"):
        under = access_organization(request.user, data["under"])
        evaluations = evaluations.filter(organization__path__startswith=under.path)
    if data.get("survey"):
        # Only a valid survey writes its figures: none yet is "not done" (what blocks the superior evaluation).
        evaluations = evaluations.filter(survey_satisfaction__isnull=data["survey"] == "missing")
    if request.GET.get("overdue") and timezone.localdate() > campaign.deadline:
        evaluations = evaluations.filter(state=EvaluationState.SELF_DRAFT)
    page, query = paginate(request, evaluations)
    # The level proposed here, and the organization's level now (the star ledger's: after a re-review or a
    # re-check, not the level this campaign approved).
    rows = [
        (
            evaluation,
            campaign.level_name(evaluation.claimed_level),
            campaign.level_name(evaluation.level),
            evaluation.current_level_name or "",
        )
        for evaluation in page
    ]
    return render(
        request,
        "campaigns/evaluation_list.html",
        {
            "campaign": campaign,
            "form": form,
            "page_obj": page,
            "rows": rows,
            "query": query,
            "under": under,
        },
    )


@login_required
@require_GET
def campaign_export(request, pk):
    """The campaign's results as Excel: organization, code, self/superior totals, final score, level, reasons."""
    campaign = access.access_campaign(request.user, pk)
    evaluations = selectors.evaluation_list(user=request.user, campaign=campaign)
    totals = defaultdict(dict)
    for row in (
        CriterionScore.objects.filter(evaluation__in=evaluations.order_by().values("pk"))
        .order_by()
        .values("evaluation_id", "part")
        .annotate(total=Sum("score"))
    ):
        totals[row["evaluation_id"]][row["part"]] = row["total"]

    def rows():
        for evaluation in evaluations.iterator(chunk_size=2000):
            own = totals[evaluation.pk]
            yield [
                evaluation.organization.name,
                evaluation.organization.code,
                evaluation.get_state_display(),
                own.get(ScorePart.SELF),
                own.get(ScorePart.SUPERIOR),
                evaluation.final_score,
                campaign.level_name(evaluation.level),
                evaluation.current_level_name or "",
                "；".join(reason.get("message", "") for reason in evaluation.reasons),
            ]

    return xlsx_response(
        f"{campaign.name}-评定结果-{export_stamp()}.xlsx",
        "评定结果",
        ["党组织", "组织编号", "状态", "自评得分", "考评得分", "最终得分", "评定星级（建议）", "当前星级", "评定理由"],
        rows(),
        notes=[f"{campaign.name}（{campaign.scheme_name}）"],
    )


# --- the rating run ----------------------------------------------------------------------


def _run_json(run) -> dict:
    if run is None:
        return {"run": None, "active": False, "percent": 0}
    return {
        "run": run.pk,
        "state": run.state,
        "state_label": run.get_state_display(),
        "phase": run.phase,
        "phase_label": run.get_phase_display(),
        "done": run.done,
        "total": run.total,
        "percent": run.percent,
        "active": run.is_active,
        "error": run.error,
    }


def _quota_mode_label(summary: dict | None) -> str:
    """The Chinese name of the quota mode a rating run used (its summary keeps the engine's code)."""
    mode = (summary or {}).get("quota", {}).get("mode", "")
    return QuotaMode(mode).label if mode in QuotaMode.values else mode


@login_required
@require_GET
def rating(request, pk):
    """The campaign-wide rating: start it, follow its progress, the quota summary and the ties."""
    campaign = access.access_campaign(request.user, pk)
    run = selectors.latest_run(campaign)
    ties = list(QuotaTie.objects.filter(run=run)) if run is not None else []
    ids = {pk for tie in ties for pk in tie.candidates}
    names = dict(Evaluation.objects.filter(pk__in=ids).values_list("pk", "organization__name"))
    is_office = access.is_office_for(request.user, campaign)
    tie_rows = [
        {
            "tie": tie,
            "kept_names": [names.get(i, i) for i in tie.kept],
            "moved_names": [names.get(i, i) for i in tie.moved],
            "form": TieDecisionForm(initial={"kept": tie.kept}, tie=tie, names=names, prefix=f"tie{tie.pk}")
            if is_office and tie.state == TieState.OPEN
            else None,
        }
        for tie in ties
    ]
    summary = selectors.quota_summary(campaign)
    rate_refusal = ""
    if is_office:
        try:
            services.campaign_rate_check(campaign)
        except ValidationError as error:
            rate_refusal = messages_of(error)
    return render(
        request,
        "campaigns/rating.html",
        {
            "campaign": campaign,
            "run": run,
            "summary": summary,
            "quota_mode_label": _quota_mode_label(summary),
            "quota_mode_changeable": is_office and passes(services.campaign_quota_mode_check, campaign),
            "ties": tie_rows,
            "is_office": is_office,
            "rate_refusal": rate_refusal,
            "levels": {str(level): campaign.level_name(level) for level in campaign.scheme.level_values()},
        },
    )


@login_required
@require_GET
def rating_status(request, pk):
    campaign = access.access_campaign(request.user, pk)
    return JsonResponse(_run_json(selectors.latest_run(campaign)))


@login_required
@require_POST
def rating_start(request, pk):
    campaign = _office_campaign(request, pk)
    attempt(request, services.campaign_rate, campaign=campaign, actor=request.user, success="全面评定已开始")
    return redirect("campaigns:rating", pk=campaign.pk)


@login_required
@require_POST
def tie_decide(request, pk):
    campaign = _office_campaign(request, pk)
    tie = (
        QuotaTie.objects.filter(run__campaign=campaign, pk=request.POST.get("tie") or 0).first()
        if (request.POST.get("tie") or "").isdigit()
        else None
    )
    if tie is None:
        messages.error(request, "请选择要决定的比例线并列")
        return redirect("campaigns:rating", pk=campaign.pk)
    form = TieDecisionForm(request.POST, tie=tie, prefix=f"tie{tie.pk}")
    if not form.is_valid():
        messages.error(request, "请选择保留的组织并填写理由")
        return redirect("campaigns:rating", pk=campaign.pk)
    kept = list(Evaluation.objects.filter(pk__in=form.cleaned_data["kept"], campaign=campaign))
    attempt(
        request,
        services.quota_tie_decide,
        tie=tie,
        kept=kept,
        reason=form.cleaned_data["reason"],
        actor=request.user,
        success="已记录并列决定",
    )
    return redirect("campaigns:rating", pk=campaign.pk)


# --- notices, objections, approval, municipal re-review ----------------------------------------


def _office_form(request, pk, form_class, title: str, call, *, success: str, note="", form_kwargs=None):
    """A form page of the office on a campaign: the form, then one service call.

    ``note``: a text above the form, or a function of the campaign that answers it.
    """
    campaign = _office_campaign(request, pk)
    form = form_class(request.POST or None, **(form_kwargs(campaign) if form_kwargs else {}))
    if request.method == "POST" and form.is_valid():
        try:
            call(campaign, form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, success)
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/form.html",
        {
            "title": title,
            "campaign": campaign,
            "form": form,
            "note": note(campaign) if callable(note) else note,
            "cancel_url": reverse("campaigns:detail", args=[campaign.pk]),
        },
    )


def _notice_scope(form: NoticeForm) -> dict:
    organizations = list(form.cleaned_data.get("organizations") or [])
    return {"root": form.cleaned_data.get("root"), "organizations": organizations or None}


def _notice_confirm_page(request, campaign: Campaign, form: NoticeForm, confirm: ConfirmationForm | None = None):
    """The notice's confirmation page: the list as it will go out, every quota warning, the typed phrase."""
    preview = selectors.notice_preview(campaign, **_notice_scope(form))
    refusals: list[str] = []
    if confirm is not None and confirm.data.get("digest") != preview.digest:
        # What the page showed has changed: the new preview, with its own digest, asks again.
        refusals = [str(error) for error in confirm.non_field_errors()] or [
            "确认后待公示的名单已发生变化，请重新核对后再确认"
        ]
        confirm = None
    confirm = confirm or ConfirmationForm(initial={"digest": preview.digest})
    if not preview.warnings:
        confirm.fields["confirmation"].widget = confirm.fields["confirmation"].hidden_widget()
    starts_on = form.cleaned_data["starts_on"]
    return render(
        request,
        "campaigns/notice_confirm.html",
        {
            "campaign": campaign,
            "title": form.cleaned_data["title"],
            "starts_on": starts_on,
            "ends_on": (starts_on or services.base._today()) + timedelta(days=campaign.notice_days - 1),
            "preview": preview,
            "confirm": confirm,
            "refusals": refusals,
            "phrase": CONFIRMATION_PHRASE,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_publish(request, pk):
    """Publishing a notice in two steps: its title and dates, then confirming the list and its quota warnings."""
    campaign = _office_campaign(request, pk)
    form = ScopedNoticeForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        if "confirm" not in request.POST:
            return _notice_confirm_page(request, campaign, form)
        confirm = ConfirmationForm(request.POST)
        if confirm.is_valid():
            try:
                services.notice_publish(
                    campaign=campaign,
                    title=form.cleaned_data["title"],
                    starts_on=form.cleaned_data["starts_on"],
                    **_notice_scope(form),
                    confirmation=confirm.cleaned_data["confirmation"],
                    preview_digest=confirm.cleaned_data["digest"],
                    actor=request.user,
                )
            except ValidationError as error:
                add_service_error(confirm, error)
            else:
                messages.success(request, "公示已发布")
                return redirect("campaigns:detail", pk=campaign.pk)
        return _notice_confirm_page(request, campaign, form, confirm)
    return render(
        request,
        "campaigns/form.html",
        {
            "title": "发布公示",
            "campaign": campaign,
            "form": form,
            "submit": "下一步：核对公示名单",
            "note": (
                "公示名单为所选范围（或所选组织）中已评定待公示的组织及其评定星级。"
                "下一步核对名单和比例提示后再确认发布。"
            ),
            "cancel_url": reverse("campaigns:detail", args=[campaign.pk]),
        },
    )


@login_required
@require_GET
def objections(request, pk):
    """The campaign's notices with their objections, and the office's answer forms."""
    campaign = _office_campaign(request, pk)
    notices = []
    for notice in campaign.notices.all():
        rows = [
            {
                "objection": objection,
                "form": ObjectionAnswerForm(initial={"objection": objection.pk}, prefix=f"o{objection.pk}")
                if objection.state == ObjectionState.OPEN
                else None,
            }
            for objection in selectors.notice_objections(notice)
        ]
        notices.append({"notice": notice, "objections": rows, "can_close": notice.state == NoticeState.PUBLISHED})
    return render(request, "campaigns/objections.html", {"campaign": campaign, "notices": notices})


@login_required
@require_POST
def objection_answer(request, pk):
    campaign = _office_campaign(request, pk)
    prefix = next((key.split("-")[0] for key in request.POST if key.endswith("-objection")), None)
    form = ObjectionAnswerForm(request.POST, prefix=prefix)
    if not form.is_valid():
        messages.error(request, "请选择处理结果并填写答复")
        return redirect("campaigns:objections", pk=campaign.pk)
    objection = access.access_objection(request.user, form.cleaned_data["objection"])
    if objection.notice.campaign_id != campaign.pk:
        raise Http404("没有找到该异议")
    attempt(
        request,
        services.objection_answer,
        objection=objection,
        upheld=form.cleaned_data["upheld"],
        answer=form.cleaned_data["answer"],
        actor=request.user,
        success="已答复异议",
    )
    return redirect("campaigns:objections", pk=campaign.pk)


@login_required
@require_POST
def notice_close(request, pk):
    campaign = _office_campaign(request, pk)
    notice = campaign.notices.filter(state=NoticeState.PUBLISHED).first()
    if notice is None:
        messages.error(request, "没有进行中的公示")
        return redirect("campaigns:detail", pk=campaign.pk)
    attempt(request, services.notice_close, notice=notice, actor=request.user, success="公示已结束")
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_approve(request, pk):
    def call(campaign, data):
        services.campaign_approve(
            campaign=campaign,
            approved_on=data["approved_on"],
            minutes_number=data["minutes_number"],
            actor=request.user,
        )

    return _office_form(
        request,
        pk,
        ApprovalForm,
        "录入工委会批准",
        call,
        success="已录入工委会批准，星级已记入台账",
        note="公示期满且没有未答复异议的组织，批准后其星级记入星级管理台账。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def municipal_send(request, pk):
    def call(campaign, data):
        services.municipal_review_send(campaign=campaign, sent_on=data["sent_on"], actor=request.user)

    def note(campaign) -> str:
        top = campaign.level_name(campaign.top_level)
        names = list(
            selectors.municipal_pending(campaign)
            .order_by("organization__path")
            .values_list("organization__name", flat=True)
        )
        if not names:
            return f"没有待报送复审的{top}组织（工委会批准的{top}组织才报送复审）。"
        return f"全部已批准的{top}组织一并报送（{len(names)}个）：{'、'.join(names)}。"

    return _office_form(request, pk, MunicipalSendForm, "报送市委组织部复审", call, success="已报送复审", note=note)


@login_required
@require_http_methods(["GET", "POST"])
def municipal_return(request, pk):
    def call(campaign, data):
        services.municipal_review_return(
            review=data["review"],
            returned_on=data["returned_on"],
            result=data["result"],
            result_level=data["result_level"],
            note=data["note"],
            actor=request.user,
        )

    return _office_form(
        request,
        pk,
        MunicipalReturnForm,
        "录入市委组织部复审结果",
        call,
        success="已录入复审结果",
        form_kwargs=lambda campaign: {"campaign": campaign},
    )


# --- evaluations -------------------------------------------------------------------------


@login_required
@require_GET
def evaluation_detail(request, pk):
    evaluation = access.access_evaluation(request.user, pk)
    campaign = evaluation.campaign
    user = request.user
    is_self, is_superior = _is_self(user, evaluation), access.is_superior_of(user, evaluation)
    return render(
        request,
        "campaigns/evaluation_detail.html",
        {
            "evaluation": evaluation,
            "campaign": campaign,
            "scores": selectors.evaluation_scores(evaluation),
            "is_self": is_self,
            "is_superior": is_superior,
            **withdraw_offers(user, evaluation, is_self=is_self, is_superior=is_superior),
            "is_office": access.is_office_for(user, campaign),
            "level_name": campaign.level_name,
            "claimed": campaign.level_name(evaluation.claimed_level),
            "proposed": campaign.level_name(evaluation.level),
            # The organization's level now (the star ledger's), not the one approved here before a later decision.
            "approved": getattr(selectors.current_ledger_entry(evaluation.organization), "level_name", ""),
            "can_docx": self_evaluation_docx is not None,
            "can_pdf": documents.pdf_available(),
        },
    )


def _self_initial(evaluation: Evaluation) -> dict:
    initial = {"claimed_level": evaluation.claimed_level}
    for code, row in selectors.evaluation_scores(evaluation).items():
        initial[f"score_{code}"] = row["self"]
        initial[f"comment_{code}"] = row["self_comment"]
    return initial


def _self_evaluation_save(request, evaluation: Evaluation, form: SelfEvaluationForm) -> tuple[list[str], str]:
    """Save what the self-evaluation form carries, all or nothing: the draft, a deletion, the files chosen.

    One transaction holds the draft scores, the evidence file asked deleted
    (``delete``) and the files chosen, so that a refusal of any leaves all as
    they were. Answers what was done (to tell the user) and the code of the
    criterion whose evidence button was pressed (to return to it).
    """
    user = request.user
    code = request.POST.get("upload", "")
    attachment = None
    if request.POST.get("delete"):
        attachment = access.access_criterion_attachment(user, evaluation, request.POST["delete"])
        code = attachment.record.criterion_code
    done = []
    with transaction.atomic():
        services.self_evaluation_save_draft(
            evaluation=evaluation,
            scores=form.scores(),
            claimed_level=form.cleaned_data.get("claimed_level"),
            actor=user,
        )
        if attachment is not None:
            services.criterion_attachment_delete(evaluation=evaluation, attachment=attachment, actor=user)
            done.append(f"已删除证明材料“{attachment.display_name}”")
        names = []
        for criterion_code, upload in form.uploads():
            try:
                added = services.criterion_attachment_add(
                    evaluation=evaluation,
                    criterion_code=criterion_code,
                    upload=upload,
                    name=upload.name or "",
                    size=upload.size or 0,
                    actor=user,
                )
            except ValidationError as error:
                raise ValidationError({f"file_{criterion_code}": error.messages}) from error
            names.append(f"“{added.display_name}”")
        if names:
            done.append(f"已上传证明材料{'、'.join(names)}")
    return done, code


@login_required
@require_http_methods(["GET", "POST"])
def self_evaluation(request, pk):
    """The self-evaluation form (自评表): scores, evidence files, draft, submit; read-only once submitted.

    Every button of the page submits the one form, the evidence table's
    upload and delete buttons too: whatever is pressed, the scores typed so
    far are saved with it, or shown again with the errors. A submission
    (``action=submit``) follows the save on its own: refused, the draft stays
    saved.
    """
    evaluation = access.access_evaluation(request.user, pk)
    access.require_self(request.user, evaluation)
    locked = evaluation.state != EvaluationState.SELF_DRAFT
    if request.method == "POST" and locked:
        messages.error(request, "自评已提交，不能修改；如需修改请由上级退回")
        return redirect("campaigns:self_evaluation", pk=evaluation.pk)
    posted = request.method == "POST"
    form = SelfEvaluationForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        evaluation=evaluation,
        initial=_self_initial(evaluation),
        disabled=locked,
        indicators=scoring.criterion_indicators(evaluation.campaign, evaluation.organization),
    )
    if posted:
        saved = False
        if form.is_valid():
            submit = request.POST.get("action") == "submit"
            try:
                done, code = _self_evaluation_save(request, evaluation, form)
                saved = True
                if submit:
                    services.self_evaluation_submit(evaluation=evaluation, actor=request.user)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "；".join([*done, "自评已提交" if submit else "自评草稿已保存"]))
                anchor = f"#evidence-{code}" if f"file_{code}" in form.fields and not submit else ""
                return redirect(reverse("campaigns:self_evaluation", args=[evaluation.pk]) + anchor)
        if not saved and form.chosen_files():
            # A browser never fills a file input again: say so, where each file was chosen.
            form.add_error(None, "所选的证明材料没有上传：请改正错误后重新选择文件")
            for code in form.chosen_files():
                if not form.has_error(f"file_{code}"):
                    form.add_error(f"file_{code}", "请重新选择文件")
    evidence = selectors.self_evidence(evaluation)
    return render(
        request,
        "campaigns/self_evaluation.html",
        {
            "evaluation": evaluation,
            "campaign": evaluation.campaign,
            "form": form,
            "locked": locked,
            **withdraw_offers(request.user, evaluation, is_self=True, is_superior=False),
            "can_docx": self_evaluation_docx is not None,
            "evidence": [
                (criterion, evidence.get(criterion.code, []), form[f"file_{criterion.code}"])
                for criterion, _ in form.criteria
            ],
            "evidence_help": evidence_help_text(),
            "evidence_records": _evidence_records(evaluation),
        },
    )


# --- self-evaluation evidence (证明材料 per criterion: added and deleted through the form above) --------


@login_required
@require_GET
def criterion_attachment_download(request, pk, attachment_pk):
    """An evidence file, for anyone who sees the evaluation (its own user, superiors, the office)."""
    evaluation = access.access_evaluation(request.user, pk)
    return attachment_response(access.access_criterion_attachment(request.user, evaluation, attachment_pk))


@login_required
@require_GET
def self_evaluation_docx_view(request, pk):
    evaluation = access.access_evaluation(request.user, pk)
    if self_evaluation_docx is None:  # pragma: no cover
        raise Http404("暂不能导出")
    response = HttpResponse(self_evaluation_docx(evaluation), content_type=DOCX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{evaluation.organization.name}-自评表.docx")
    return response


@login_required
@require_GET
def self_evaluation_pdf_view(request, pk):
    """The self-evaluation form as PDF (converted by LibreOffice); a 503 page saying so when it is absent."""
    evaluation = access.access_evaluation(request.user, pk)
    if documents is None:  # pragma: no cover
        raise Http404("暂不能导出")
    data = documents.docx_to_pdf(self_evaluation_docx(evaluation))
    if data is None:
        return render(
            request,
            "campaigns/pdf_unavailable.html",
            {"evaluation": evaluation, "campaign": evaluation.campaign},
            status=503,
        )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"{evaluation.organization.name}-自评表.pdf")
    return response


@login_required
@require_POST
def self_evaluation_return(request, pk):
    evaluation = access.access_evaluation(request.user, pk)
    access.require_superior(request.user, evaluation)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "退回时请填写理由")
    else:
        attempt(
            request,
            services.self_evaluation_return,
            evaluation=evaluation,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            success="自评已退回",
        )
    return redirect("campaigns:superior_evaluation", pk=evaluation.pk)


def _evidence_lines(campaign: Campaign, organization: Organization) -> list[dict]:
    """The facts the rating reads, in Chinese, each with links to the records behind it.

    The records pages and the organization's page show whatever lies in the
    user's subtree; a superior's subtree holds the organization.
    """
    facts = scoring.organization_facts(campaign, organization)
    lines = []
    for line in fact_lines(facts):
        links = []
        for model, filters in line.sources if line.count else ():
            kind = KIND_BY_MODEL[model]
            query = urlencode({"organization": organization.pk, "scope": "own", "year": campaign.year, **filters})
            links.append((f"查看{kind.label}", f"{reverse('records:list', args=[kind.slug])}?{query}"))
        if line.field == "election":
            links.append(("查看换届信息", reverse("orgs:detail", args=[organization.pk])))
        lines.append({"label": line.label, "value": line.value, "links": links})
    return lines


def _evidence_records(evaluation: Evaluation) -> dict:
    """The records behind the facts one by one, each marked when it changed since the self-evaluation was
    submitted (自评提交后有变动), with those that stopped counting since and the claims still waiting."""
    report = evaluation_evidence(evaluation.organization, evaluation.campaign.year, since=evaluation.self_submitted_at)

    def rows(items) -> list[dict]:
        return [
            {"item": item, "url": KIND_BY_MODEL[item.model].detail_url(item.record_id) if item.record else None}
            for item in items
        ]

    return {
        "since": report.since,
        "changed_count": report.changed_count,
        "counted": rows(report.counted),
        "dropped": rows(report.dropped),
        "claims": rows(report.claims),
    }


def _superior_initial(evaluation: Evaluation, scores: dict) -> dict:
    initial = {"innovation_project": evaluation.innovation_project, "comment": evaluation.superior_comment}
    for code, row in scores.items():
        initial[f"score_{code}"] = row["superior"]
        initial[f"comment_{code}"] = row["superior_comment"]
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def superior_evaluation(request, pk):
    """The superior's evaluation (考评表): self scores, survey, evidence side by side; preview; submit."""
    evaluation = access.access_evaluation(request.user, pk)
    access.require_superior(request.user, evaluation)
    campaign = evaluation.campaign
    scores = selectors.evaluation_scores(evaluation)
    indicators = scoring.criterion_indicators(campaign, evaluation.organization)
    form = SuperiorEvaluationForm(
        request.POST or None,
        evaluation=evaluation,
        initial=_superior_initial(evaluation, scores),
        indicators=indicators,
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "preview":
                preview = selectors.evaluation_preview(
                    evaluation=evaluation, scores=form.scores(), innovation_project=data["innovation_project"]
                )
            else:
                services.superior_evaluate(
                    evaluation=evaluation,
                    scores=form.scores(),
                    comment=data["comment"],
                    innovation_project=data["innovation_project"],
                    actor=request.user,
                )
                messages.success(request, "考评已提交")
                return redirect("campaigns:evaluation", pk=evaluation.pk)
        except ValidationError as error:
            add_service_error(form, error)
    evidence = selectors.self_evidence(evaluation)
    side = [
        {
            "code": code,
            **row,
            "field": form[f"score_{code}"],
            "comment_field": form[f"comment_{code}"],
            "evidence": evidence.get(code, []),
            "indicators": indicators.get(code),
        }
        for code, row in scores.items()
    ]
    self_total = sum((row["self"] or Decimal(0) for row in scores.values()), Decimal(0))
    return render(
        request,
        "campaigns/superior_evaluation.html",
        {
            "evaluation": evaluation,
            "campaign": campaign,
            "form": form,
            "side": side,
            "preview": preview,
            "self_total": self_total,
            "claimed": campaign.level_name(evaluation.claimed_level),
            "evidence_lines": _evidence_lines(campaign, evaluation.organization),
            "evidence_records": _evidence_records(evaluation),
            "return_form": ReasonForm(),
            "can_return": evaluation.state in (EvaluationState.SELF_SUBMITTED, EvaluationState.REEVALUATION),
            **withdraw_offers(request.user, evaluation, is_self=False, is_superior=True),
            # Only a valid survey writes the figures, and superior_evaluate refuses without them: say so before scoring.
            "survey_missing": evaluation.survey_satisfaction is None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def five_star_review(request, pk):
    """The office approves or returns a five-star proposal."""
    evaluation = access.access_evaluation(request.user, pk)
    access.require_office(request.user, evaluation.campaign)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                services.five_star_review_approve(evaluation=evaluation, comment=data["comment"], actor=request.user)
            else:
                services.five_star_review_return(evaluation=evaluation, reason=data["comment"], actor=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已审核通过" if data["decision"] == "approve" else "已退回上级重新考评")
            return redirect("campaigns:evaluation", pk=evaluation.pk)
    campaign = evaluation.campaign
    return render(
        request,
        "campaigns/form.html",
        {
            "title": f"五星级审核：{evaluation.organization.name}",
            "campaign": campaign,
            "form": form,
            "note": (
                f"建议星级：{campaign.level_name(evaluation.level) or '—'}；最终得分：{evaluation.final_score or '—'}"
            ),
            "cancel_url": reverse("campaigns:evaluation", args=[evaluation.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def direct_check(request, pk):
    """The office records how it checked an organization directly under the committee (普查/抽查)."""
    evaluation = access.access_evaluation(request.user, pk)
    access.require_office(request.user, evaluation.campaign)
    initial = {
        "method": evaluation.check_method,
        "finding": evaluation.check_finding,
        "checked_on": evaluation.checked_on or timezone.localdate(),
    }
    form = DirectCheckForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.direct_check_record(
                evaluation=evaluation,
                method=data["method"],
                finding=data["finding"],
                checked_on=data["checked_on"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已记录核查情况")
            return redirect("campaigns:evaluation", pk=evaluation.pk)
    return render(
        request,
        "campaigns/form.html",
        {
            "title": f"普查/抽查：{evaluation.organization.name}",
            "campaign": evaluation.campaign,
            "form": form,
            "cancel_url": reverse("campaigns:evaluation", args=[evaluation.pk]),
        },
    )


# --- the star ledger ---------------------------------------------------------------------


@login_required
@require_GET
def ledger(request, pk):
    organization = access_organization(request.user, pk)
    entries = list(selectors.star_ledger(organization))
    notices = report_selectors.withdrawal_notices(organization)
    return render(
        request,
        "campaigns/ledger.html",
        {
            "organization": organization,
            "entries": [(entry, notices.get(entry.pk, [])) for entry in entries],
            "current": entries[-1] if entries else None,
        },
    )
