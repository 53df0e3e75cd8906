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
from xingji.orgs.history_views import history_context
from xingji.orgs.imports import (
    import_members,
    import_organizations,
    member_import_template,
    organization_import_template,
)
from xingji.orgs.models import Election, Member, Organization
from xingji.orgs.overview import (
    DUE_SOON_DAYS,
    children_of,
    election_of,
    election_state,
    family_rows,
    level_rows,
    subtree_due_rows,
    subtree_totals,
    top_organizations,
    tree_rows,
)
from xingji.orgs.selectors import (
    election_terms,
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
#: How many elections due below it an organization's page lists (the rest are counted, and on ``web:due``).
DETAIL_DUE = 10


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


#: The tree page shows a subtree of at most this many organizations whole; a larger one a level at a time.
TREE_WHOLE_UP_TO = 100


@login_required
@require_GET
def tree(request):
    """The tree, bounded at any size.

    * filtered (name or code, type, category): a flat list, a page at a time;
    * a subtree of at most ``TREE_WHOLE_UP_TO`` organizations: whole, as a tree with subtree totals;
    * a larger one: its top node and a page of its children, each with its subtree's totals (computed in
      SQL) and a link that opens it (``?under=<id>``: the same page one level down, lazily).
    The totals above the table are counted in SQL over the subtree shown.
    """
    user = request.user
    form = OrganizationFilterForm(request.GET)
    form.is_valid()
    filters = {name: form.cleaned_data.get(name, "") for name in ("org_type", "category")}
    search = form.cleaned_data.get("q", "").strip()
    filtered = bool(search or any(filters.values()))
    today = timezone.localdate()
    context = {"filtered": filtered, "filter_form": form, "can_write": can_write(user), "lazy": False}
    if filtered:
        page, query = paginate(request, organization_list(user=user, search=search, **filters))
        context.update(
            {
                "rows": tree_rows(page.object_list, today),
                "page_obj": page,
                "query": query,
                "found": page.paginator.count,
            }
        )
        return render(request, "orgs/tree.html", context)
    under = request.GET.get("under")
    parent = access_organization(user, under) if under else None
    scope = visible_organizations(user)
    listed = organization_list(user=user)
    if parent is None:
        tops = top_organizations(listed, user)
        if tops.count() == 1:
            parent = tops.first()
    shown = scope.filter(path__startswith=parent.path) if parent is not None else scope
    subtree = subtree_totals(shown, today)
    context["totals"] = subtree
    if subtree.organizations <= TREE_WHOLE_UP_TO:
        context["rows"] = tree_rows(organization_list(user=user, under=parent), today)
        return render(request, "orgs/tree.html", context)
    if parent is None:  # several roots (a superuser): a page of them
        page, query = paginate(request, top_organizations(listed, user))
        rows = level_rows(page.object_list, scope, today)
    else:
        page, query = paginate(request, children_of(listed, parent))
        own, children = family_rows(listed.get(pk=parent.pk), page.object_list, scope, today)
        rows = [own, *children]
        context["ancestors"] = organization_ancestors(user=user, organization=parent) if under else []
        context["parent"] = parent if under else None
    context.update({"rows": rows, "page_obj": page, "query": query, "lazy": True})
    return render(request, "orgs/tree.html", context)


@login_required
@require_GET
def organization_detail(request, pk):
    """One organization, bounded at any subtree size: its own row with the subtree's totals (counted in SQL),
    a page of its direct children (each with its subtree's totals), and the first ``DETAIL_DUE`` elections due
    below it with their count."""
    organization = access_organization(request.user, pk)
    today = timezone.localdate()
    scope = visible_organizations(request.user)
    listed = organization_list(user=request.user)
    page, query = paginate(request, children_of(listed, organization))
    own, children = family_rows(listed.get(pk=organization.pk), page.object_list, scope, today)
    below = scope.filter(path__startswith=organization.path).exclude(pk=organization.pk)
    due, due_count = subtree_due_rows(below, today, DETAIL_DUE)
    return render(
        request,
        "orgs/detail.html",
        {
            "organization": own.organization,
            "own": own,
            "ancestors": organization_ancestors(user=request.user, organization=organization),
            "children": children,
            "children_count": page.paginator.count,
            "page_obj": page,
            "query": query,
            "due": due,
            "due_count": due_count,
            "due_more": max(0, due_count - len(due)),
            "due_soon_days": DUE_SOON_DAYS,
            "election": election_of(own.organization),
            "election_state": own.election,
            "leaders": leadership_team(user=request.user, organization=organization),
            "members": list(member_list(user=request.user, organization=organization)[:DETAIL_MEMBERS]),
            "detail_members": DETAIL_MEMBERS,
            "can_write": can_write(request.user),
            "can_move": not _move_refusal(request.user, organization),
            "can_have_children": organization.org_type not in BRANCH_TYPES and organization.is_active,
            **history_context(request.user, own.organization),
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
                organization=organization,
                new_parent=form.cleaned_data["new_parent"],
                moved_on=form.cleaned_data["moved_on"],
                actor=request.user,
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
    """The current term with the team it elected, and the election history below (newest first)."""
    organization = access_organization(request.user, pk, write=True)
    election = election_of(organization) or Election(organization=organization)
    # A postponement is approved by the superior: not by the organization's own account.
    can_approve = request.user.is_superuser or organization.pk != request.user.organization_id
    terms = list(election_terms(organization=organization))
    roll = member_list(user=request.user, organization=organization)
    form = ElectionForm(
        _bound(request),
        instance=election,
        can_approve=can_approve,
        members=roll,
        initial=_team_initial(terms[0] if terms else None, roll),
    )
    if request.method == "POST" and form.is_valid():
        try:
            election_record(
                organization=organization,
                actor=request.user,
                team=form.team_seats(),
                note=form.cleaned_data["note"],
                **form.election_data(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "换届信息已保存")
            return redirect("orgs:detail", organization.pk)
    state = election_state(election if election.pk else None, timezone.localdate())
    return render(
        request,
        "orgs/election.html",
        {
            "form": form,
            "title": "换届信息",
            "organization": organization,
            "cancel_url": reverse("orgs:detail", args=[organization.pk]),
            "submit": "保存",
            "note": _election_note(state),
            "terms": terms,
        },
    )


def _team_initial(latest, roll) -> dict:
    """The team fields' first values: the latest term's team as recorded, else today's leadership."""
    if latest is not None and latest.team:
        seats = [(seat.get("position"), seat.get("member_id")) for seat in latest.team]
    else:
        seats = [(member.leadership_position, member.pk) for member in roll if member.is_leader]
    on_roll = {member.pk for member in roll}
    by_position: dict[str, list[int]] = {}
    for position, member_id in seats:
        if member_id in on_roll:
            by_position.setdefault(position, []).append(member_id)
    secretaries = by_position.get("secretary", [])
    return {
        "secretary": secretaries[0] if secretaries else None,
        "deputy_secretaries": by_position.get("deputy_secretary", []),
        "committee_members": by_position.get("committee_member", []),
        "note": latest.note if latest is not None else "",
    }


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
