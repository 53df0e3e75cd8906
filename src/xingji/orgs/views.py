"""Pages of the organization tree, its members and elections.

Every view reaches its objects through ``xingji.accounts.access`` — 404 for
an organization or member outside the user's subtree (or missing), 403 when
a read-only role (inspector) asks for a form or posts a change — and changes
them only through ``xingji.orgs.services``, whose ``ValidationError`` comes
back as form errors.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from xingji.accounts.access import (
    READ_ONLY,
    access_member,
    access_organization,
    can_write,
    is_superior_of,
    visible_organizations,
)
from xingji.accounts.decorators import login_required
from xingji.common.exports import XLSX_TYPE, export_stamp
from xingji.common.forms import add_service_error
from xingji.common.pagination import paginate
from xingji.orgs.exports import export_members, export_organizations
from xingji.orgs.forms import (
    ElectionForm,
    ImportForm,
    ImportKind,
    MemberFilterForm,
    MemberForm,
    OrganizationFilterForm,
    OrganizationForm,
    OrganizationMoveForm,
)
from xingji.orgs.imports import (
    import_members,
    import_organizations,
    member_import_template,
    organization_import_template,
)
from xingji.orgs.models import Election, Member, Organization
from xingji.orgs.overview import DUE_SOON_DAYS, due_rows, election_of, election_state, totals, tree_rows
from xingji.orgs.selectors import (
    leadership_team,
    member_list,
    move_targets,
    organization_ancestors,
    organization_list,
)
from xingji.orgs.services import (
    BRANCH_TYPES,
    check_can_have_children,
    election_record,
    member_create,
    member_delete,
    member_update,
    organization_create,
    organization_move,
    organization_update,
)

#: How many of its own members an organization's page lists before linking to the full list.
DETAIL_MEMBERS = 10


def _bound(request):
    return request.POST if request.method == "POST" else None


def _form_page(request, *, form, title: str, cancel_url: str, organization=None, submit: str = "保存", note=""):
    return render(
        request,
        "web/form_page.html",
        {
            "form": form,
            "title": title,
            "cancel_url": cancel_url,
            "organization": organization,
            "submit": submit,
            "note": note,
        },
    )


# --- the tree and one organization ---------------------------------------------------


@login_required
@require_GET
def tree(request):
    form = OrganizationFilterForm(request.GET)
    form.is_valid()
    filters = {name: form.cleaned_data.get(name, "") for name in ("org_type", "category")}
    search = form.cleaned_data.get("q", "").strip()
    organizations = organization_list(user=request.user, search=search, **filters)
    rows = tree_rows(organizations, timezone.localdate())
    filtered = bool(search or any(filters.values()))
    return render(
        request,
        "orgs/tree.html",
        {
            "rows": rows,
            "totals": totals(rows),
            "filtered": filtered,
            "filter_form": form,
            "can_write": can_write(request.user),
        },
    )


@login_required
@require_GET
def organization_detail(request, pk):
    organization = access_organization(request.user, pk)
    today = timezone.localdate()
    rows = tree_rows(organization_list(user=request.user, under=organization), today)
    own = rows[0]
    children = [row for row in rows if row.organization.depth == organization.depth + 1]
    return render(
        request,
        "orgs/detail.html",
        {
            "organization": own.organization,
            "own": own,
            "ancestors": organization_ancestors(user=request.user, organization=organization),
            "children": children,
            "subtree_totals": totals(rows),
            "due": due_rows(rows[1:]),
            "due_soon_days": DUE_SOON_DAYS,
            "election": election_of(own.organization),
            "election_state": own.election,
            "leaders": leadership_team(user=request.user, organization=organization),
            "members": list(member_list(user=request.user, organization=organization)[:DETAIL_MEMBERS]),
            "detail_members": DETAIL_MEMBERS,
            "can_write": can_write(request.user),
            "can_move": not _move_refusal(request.user, organization),
            "can_have_children": organization.org_type not in BRANCH_TYPES and organization.is_active,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_create_view(request, pk):
    parent = access_organization(request.user, pk, write=True)
    form = OrganizationForm(_bound(request), initial={"category": parent.category, "is_active": True})
    note = ""
    try:
        check_can_have_children(parent)
    except ValidationError as error:
        note = "；".join(error.messages)
    if request.method == "POST" and form.is_valid():
        try:
            organization = organization_create(parent=parent, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已新增组织：{organization.name}")
            return redirect("orgs:detail", organization.pk)
    return _form_page(
        request,
        form=form,
        title=f"在“{parent.name}”下新增组织",
        cancel_url=reverse("orgs:detail", args=[parent.pk]),
        organization=parent,
        note=note,
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request, pk):
    organization = access_organization(request.user, pk, write=True)
    form = OrganizationForm(_bound(request), instance=organization)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            organization = organization_update(organization=organization, data=data, actor=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "已保存" if data else "没有修改")
            return redirect("orgs:detail", organization.pk)
    return _form_page(
        request,
        form=form,
        title="编辑组织",
        organization=organization,
        cancel_url=reverse("orgs:detail", args=[organization.pk]),
    )


def _move_refusal(user, organization: Organization) -> str:
    """Why the user may not move the organization, or "" when the user may: the button and the page agree.

    Restructuring is the superiors' work (the office, a 机关党委/党总支 within
    its subtree, a superuser): no account re-parents its own node, whose
    parent lies outside the account's subtree. There must also be somewhere
    to move it to (``selectors.move_targets``, the form's very choices).
    """
    if not can_write(user):
        return READ_ONLY
    if not is_superior_of(user, organization.pk):
        return "只有上级党组织可以调整该组织的上级；本组织不能调整自己的隶属关系"
    if not move_targets(user=user, organization=organization).exists():
        return "管辖范围内没有其他可以接收该组织的党委或党总支，无法调整上级"
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def organization_move_view(request, pk):
    organization = access_organization(request.user, pk, write=True)
    refusal = _move_refusal(request.user, organization)
    if refusal:
        raise PermissionDenied(refusal)
    form = OrganizationMoveForm(_bound(request), user=request.user, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            organization = organization_move(
                organization=organization, new_parent=form.cleaned_data["new_parent"], actor=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已移到“{form.cleaned_data['new_parent'].name}”之下")
            return redirect("orgs:detail", organization.pk)
    return _form_page(
        request,
        form=form,
        title="调整上级组织",
        organization=organization,
        submit="移动",
        cancel_url=reverse("orgs:detail", args=[organization.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def election_edit(request, pk):
    organization = access_organization(request.user, pk, write=True)
    election = election_of(organization) or Election(organization=organization)
    # A postponement is approved by the superior: not by the organization's own account.
    can_approve = request.user.is_superuser or organization.pk != request.user.organization_id
    form = ElectionForm(_bound(request), instance=election, can_approve=can_approve)
    if request.method == "POST" and form.is_valid():
        try:
            election_record(organization=organization, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "换届信息已保存")
            return redirect("orgs:detail", organization.pk)
    state = election_state(election if election.pk else None, timezone.localdate())
    return _form_page(
        request,
        form=form,
        title="换届信息",
        organization=organization,
        cancel_url=reverse("orgs:detail", args=[organization.pk]),
        note=_election_note(state),
    )


def _election_note(state) -> str:
    due = f"，到期日 {state.due_date:%Y-%m-%d}" if state.due_date else ""
    return f"当前状态：{state.label}{due}"


# --- members -------------------------------------------------------------------------------


def _filtered_members(request, organization: Organization):
    form = MemberFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    members = member_list(
        user=request.user,
        organization=organization,
        include_descendants=True,
        search=data.get("q", "").strip(),
        status=data.get("status", ""),
    )
    if data.get("position"):
        members = members.filter(leadership_position=data["position"])
    return form, members


@login_required
@require_GET
def member_list_view(request, pk):
    organization = access_organization(request.user, pk)
    form, members = _filtered_members(request, organization)
    page, query = paginate(request, members)
    return render(
        request,
        "orgs/member_list.html",
        {
            "organization": organization,
            "filter_form": form,
            "page_obj": page,
            "query": query,
            "can_write": can_write(request.user),
            "export_query": query.rstrip("&"),
        },
    )


@login_required
@require_GET
def member_export(request, pk):
    """The filtered members in the import template's columns; full phones only for writers who ask."""
    organization = access_organization(request.user, pk)
    _, members = _filtered_members(request, organization)
    reveal_phone = request.GET.get("phones") == "full" and can_write(request.user)
    content = export_members(members, reveal_phone=reveal_phone)
    return _xlsx(f"党员名册-{organization.code}-{export_stamp()}.xlsx", content)


@login_required
@require_http_methods(["GET", "POST"])
def member_create_view(request, pk):
    organization = access_organization(request.user, pk, write=True)
    form = MemberForm(_bound(request), user=request.user, transfer=False, instance=Member(organization=organization))
    if request.method == "POST" and form.is_valid():
        try:
            member = member_create(organization=organization, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已新增党员：{member.name}")
            return redirect("orgs:member_list", organization.pk)
    return _form_page(
        request,
        form=form,
        title="新增党员",
        organization=organization,
        cancel_url=reverse("orgs:member_list", args=[organization.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request, pk):
    member = access_member(request.user, pk, write=True)
    organization = member.organization
    form = MemberForm(_bound(request), user=request.user, transfer=True, instance=member)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            member = member_update(member=member, data=data, actor=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"已保存：{member.name}" if data else "没有修改")
            return redirect("orgs:member_list", organization.pk)
    return _form_page(
        request,
        form=form,
        title=f"编辑党员：{member.name}",
        organization=organization,
        cancel_url=reverse("orgs:member_list", args=[organization.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_delete_view(request, pk):
    member = access_member(request.user, pk, write=True)
    if request.method == "POST":
        organization_id = member.organization_id
        member_delete(member=member, actor=request.user)
        messages.success(request, f"已删除党员：{member.name}")
        return redirect("orgs:member_list", organization_id)
    return render(request, "orgs/member_confirm_delete.html", {"member": member, "organization": member.organization})


# --- exports and imports ------------------------------------------------------------------


def _xlsx(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


@login_required
@require_GET
def organization_export(request):
    """The user's organizations, in the import template's columns (parents outside the subtree left blank)."""
    scope = visible_organizations(request.user)
    content = export_organizations(organization_list(user=request.user), user_scope=scope)
    return _xlsx(f"党组织-{export_stamp()}.xlsx", content)


IMPORTERS = {
    ImportKind.ORGANIZATIONS: (import_organizations, organization_import_template, "党组织导入模板.xlsx"),
    ImportKind.MEMBERS: (import_members, member_import_template, "党员导入模板.xlsx"),
}


@login_required
@require_GET
def import_template(request, kind):
    if kind not in IMPORTERS:
        raise Http404("没有这种导入模板")
    _, template, filename = IMPORTERS[kind]
    return _xlsx(filename, template(organizations=visible_organizations(request.user)))


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request, kind):
    """Upload an organization or member file: all rows are created, or none and every error is listed."""
    if kind not in IMPORTERS:
        raise Http404("没有这种导入")
    if not can_write(request.user):
        raise PermissionDenied(READ_ONLY)
    importer, _, _ = IMPORTERS[kind]
    form = ImportForm(request.POST if request.method == "POST" else None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = importer(
            file=form.cleaned_data["file"], actor=request.user, user_scope=visible_organizations(request.user)
        )
        if result.is_success:
            messages.success(request, f"导入成功：新增 {result.created} 条")
            return redirect("orgs:tree" if kind == ImportKind.ORGANIZATIONS else "web:home")
    return render(
        request,
        "orgs/import.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": ImportKind(kind).label,
            "result": result,
        },
    )
