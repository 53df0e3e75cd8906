"""The pages of re-checks, changes of level, focus management and supervision visits.

Thin views: every object is reached through ``xingji.supervision.access``
(404 outside the user's subtree); the role is checked before a form is shown
or read (403), and again by the one service each change calls. A refusal of
the data or the state shows as a form error or a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xingji.accounts.access import READ_ONLY, access_organization, can_write, visible_organizations
from xingji.accounts.decorators import login_required
from xingji.campaigns.selectors import current_ledger_entry, current_level, star_ledger
from xingji.common.exports import export_stamp, xlsx_response
from xingji.common.forms import add_service_error
from xingji.common.pagination import paginate
from xingji.common.views import refused
from xingji.ledger.models import RectificationItem
from xingji.orgs.models import Organization
from xingji.records.models import CriticismNotice
from xingji.reports.selectors import withdrawal_notices
from xingji.supervision import access, selectors, services
from xingji.supervision.forms import (
    ApproveForm,
    ChangeFilterForm,
    CriticismFormSet,
    FocusFilterForm,
    GuideForm,
    ItemFormSet,
    LevelChangeForm,
    RecheckForm,
    RejectForm,
    SearchForm,
    VisitFilterForm,
    VisitForm,
    VisitItemFormSet,
    filled,
)
from xingji.supervision.models import ChangeState, FocusGuide


def _item_url(item: RectificationItem) -> str:
    try:
        return reverse("ledger:item_detail", args=[item.pk])
    except NoReverseMatch:  # the ledger's pages not (yet) mounted
        return ""


def _items(queryset) -> list[dict]:
    return [{"item": item, "url": _item_url(item)} for item in queryset.select_related("organization")]


def _require_recorder(user) -> None:
    """Before a form with no organization yet: 403 for the read-only role and for the branch secretary."""
    if not can_write(user):
        raise PermissionDenied(READ_ONLY)
    if not access.can_record(user):
        raise PermissionDenied("只有上级党组织可以进行这项操作")


def _filter(request, form_class):
    form = form_class(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


# --- re-checks ---------------------------------------------------------------------------------


@login_required
@require_GET
def recheck_list(request):
    filter_form, data = _filter(request, SearchForm)
    rechecks = selectors.recheck_list(request.user, search=data.get("q", ""))
    page_obj, query = paginate(request, rechecks)
    return render(
        request,
        "supervision/recheck_list.html",
        {
            "page_obj": page_obj,
            "query": query,
            "filter_form": filter_form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def recheck_create(request, pk):
    organization = access_organization(request.user, pk, write=True)
    access.require_superior(request.user, organization)
    names = services.level_names(organization)
    current = current_level(organization)
    form = RecheckForm(request.POST or None, names=names, current=current)
    items = ItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST" and form.is_valid() and items.is_valid():
        data = form.cleaned_data
        try:
            recheck = services.recheck_record(
                organization=organization,
                checked_on=data["checked_on"],
                method=data["method"],
                findings=data["findings"],
                items=filled(items),
                propose_level=data["propose_level"],
                propose_reason=data["propose_reason"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, "复检已登记" + ("，星级调整已提请工委会批准" if data["propose_level"] is not None else "")
            )
            return redirect("supervision:recheck_detail", pk=recheck.pk)
    return render(
        request,
        "supervision/recheck_form.html",
        {
            "organization": organization,
            "form": form,
            "items": items,
            "current_label": services.level_label(current, names),
            "cancel_url": reverse("supervision:focus_list"),
        },
    )


@login_required
@require_GET
def recheck_detail(request, pk):
    recheck = access.access_recheck(request.user, pk)
    organization = recheck.organization
    may_act = access.is_superior_of(request.user, organization) and can_write(request.user)
    return render(
        request,
        "supervision/recheck_detail.html",
        {
            "recheck": recheck,
            "organization": organization,
            "items": _items(recheck.items.all()),
            "changes": recheck.level_changes.select_related("proposed_by").order_by("-proposed_at"),
            "may_act": may_act,
            "may_propose": may_act and not organization.level_changes.filter(state=ChangeState.PROPOSED).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def recheck_items(request, pk):
    recheck = access.access_recheck(request.user, pk)
    access.require_superior(request.user, recheck.organization)
    items = ItemFormSet(request.POST or None, prefix="items")
    error = None
    if request.method == "POST" and items.is_valid():
        try:
            opened = services.recheck_items_open(recheck=recheck, items=filled(items), actor=request.user)
        except ValidationError as refused:
            error = "；".join(refused.messages)
        else:
            messages.success(request, f"已登记{len(opened)}条整改事项")
            return redirect("supervision:recheck_detail", pk=recheck.pk)
    return render(
        request,
        "supervision/recheck_items.html",
        {
            "recheck": recheck,
            "organization": recheck.organization,
            "items": items,
            "error": error,
        },
    )


# --- changes of level --------------------------------------------------------------------------


@login_required
@require_GET
def change_list(request):
    filter_form, data = _filter(request, ChangeFilterForm)
    changes = selectors.level_change_list(request.user, state=data.get("state", ""), search=data.get("q", ""))
    page_obj, query = paginate(request, changes)
    for change in page_obj:
        change.from_label = services.level_label(change.from_level)
        change.to_label = services.level_label(change.to_level)
    return render(
        request,
        "supervision/change_list.html",
        {
            "page_obj": page_obj,
            "query": query,
            "filter_form": filter_form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def change_create(request, pk):
    organization = access_organization(request.user, pk, write=True)
    access.require_superior(request.user, organization)
    names = services.level_names(organization)
    current = current_level(organization)
    rechecks = organization.rechecks.order_by("-checked_on", "-id")
    initial = {}
    wanted = request.GET.get("recheck", "")
    chosen = rechecks.filter(pk=wanted).first() if wanted.isdigit() else None
    if chosen is not None:
        initial["recheck"] = chosen
    form = LevelChangeForm(request.POST or None, initial=initial, names=names, current=current, rechecks=rechecks)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.level_change_propose(
                organization=organization,
                to_level=data["to_level"],
                reason=data["reason"],
                recheck=data["recheck"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "星级调整已提请工委会批准")
            return redirect("supervision:change_detail", pk=change.pk)
    return render(
        request,
        "web/form_page.html",
        {
            "title": f"提请调整星级：{organization.name}",
            "organization": organization,
            "form": form,
            "note": f"现为{services.level_label(current, names)}。调整经工委会批准后才写入星级管理台账。",
            "submit": "提请工委会批准",
            "cancel_url": reverse("supervision:focus_list"),
        },
    )


@login_required
@require_GET
def change_detail(request, pk):
    change = access.access_level_change(request.user, pk)
    organization = change.organization
    names = services.level_names(organization)
    pending = change.state == ChangeState.PROPOSED
    writer = can_write(request.user)
    may_decide = pending and writer and access.is_committee_office_for(request.user, organization)
    may_withdraw = (
        pending
        and writer
        and access.is_superior_of(request.user, organization)
        and (request.user.is_superuser or request.user.pk == change.proposed_by_id or may_decide)
    )
    return render(
        request,
        "supervision/change_detail.html",
        {
            "change": change,
            "organization": organization,
            "from_label": services.level_label(change.from_level, names),
            "to_label": services.level_label(change.to_level, names),
            "current": current_ledger_entry(organization),
            "history": star_ledger(organization),
            # What each ledger line put due for withdrawal (plaques, demonstration sites), as the ledger page says.
            "withdrawal_notices": withdrawal_notices(organization),
            "may_decide": may_decide,
            "may_withdraw": may_withdraw,
            "approve_form": ApproveForm(),
            "reject_form": RejectForm(),
        },
    )


def _decision(request, pk, form_class, service, success: str):
    change = access.access_level_change(request.user, pk)
    access.require_committee_office(request.user, change.organization)
    form = form_class(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}：{'；'.join(errors)}" if label else "；".join(errors))
        return redirect("supervision:change_detail", pk=change.pk)
    try:
        service(change=change, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, success)
    return redirect("supervision:change_detail", pk=change.pk)


@login_required
@require_POST
def change_approve(request, pk):
    return _decision(request, pk, ApproveForm, services.level_change_approve, "已录入工委会批准，星级管理台账已更新")


@login_required
@require_POST
def change_reject(request, pk):
    return _decision(request, pk, RejectForm, services.level_change_reject, "已录入工委会不批准的决定")


@login_required
@require_POST
def change_withdraw(request, pk):
    change = access.access_level_change(request.user, pk)
    try:
        services.level_change_withdraw(change=change, actor=request.user)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, "星级调整已撤回")
    return redirect("supervision:change_detail", pk=change.pk)


# --- focus management --------------------------------------------------------------------------


def _focus(request):
    filter_form, data = _filter(request, FocusFilterForm)
    organizations = selectors.focus_organizations(
        request.user,
        today=timezone.localdate(),
        search=data.get("q", ""),
        level=data.get("level", ""),
        guide=data.get("guide", ""),
        stale_only=data.get("stale") == "1",
    )
    return filter_form, organizations


def _focus_row(organization: Organization, today) -> dict:
    try:
        guide = organization.focus_guide
    except FocusGuide.DoesNotExist:
        guide = None
    history = "；".join(f"{entry.effective_on:%Y-%m-%d} {entry.level_name}" for entry in organization.ledger_history)
    return {
        "organization": organization,
        "level_label": organization.level_name or services.level_label(organization.level),
        "guide": guide,
        "history": history,
        "pending_label": (
            services.level_label(organization.pending_to_level) if organization.pending_change_id else ""
        ),
        "stale": organization.last_recheck is None
        or (today - organization.last_recheck).days > selectors.recheck_interval_days(),
    }


@login_required
@require_GET
def focus_list(request):
    filter_form, organizations = _focus(request)
    page_obj, query = paginate(request, organizations)
    today = timezone.localdate()
    rows = [_focus_row(organization, today) for organization in page_obj]
    return render(
        request,
        "supervision/focus_list.html",
        {
            "page_obj": page_obj,
            "query": query,
            "filter_form": filter_form,
            "rows": rows,
            "may_record": access.can_record(request.user) and can_write(request.user),
            "interval": selectors.recheck_interval_days(),
        },
    )


FOCUS_HEADERS = [
    "组织编号",
    "党组织",
    "当前星级",
    "指导人",
    "指导人说明",
    "未销账整改事项",
    "逾期整改事项",
    "复检次数",
    "最近复检日期",
    "待批准的星级调整",
    "星级变化",
]


@login_required
@require_GET
def focus_export(request):
    _, organizations = _focus(request)
    today = timezone.localdate()
    rows = []
    for organization in organizations:
        row = _focus_row(organization, today)
        guide = row["guide"]
        rows.append(
            [
                organization.code,
                organization.name,
                row["level_label"],
                guide.name if guide else "",
                guide.note if guide else "",
                organization.open_items,
                organization.overdue_items,
                organization.recheck_count,
                organization.last_recheck,
                row["pending_label"],
                row["history"],
            ]
        )
    return xlsx_response(
        f"重点管理-{export_stamp()}.xlsx",
        "重点管理",
        FOCUS_HEADERS,
        rows,
        notes=[f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}", "范围：一星级、不定星级和未定级的组织"],
    )


@login_required
@require_http_methods(["GET", "POST"])
def guide_assign(request, pk):
    organization = access_organization(request.user, pk, write=True)
    access.require_superior(request.user, organization)
    guide = FocusGuide.objects.filter(organization=organization).first()
    initial = {"name": guide.name, "user": guide.user, "note": guide.note} if guide else {}
    form = GuideForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.focus_guide_assign(organization=organization, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "指导人已保存")
            return redirect("supervision:focus_list")
    return render(
        request,
        "web/form_page.html",
        {
            "title": f"指定指导人：{organization.name}",
            "organization": organization,
            "form": form,
            "submit": "保存",
            "cancel_url": reverse("supervision:focus_list"),
        },
    )


# --- supervision visits ------------------------------------------------------------------------


@login_required
@require_GET
def visit_list(request):
    filter_form, data = _filter(request, VisitFilterForm)
    visits = selectors.visit_list(request.user, method=data.get("method", ""), search=data.get("q", ""))
    page_obj, query = paginate(request, visits)
    return render(
        request,
        "supervision/visit_list.html",
        {
            "page_obj": page_obj,
            "query": query,
            "filter_form": filter_form,
            "may_record": access.can_record_visits(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request):
    if not access.can_record_visits(request.user):
        raise PermissionDenied("只有上级党组织或督导组可以登记督导")
    data = request.POST or None
    form = VisitForm(data, user=request.user)
    criticisms = CriticismFormSet(data, prefix="criticisms", form_kwargs={"user": request.user})
    items = VisitItemFormSet(data, prefix="items", form_kwargs={"user": request.user})
    if request.method == "POST" and all([form.is_valid(), criticisms.is_valid(), items.is_valid()]):
        cleaned = form.cleaned_data
        notices = [row.notice() for row in criticisms.forms if row.has_changed() and row.cleaned_data]
        try:
            visit = services.visit_record(
                organizations=list(cleaned["organizations"]),
                visited_on=cleaned["visited_on"],
                method=cleaned["method"],
                group_members=cleaned["group_members"],
                findings=cleaned["findings"],
                criticisms=notices,
                items=filled(items),
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "督导已登记")
            return redirect("supervision:visit_detail", pk=visit.pk)
    return render(
        request,
        "supervision/visit_form.html",
        {
            "form": form,
            "criticisms": criticisms,
            "items": items,
            "cancel_url": reverse("supervision:visit_list"),
        },
    )


@login_required
@require_GET
def visit_detail(request, pk):
    visit = access.access_visit(request.user, pk)
    visible = visible_organizations(request.user)
    organizations = visit.organizations.filter(pk__in=visible.values("pk")).order_by("path")
    notices = (
        CriticismNotice.objects.filter(inspection_visits=visit, organization__in=visible)
        .select_related("organization")
        .order_by("organization__path", "pk")
    )
    items = visit.items.filter(organization__in=visible).order_by("organization__path", "deadline", "pk")
    return render(
        request,
        "supervision/visit_detail.html",
        {
            "visit": visit,
            "organizations": organizations,
            "notices": notices,
            "items": _items(items),
        },
    )
