"""Changing organizations, members and elections.

Each service runs in one transaction and appends its audit entry in that
transaction (``xingji.audit.services.audit_log``), so a change and its record
commit or roll back together. A service that finds nothing to change writes
nothing and logs nothing.

Each service first checks its ``actor`` through ``xingji.accounts.access``,
whatever its caller checked before: the organizations it touches must lie in
the actor's subtree (else ``Http404``, as for a missing one) and the actor's
role must write (else ``ActionForbidden``); a root is made or re-parented by
superusers only, a node re-parented by its superiors only, a postponement of
an election approved by the superior only. ``actor`` None is the system
(the demo loader). Then the services check the invariants of the data (a
branch has no sub-organizations, a node never moves under itself, one
secretary per organization…) and raise
``django.core.exceptions.ValidationError`` with a message for the user.

Updates take ``data``, a mapping of field name to new value, limited to the
fields listed in ``*_UPDATABLE_FIELDS``; a form's ``cleaned_data`` restricted
to its changed fields fits. They return the fresh, updated instance: use it
rather than the one passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from xingji.accounts.access import access_member, access_organization, is_superior_of
from xingji.accounts.models import Actor
from xingji.audit.services import audit_log, snapshot
from xingji.common.errors import ActionForbidden
from xingji.common.updates import apply_changes
from xingji.orgs.models import (
    Election,
    LeadershipPosition,
    Member,
    MemberStatus,
    Organization,
    OrganizationType,
    mask_phone,
)

TREE_FIELDS = ["path", "depth", "numchild"]
ORGANIZATION_UPDATABLE_FIELDS = ("name", "code", "org_type", "category", "founded", "is_active")
MEMBER_UPDATABLE_FIELDS = (
    "organization",
    "name",
    "gender",
    "birth_year",
    "joined",
    "status",
    "leadership_position",
    "phone",
)
ELECTION_FIELDS = ("organization", "last_election", "term_years", "postponement_requested", "postponement_approved")

#: Basic-level organizations (基层支部): no Party organization sits under them.
BRANCH_TYPES = frozenset({OrganizationType.BRANCH, OrganizationType.JOINT_BRANCH, OrganizationType.TEMPORARY_BRANCH})

ROOTS_BY_SUPERUSERS = "只有超级用户可以设立顶级组织或把组织调整为顶级组织"
MOVES_BY_SUPERIORS = "只有上级党组织可以调整该组织的上级；本组织不能调整自己的隶属关系"
APPROVAL_BY_SUPERIORS = "延期换届须由上级党组织批准，本组织不能自行批准"


# --- who may --------------------------------------------------------------------------


def _check_writes(actor: Actor | None, organization: Organization | None) -> None:
    """Refuse an actor who may not change ``organization`` (None: a root, superusers only)."""
    if actor is None:
        return
    if organization is None:
        if not actor.is_superuser:
            raise ActionForbidden(ROOTS_BY_SUPERUSERS)
        return
    access_organization(actor, organization.pk, write=True)


# --- organizations ---------------------------------------------------------------


def _lock_tree() -> None:
    """Serialize changes of the tree's shape (create, move).

    Treebeard rewrites the paths of whole branches and of later siblings;
    two such rewrites at once could interleave. Locking the root rows is
    enough because every shape change goes through this module.
    """
    list(Organization.objects.select_for_update().filter(depth=1).values_list("pk", flat=True))


def _parent_id(organization: Organization) -> int | None:
    parent = Organization.objects.get_parent(organization, update=True)
    return parent.pk if parent is not None else None


def _organization_snapshot(organization: Organization) -> dict[str, Any]:
    data = snapshot(organization, ORGANIZATION_UPDATABLE_FIELDS)
    data["parent_id"] = _parent_id(organization)
    return data


def check_can_have_children(parent: Organization) -> None:
    """Refuse a parent that cannot take sub-organizations (a branch, an inactive organization)."""
    if parent.org_type in BRANCH_TYPES:
        raise ValidationError(f"{parent.get_org_type_display()}下不能再设党组织", code="branch_has_no_children")
    if not parent.is_active:
        raise ValidationError("上级组织已撤销，不能在其下设立或移入组织", code="parent_inactive")


def check_move(node: Organization, target: Organization) -> None:
    """Refuse moving ``node`` under ``target``: itself, its own subtree, or a parent that takes no children."""
    if target.pk == node.pk or target.is_descendant_of(node):
        raise ValidationError("不能把组织移到它自己或它的下级组织之下", code="move_into_own_subtree")
    check_can_have_children(target)


def organization_create(
    *,
    name: str,
    code: str,
    org_type: str,
    category: str,
    parent: Organization | None = None,
    founded: date | None = None,
    is_active: bool = True,
    actor: Actor | None,
) -> Organization:
    """Create an organization under ``parent`` (as its last child), or a root without one."""
    with transaction.atomic():
        _check_writes(actor, parent)
        _lock_tree()
        organization = Organization(
            name=name, code=code, org_type=org_type, category=category, founded=founded, is_active=is_active
        )
        organization.full_clean(exclude=TREE_FIELDS)
        if parent is None:
            Organization.objects.add_root(instance=organization)
        else:
            parent = Organization.objects.get(pk=parent.pk)
            check_can_have_children(parent)
            Organization.objects.add_child(parent, instance=organization)
        audit_log(
            actor=actor,
            action="organization.created",
            obj=organization,
            before=None,
            after=_organization_snapshot(organization),
        )
    return organization


def organization_update(*, organization: Organization, data: Mapping[str, Any], actor: Actor | None) -> Organization:
    """Change an organization's own fields (not its place in the tree: see ``organization_move``)."""
    with transaction.atomic():
        _check_writes(actor, organization)
        current: Organization = Organization.objects.select_for_update().get(pk=organization.pk)
        before = snapshot(current, ORGANIZATION_UPDATABLE_FIELDS)
        changed = apply_changes(current, data, ORGANIZATION_UPDATABLE_FIELDS)
        if not changed:
            return current
        current.full_clean(exclude=TREE_FIELDS)
        if "org_type" in changed and current.org_type in BRANCH_TYPES and current.numchild:
            raise ValidationError("该组织下还有党组织，不能改为支部类型", code="branch_has_no_children")
        current.save(update_fields=changed)
        after = snapshot(current, ORGANIZATION_UPDATABLE_FIELDS)
        audit_log(
            actor=actor,
            action="organization.updated",
            obj=current,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return current


def organization_move(
    *, organization: Organization, new_parent: Organization | None, actor: Actor | None
) -> Organization:
    """Move an organization, with its whole subtree, under ``new_parent`` (None: make it a root).

    Refuses a move under the organization itself or under one of its
    descendants, and under a branch. Moving to the current parent changes
    nothing. The actor must be a superior of the organization, and may move it only within its own subtree.
    """
    with transaction.atomic():
        _check_writes(actor, organization)
        if actor is not None and not is_superior_of(actor, organization.pk):
            raise ActionForbidden(MOVES_BY_SUPERIORS)
        _check_writes(actor, new_parent)
        _lock_tree()
        node: Organization = Organization.objects.get(pk=organization.pk)
        target = None
        if new_parent is not None:
            target = Organization.objects.get(pk=new_parent.pk)
            check_move(node, target)
        old_parent_id = _parent_id(node)
        new_parent_id = target.pk if target is not None else None
        if old_parent_id == new_parent_id:
            return node
        if target is None:
            Organization.objects.move(node, Organization.objects.get_last_root_node(), "last-sibling")
        else:
            Organization.objects.move(node, target, "last-child")
        node.refresh_from_db()
        audit_log(
            actor=actor,
            action="organization.moved",
            obj=node,
            before={"parent_id": old_parent_id},
            after={"parent_id": new_parent_id},
        )
    return node


# --- members -----------------------------------------------------------------------


def _member_snapshot(member: Member) -> dict[str, Any]:
    data = snapshot(member, [name for name in MEMBER_UPDATABLE_FIELDS if name != "phone"])
    # Audit entries can never be erased, so they keep only the masked phone.
    data["phone"] = mask_phone(member.phone)
    return data


def check_accepts_members(organization: Organization) -> None:
    """Refuse adding or transferring members to an inactive organization."""
    if not organization.is_active:
        raise ValidationError("该组织已撤销，不能再调入党员", code="organization_inactive")


def member_create(
    *,
    organization: Organization,
    name: str,
    gender: str,
    birth_year: int,
    joined: date,
    status: str = MemberStatus.FULL,
    leadership_position: str = LeadershipPosition.NONE,
    phone: str = "",
    actor: Actor | None,
) -> Member:
    with transaction.atomic():
        _check_writes(actor, organization)
        check_accepts_members(organization)
        member = Member(
            organization=organization,
            name=name,
            gender=gender,
            birth_year=birth_year,
            joined=joined,
            status=status,
            leadership_position=leadership_position,
            phone=phone,
        )
        member.full_clean()
        member.save()
        audit_log(actor=actor, action="member.created", obj=member, before=None, after=_member_snapshot(member))
    return member


def _check_member(actor: Actor | None, member: Member) -> None:
    if actor is not None:
        access_member(actor, member.pk, write=True)


def member_update(*, member: Member, data: Mapping[str, Any], actor: Actor | None) -> Member:
    """Change a member's fields; a new ``organization`` is a transfer (组织关系转接), within the actor's subtree."""
    with transaction.atomic():
        _check_member(actor, member)
        current: Member = Member.objects.select_for_update().get(pk=member.pk)
        before = _member_snapshot(current)
        changed = apply_changes(current, data, MEMBER_UPDATABLE_FIELDS)
        if not changed:
            return current
        if "organization" in changed:
            _check_writes(actor, current.organization)
            check_accepts_members(current.organization)
        current.full_clean()
        current.save(update_fields=changed)
        after = _member_snapshot(current)
        keys = [str(getattr(Member._meta.get_field(name), "attname", name)) for name in changed]
        audit_log(
            actor=actor,
            action="member.updated",
            obj=current,
            before={key: before[key] for key in keys},
            after={key: after[key] for key in keys},
        )
    return current


def member_delete(*, member: Member, actor: Actor | None) -> None:
    with transaction.atomic():
        _check_member(actor, member)
        current = Member.objects.select_for_update().get(pk=member.pk)
        # Logged first: after delete() the instance has no primary key.
        audit_log(actor=actor, action="member.deleted", obj=current, before=_member_snapshot(current), after=None)
        current.delete()


# --- elections ----------------------------------------------------------------------


def election_record(
    *,
    organization: Organization,
    last_election: date,
    term_years: int,
    postponement_requested: bool = False,
    postponement_approved: bool = False,
    actor: Actor | None,
) -> Election:
    """Record the organization's current term (换届): the last election and its length.

    A new election date starts a new term: then a postponement request of the
    old term no longer applies unless given again. Only a superior approves a postponement: the
    organization's own account may not.
    """
    with transaction.atomic():
        _check_writes(actor, organization)
        election = Election.objects.select_for_update().filter(organization=organization).first()
        before = snapshot(election, ELECTION_FIELDS) if election is not None else None
        approved = election is not None and election.postponement_approved
        if election is None:
            election = Election(organization=organization)
        election.last_election = last_election
        election.term_years = term_years
        election.postponement_requested = postponement_requested
        election.postponement_approved = postponement_approved
        after = snapshot(election, ELECTION_FIELDS)
        if before == after:
            return election
        election.full_clean()
        if postponement_approved and not approved and not _may_approve(actor, organization):
            raise ActionForbidden(APPROVAL_BY_SUPERIORS)
        election.save()
        audit_log(actor=actor, action="election.recorded", obj=election, before=before, after=after)
    return election


def _may_approve(actor: Actor | None, organization: Organization) -> bool:
    return actor is None or actor.is_superuser or actor.organization_id != organization.pk
