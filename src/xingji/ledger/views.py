"""The pages of the improvement plans (晋位争星) and the rectification ledger (整改台账).

Thin views: every object is reached through ``xingji.ledger.access`` (404
outside the user's subtree), every change is one service call. A
``TransitionRefused`` shows as a form error or a message; an
``ActionForbidden`` (role) is a 403. Actions are offered only to whom may
take them; the services check again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xingji.accounts.access import READ_ONLY, SUPERIOR_ROLES, access_organization, can_write, visible_organizations
from xingji.accounts.decorators import login_required
from xingji.campaigns import guidance
from xingji.campaigns.selectors import current_level
from xingji.common.documents import DOCX_TYPE
from xingji.common.errors import ActionForbidden
from xingji.common.exports import export_stamp
from xingji.common.forms import add_service_error
from xingji.common.pagination import paginate
from xingji.ledger import access, documents, selectors, services, spreadsheets
from xingji.ledger.forms import (
    AttachmentForm,
    CloseRequestForm,
    CommentForm,
    ImportForm,
    ItemFilterForm,
    ItemForm,
    MilestoneDoneForm,
    PlanFilterForm,
    PlanForm,
    format_milestones,
)
from xingji.ledger.models import ItemSource, PlanState
from xingji.ledger.workflow import item_allows, plan_allows
from xingji.records.attachments import attachment_response
from xingji.records.spreadsheets import XLSX_CONTENT_TYPE, ImportRefused, check_import_size


def _attempt(request, service, *, success: str, **arguments) -> bool:
    """Call a one-step service; a success message, or its refusal as an error message."""
    try:
        service(**arguments)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return False
    messages.success(request, success)
    return True


def _check_can_write(user) -> None:
    if not can_write(user):
        raise PermissionDenied(READ_ONLY)


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


# --- rectification items ------------------------------------------------------------------------


def _filtered_items(request):
    today = timezone.localdate()
    organizations = visible_organizations(request.user)
    form = ItemFilterForm(request.GET or None, organizations=organizations)
    filters = form.cleaned_data if form.is_valid() else {}
    items = selectors.item_list(
        user=request.user,
        today=today,
        under=filters.get("under"),
        state=filters.get("state", ""),
        source=filters.get("source", ""),
        overdue_only=filters.get("overdue") == "1",
        search=(filters.get("q") or "").strip(),
    )
    return form, items, today


@login_required
@require_GET
def item_list(request):
    form, items, today = _filtered_items(request)
    page, query = paginate(request, items)
    rows = [{"item": item, "overdue": item.is_overdue(today)} for item in page.object_list]
    return render(
        request,
        "ledger/item_list.html",
        {
            "filter_form": form,
            "page_obj": page,
            "query": query,
            "rows": rows,
            "counts": selectors.item_counts(request.user, today),
            "can_write": can_write(request.user),
            "export_query": request.GET.urlencode(),
        },
    )


def _sources_for(user) -> list[str] | None:
    """The sources the user may choose: all for a superior (of anything), only 自查发现 for the organization itself."""
    if user.is_superuser or user.role in SUPERIOR_ROLES:
        return None
    return [ItemSource.SELF]


@login_required
@require_http_methods(["GET", "POST"])
def item_create(request):
    """A new item; ``?organization=<id>&source=objection&note=<text>`` prefills it (from an upheld objection)."""
    _check_can_write(request.user)
    organizations = visible_organizations(request.user)
    initial = {}
    if request.method == "GET":
        if request.GET.get("organization"):
            initial["organization"] = access_organization(request.user, request.GET["organization"]).pk
        if request.GET.get("source") in ItemSource.values:
            initial["source"] = request.GET["source"]
        if request.GET.get("note"):
            initial["source_note"] = request.GET["note"][:200]
    if request.user.role not in SUPERIOR_ROLES and not request.user.is_superuser:
        organizations = organizations.filter(pk=request.user.organization_id)
        initial.setdefault("organization", request.user.organization_id)
    form = ItemForm(
        request.POST or None, initial=initial, organizations=organizations, sources=_sources_for(request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.item_open(
                organization=data["organization"],
                problem=data["problem"],
                source=data["source"],
                target=data["target"],
                measures=data["measures"],
                responsible=data["responsible"],
                deadline=data["deadline"],
                source_note=data["source_note"],
                actor=request.user,
            )
        except ActionForbidden as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已登记整改事项")
            return redirect("ledger:item_detail", pk=item.pk)
    return render(
        request,
        "ledger/form.html",
        {
            "title": "登记整改事项",
            "form": form,
            "cancel_url": reverse("ledger:item_list"),
            "submit": "登记",
        },
    )


@login_required
@require_GET
def item_detail(request, pk):
    item = access.access_item(request.user, pk)
    user = request.user
    own = access.is_own(user, item.organization_id) and can_write(user)
    superior = access.is_superior(user, item.organization_id) and can_write(user)
    today = timezone.localdate()
    return render(
        request,
        "ledger/item_detail.html",
        {
            "item": item,
            "overdue": item.is_overdue(today),
            "attachments": services.item_attachments(item),
            "can_edit": item_allows("edit", item) and access.may_edit_item(user, item) and can_write(user),
            "can_attach": own and item_allows("attach", item),
            "can_request": own and item_allows("request_close", item),
            "can_review": superior and item_allows("confirm_close", item),
            "attachment_form": AttachmentForm(),
            "comment_form": CommentForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request, pk):
    item = access.access_item(request.user, pk)
    access.require_edit_item(request.user, item)
    if not item_allows("edit", item):
        messages.error(request, f"该整改事项当前状态为“{item.get_state_display()}”，不能修改")
        return redirect("ledger:item_detail", pk=item.pk)
    superior = access.is_superior(request.user, item.organization_id)
    form = ItemForm(
        request.POST or None, instance=item, with_organization=False, sources=None if superior else [ItemSource.SELF]
    )
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.ITEM_EDITABLE}
        try:
            services.item_update(item=access.access_item(request.user, pk), actor=request.user, **changes)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已保存整改事项")
            return redirect("ledger:item_detail", pk=item.pk)
    return render(
        request,
        "ledger/form.html",
        {
            "title": "修改整改事项",
            "form": form,
            "item": item,
            "cancel_url": reverse("ledger:item_detail", args=[item.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_request_close(request, pk):
    item = access.access_item(request.user, pk)
    access.require_own(request.user, item.organization, "只有本组织可以申请销账")
    if not item_allows("request_close", item):
        messages.error(request, f"该整改事项当前状态为“{item.get_state_display()}”，不能申请销账")
        return redirect("ledger:item_detail", pk=item.pk)
    form = CloseRequestForm(request.POST or None, request.FILES or None, initial={"evidence": item.closing_evidence})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        uploads = [(upload, upload.name, upload.size)] if upload else []
        try:
            services.item_request_close(
                item=item, evidence=form.cleaned_data["evidence"], uploads=uploads, actor=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已申请销账，等待上级党组织确认")
            return redirect("ledger:item_detail", pk=item.pk)
    return render(
        request,
        "ledger/form.html",
        {
            "title": "申请销账",
            "form": form,
            "item": item,
            "multipart": True,
            "submit": "申请销账",
            "note": "填写整改完成情况并上传至少一份佐证材料，由上级党组织确认后销账。",
            "attachments": services.item_attachments(item),
            "cancel_url": reverse("ledger:item_detail", args=[item.pk]),
        },
    )


def _review_item(request, pk, service, success: str):
    item = access.access_item(request.user, pk)
    access.require_superior(request.user, item.organization, "只有上级党组织可以确认或退回销账")
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    _attempt(request, service, item=item, comment=comment, actor=request.user, success=success)
    return redirect("ledger:item_detail", pk=item.pk)


@login_required
@require_POST
def item_confirm(request, pk):
    return _review_item(request, pk, services.item_confirm_close, "已确认销账")


@login_required
@require_POST
def item_refuse(request, pk):
    return _review_item(request, pk, services.item_refuse_close, "已退回销账申请")


@login_required
@require_POST
def item_attachment_upload(request, pk):
    item = access.access_item(request.user, pk)
    access.require_own(request.user, item.organization, "只有本组织可以上传销账佐证材料")
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要上传的佐证材料文件")
    else:
        upload = form.cleaned_data["file"]
        _attempt(
            request,
            services.item_attachment_add,
            item=item,
            upload=upload,
            name=upload.name,
            size=upload.size,
            actor=request.user,
            success=f"已上传佐证材料“{upload.name}”",
        )
    return redirect("ledger:item_detail", pk=item.pk)


def _attachment(request, pk, attachment_pk):
    item = access.access_item(request.user, pk)
    attachment = services.item_attachments(item).filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404("没有找到该附件")
    return item, attachment


@login_required
@require_GET
def item_attachment(request, pk, attachment_pk):
    """An evidence file, for anyone who sees the item."""
    _, attachment = _attachment(request, pk, attachment_pk)
    return attachment_response(attachment)


@login_required
@require_POST
def item_attachment_delete(request, pk, attachment_pk):
    item, attachment = _attachment(request, pk, attachment_pk)
    access.require_own(request.user, item.organization, "只有本组织可以删除销账佐证材料")
    _attempt(
        request,
        services.item_attachment_delete,
        item=item,
        attachment=attachment,
        actor=request.user,
        success=f"已删除佐证材料“{attachment.display_name}”",
    )
    return redirect("ledger:item_detail", pk=item.pk)


@login_required
@require_GET
def item_export(request):
    _, items, today = _filtered_items(request)
    title = f"整改台账（{today:%Y年%m月%d日}导出）"
    return _download(
        spreadsheets.export_ledger(items.iterator(chunk_size=500), title=title),
        f"整改台账-{export_stamp()}.xlsx",
        XLSX_CONTENT_TYPE,
    )


@login_required
@require_GET
def item_template(request):
    content = spreadsheets.render_template(organizations=visible_organizations(request.user))
    return _download(content, "整改台账-导入模板.xlsx", XLSX_CONTENT_TYPE)


@login_required
@require_http_methods(["GET", "POST"])
def item_import(request):
    _check_can_write(request.user)
    errors = []
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_import_size(upload.size)
            count = spreadsheets.import_items(
                content=upload.read(),
                organizations=visible_organizations(request.user),
                actor=request.user,
                filename=upload.name,
            )
        except ImportRefused as refused:
            errors = refused.errors
        else:
            messages.success(request, f"已导入 {count} 个整改事项")
            return redirect("ledger:item_list")
    return render(request, "ledger/import.html", {"form": form, "errors": errors})


# --- improvement plans --------------------------------------------------------------------------


@login_required
@require_GET
def plan_list(request):
    user = request.user
    today = timezone.localdate()
    form = PlanFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    year = filters.get("year") or today.year
    plans = selectors.plan_list(
        user=user, year=year, state=filters.get("state", ""), search=(filters.get("q") or "").strip()
    )
    page, query = paginate(request, plans)
    for plan in page:
        plan.current_level_name = selectors.level_name(plan.current_level)
    superior = user.is_superuser or user.role in SUPERIOR_ROLES
    missing = selectors.organizations_without_plan(user=user, year=year) if superior else None
    own_plan = None
    can_create_own = False
    if not user.is_superuser and user.role in access.SELF_ROLES and user.organization_id:
        own_plan = selectors.plan_list(user=user, year=today.year).filter(organization_id=user.organization_id).first()
        can_create_own = own_plan is None
    missing_page = None
    if missing is not None:
        missing_page = list(missing[:200])
    return render(
        request,
        "ledger/plan_list.html",
        {
            "filter_form": form,
            "page_obj": page,
            "query": query,
            "year": year,
            "missing": missing_page,
            "missing_count": missing.count() if missing is not None else 0,
            "own_plan": own_plan,
            "can_create_own": can_create_own,
            "this_year": today.year,
        },
    )


def _plan_context(organization, level) -> dict:
    return {
        "organization": organization,
        "current_level_name": selectors.level_name(level),
        "emphasis": selectors.emphasis_for(level),
    }


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request, pk):
    """This year's plan of the organization ``pk`` (its own user); an existing plan is opened instead."""
    organization = access_organization(request.user, pk, write=True)
    access.require_own(request.user, organization, "只有本组织可以制定本组织的晋位争星方案")
    year = timezone.localdate().year
    existing = organization.improvement_plans.filter(year=year).first()
    if existing is not None:
        messages.info(request, f"{year}年的方案已经制定，可在此查看或修改")
        return redirect("ledger:plan_detail", pk=existing.pk)
    level = current_level(organization)
    # 晋位争星: the target level the rating engine suggests (the next one), and what it needs, pre-filled.
    suggested = guidance.default_target_level(organization) or min((level or 0) + 1, 5)
    asked = request.GET.get("level", "")
    target = int(asked) if asked.isdigit() else suggested
    prefill = guidance.plan_targets(organization, target, year=year)
    initial = {"target_level": target}
    if prefill is not None and prefill.targets:
        initial["measures"] = prefill.measures
    form = PlanForm(request.POST or None, current_level=level, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = guidance.plan_targets(organization, data["target_level"], year=year)
        try:
            plan = services.plan_create(
                organization=organization,
                year=year,
                target_level=data["target_level"],
                measures=data["measures"],
                responsible=data["responsible"],
                milestones=data["milestones"],
                targets=chosen.targets if chosen is not None else (),
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已保存方案草稿，核对后请报送上级党组织")
            return redirect("ledger:plan_detail", pk=plan.pk)
    return render(
        request,
        "ledger/plan_form.html",
        {
            "title": f"制定{year}年晋位争星方案",
            "form": form,
            **_plan_context(organization, level),
            "prefill": prefill,
            "no_rating": guidance.NO_RATING,
            "cancel_url": reverse("ledger:plan_list"),
        },
    )


@login_required
@require_GET
def plan_detail(request, pk):
    plan = access.access_plan(request.user, pk)
    user = request.user
    own = access.is_own(user, plan.organization_id) and can_write(user)
    superior = access.is_superior(user, plan.organization_id) and can_write(user)
    today = timezone.localdate()
    milestones = [
        {
            "milestone": milestone,
            "status": selectors.milestone_status(milestone),
            "overdue": selectors.milestone_overdue(milestone, today),
        }
        for milestone in plan.milestones.all()
    ]
    # Each target met or not yet, recomputed by the rating engine from the facts of the plan's year.
    tracking = (
        guidance.track_targets(plan.organization, plan.target_level, plan.targets, year=plan.year)
        if plan.targets
        else None
    )
    return render(
        request,
        "ledger/plan_detail.html",
        {
            "plan": plan,
            "milestones": milestones,
            "tracking": tracking,
            **_plan_context(plan.organization, plan.current_level),
            "can_mark": own and plan.state == PlanState.ACKNOWLEDGED,
            "done_form": MilestoneDoneForm(initial={"done_on": today}),
            "target_level_name": selectors.level_name(plan.target_level),
            "can_edit": own and plan_allows("edit", plan),
            "can_submit": own and plan_allows("submit", plan),
            "can_review": superior and plan_allows("acknowledge", plan),
            "comment_form": CommentForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    plan = access.access_plan(request.user, pk)
    access.require_own(request.user, plan.organization, "只有本组织可以修改本组织的晋位争星方案")
    if not plan_allows("edit", plan):
        messages.error(request, f"方案当前状态为“{plan.get_state_display()}”，不能修改")
        return redirect("ledger:plan_detail", pk=plan.pk)
    form = PlanForm(
        request.POST or None,
        current_level=plan.current_level,
        initial={
            "target_level": plan.target_level,
            "measures": plan.measures,
            "responsible": plan.responsible,
            "milestones": format_milestones(plan.milestones.all()),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        targets = None
        if data["target_level"] != plan.target_level:
            # Another target level: its targets are what the engine says that level needs.
            chosen = guidance.plan_targets(plan.organization, data["target_level"], year=plan.year)
            targets = chosen.targets if chosen is not None else []
        try:
            services.plan_update(
                plan=plan,
                target_level=data["target_level"],
                measures=data["measures"],
                responsible=data["responsible"],
                milestones=data["milestones"],
                targets=targets,
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已保存方案")
            return redirect("ledger:plan_detail", pk=plan.pk)
    return render(
        request,
        "ledger/plan_form.html",
        {
            "title": f"修改{plan.year}年晋位争星方案",
            "form": form,
            "plan": plan,
            **_plan_context(plan.organization, plan.current_level),
            "cancel_url": reverse("ledger:plan_detail", args=[plan.pk]),
        },
    )


@login_required
@require_POST
def plan_submit(request, pk):
    plan = access.access_plan(request.user, pk)
    access.require_own(request.user, plan.organization, "只有本组织可以报送本组织的晋位争星方案")
    _attempt(request, services.plan_submit, plan=plan, actor=request.user, success="已报送上级党组织")
    return redirect("ledger:plan_detail", pk=plan.pk)


def _review_plan(request, pk, service, success: str):
    plan = access.access_plan(request.user, pk)
    access.require_superior(request.user, plan.organization, "只有上级党组织可以备案或退回方案")
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    _attempt(request, service, plan=plan, comment=comment, actor=request.user, success=success)
    return redirect("ledger:plan_detail", pk=plan.pk)


@login_required
@require_POST
def plan_acknowledge(request, pk):
    return _review_plan(request, pk, services.plan_acknowledge, "已备案")


@login_required
@require_POST
def plan_return(request, pk):
    return _review_plan(request, pk, services.plan_return, "已退回方案")


def _milestone(request, pk, milestone_pk, message: str):
    plan = access.access_plan(request.user, pk)
    milestone = plan.milestones.filter(pk=milestone_pk).first()
    if milestone is None:
        raise Http404("没有找到该时间节点")
    access.require_own(request.user, plan.organization, message)
    return plan, milestone


@login_required
@require_POST
def milestone_done(request, pk, milestone_pk):
    plan, milestone = _milestone(request, pk, milestone_pk, "只有本组织可以登记本组织方案的节点完成情况")
    form = MilestoneDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(error for errors in form.errors.values() for error in errors))
    else:
        done_on = form.cleaned_data["done_on"]
        _attempt(
            request,
            services.milestone_mark_done,
            milestone=milestone,
            done_on=done_on,
            actor=request.user,
            success=f"已登记“{milestone.description}”于{done_on:%Y-%m-%d}完成",
        )
    return redirect("ledger:plan_detail", pk=plan.pk)


@login_required
@require_POST
def milestone_reopen(request, pk, milestone_pk):
    plan, milestone = _milestone(request, pk, milestone_pk, "只有本组织可以撤销本组织方案的节点完成情况")
    _attempt(
        request,
        services.milestone_reopen,
        milestone=milestone,
        actor=request.user,
        success=f"已撤销“{milestone.description}”的完成登记",
    )
    return redirect("ledger:plan_detail", pk=plan.pk)


@login_required
@require_GET
def plan_docx(request, pk):
    plan = access.access_plan(request.user, pk)
    return _download(documents.plan_docx(plan), f"{plan.organization.name}-{plan.year}年晋位争星方案.docx", DOCX_TYPE)
