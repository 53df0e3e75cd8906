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

History is appended, never overwritten: a rename keeps the former name
(``OrganizationName``), a move its date (``OrganizationMove``), a new
election its term (``ElectionTerm``); ``organization_merge`` and
``organization_dissolve`` end an organization by making it inactive with the
date, never by deleting it, so its star ledger and records stay.

Updates take ``data``, a mapping of field name to new value, limited to the
fields listed in ``*_UPDATABLE_FIELDS``; a form's ``cleaned_data`` restricted
to its changed fields fits. They return the fresh, updated instance: use it
rather than the one passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xingji.accounts.access import access_member, access_organization, is_superior_of
from xingji.accounts.models import Actor
from xingji.audit.services import append_audit_entries, audit_log, snapshot
from xingji.common.errors import ActionForbidden
from xingji.common.updates import apply_changes
from xingji.orgs.models import (
    Election,
    ElectionTerm,
    LeadershipPosition,
    Member,
    MemberStatus,
    Organization,
    OrganizationMove,
    OrganizationName,
    OrganizationType,
    mask_phone,
    validate_not_in_future,
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
ENDS_BY_SUPERIORS = "只有上级党组织可以合并或撤销该组织；本组织不能合并或撤销自己"


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
        if "is_active" in changed and current.is_active and current.merged_into_id is not None:
            raise ValidationError("该组织已并入其他组织，不能恢复为有效", code="merged_cannot_reactivate")
        if "name" in changed:
            # The star ledger and the records are keyed by the organization, not its name: only the
            # former name needs keeping, to find the organization by it.
            OrganizationName.objects.create(organization=current, name=before["name"], until=timezone.localdate())
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


def check_move_date(node: Organization, moved_on: date) -> None:
    """Refuse a move dated in the future or before the organization's last recorded move (history stays in order)."""
    validate_not_in_future(moved_on)
    last = OrganizationMove.objects.filter(organization=node).order_by("-moved_on", "-id").first()
    if last is not None and moved_on < last.moved_on:
        raise ValidationError(
            f"调整日期不能早于该组织上一次调整隶属关系的日期（{last.moved_on:%Y-%m-%d}）", code="move_before_last"
        )


def _move(
    node: Organization, target: Organization | None, moved_on: date, actor: Actor | None
) -> tuple[int | None, int | None]:
    """Re-parent ``node`` (locked tree, access checked) and record the move; (old, new) parent ids."""
    if target is not None:
        check_move(node, target)
    old_parent_id = _parent_id(node)
    new_parent_id = target.pk if target is not None else None
    if old_parent_id == new_parent_id:
        return old_parent_id, new_parent_id
    check_move_date(node, moved_on)
    if target is None:
        Organization.objects.move(node, Organization.objects.get_last_root_node(), "last-sibling")
    else:
        Organization.objects.move(node, target, "last-child")
    OrganizationMove.objects.create(
        organization_id=node.pk,
        from_parent_id=old_parent_id,
        to_parent_id=new_parent_id,
        moved_on=moved_on,
        actor=actor,
    )
    return old_parent_id, new_parent_id


def organization_move(
    *,
    organization: Organization,
    new_parent: Organization | None,
    moved_on: date | None = None,
    actor: Actor | None,
) -> Organization:
    """Move an organization, with its whole subtree, under ``new_parent`` (None: make it a root).

    Refuses a move under the organization itself or under one of its
    descendants, and under a branch. Moving to the current parent changes
    nothing. The actor must be a superior of the organization, and may move it only within its own subtree.
    The move is recorded with its date ``moved_on`` (today by default; not in the future, not before the
    organization's previous move), so that the tree as it stood on a past day can be read back
    (``selectors.parent_on``).
    """
    with transaction.atomic():
        _check_writes(actor, organization)
        if actor is not None and not is_superior_of(actor, organization.pk):
            raise ActionForbidden(MOVES_BY_SUPERIORS)
        _check_writes(actor, new_parent)
        _lock_tree()
        node: Organization = Organization.objects.get(pk=organization.pk)
        target = Organization.objects.get(pk=new_parent.pk) if new_parent is not None else None
        day = moved_on or timezone.localdate()
        old_parent_id, new_parent_id = _move(node, target, day, actor)
        if old_parent_id == new_parent_id:
            return node
        node.refresh_from_db()
        audit_log(
            actor=actor,
            action="organization.moved",
            obj=node,
            before={"parent_id": old_parent_id},
            after={"parent_id": new_parent_id},
        )
    return node


# --- merging and dissolving ----------------------------------------------------------


def _check_ends(actor: Actor | None, organization: Organization) -> None:
    _check_writes(actor, organization)
    if actor is not None and not is_superior_of(actor, organization.pk):
        raise ActionForbidden(ENDS_BY_SUPERIORS)


def _check_end(organization: Organization, on: date, reason: str) -> None:
    if not organization.is_active:
        raise ValidationError("该组织已撤销或已合并", code="organization_inactive")
    validate_not_in_future(on)
    if organization.founded and on < organization.founded:
        raise ValidationError(
            f"日期不能早于该组织的成立日期（{organization.founded:%Y-%m-%d}）", code="end_before_founded"
        )
    if not reason.strip():
        raise ValidationError("请填写原因", code="reason_required")


def check_merge(source: Organization, into: Organization) -> None:
    """Refuse merging ``source`` into itself, into its own subtree, into an inactive organization, or its
    sub-organizations into a branch (which takes none)."""
    if into.pk == source.pk:
        raise ValidationError("不能把组织并入它自己", code="merge_into_itself")
    if into.is_descendant_of(source):
        raise ValidationError("不能把组织并入它自己的下级组织", code="merge_into_own_subtree")
    if not into.is_active:
        raise ValidationError("接收组织已撤销或已合并，不能再并入", code="merge_into_inactive")
    children = Organization.objects.get_children_count(source)
    if children and into.org_type in BRANCH_TYPES:
        raise ValidationError(
            f"该组织有 {children} 个下级组织，{into.get_org_type_display()}下不能再设党组织，不能并入",
            code="merge_children_into_branch",
        )


def organization_merge(
    *, source: Organization, into: Organization, on: date, reason: str, actor: Actor | None
) -> Organization:
    """Merge ``source`` into ``into`` (合并) on the day ``on``: its members and sub-organizations move to
    ``into``, and ``source`` becomes inactive with ``merged_into``, the date and the reason.

    ``source`` is not deleted: its star ledger, records and election history stay its own and are reached
    from ``into``'s page. The moved members leave their posts (the team of ``into`` is ``into``'s); the
    sub-organizations move through the move service, dated ``on``. The actor must be a superior of
    ``source`` and see ``into``.
    """
    with transaction.atomic():
        _check_ends(actor, source)
        _check_writes(actor, into)
        _lock_tree()
        current: Organization = Organization.objects.select_for_update().get(pk=source.pk)
        target: Organization = Organization.objects.select_for_update().get(pk=into.pk)
        _check_end(current, on, reason)
        check_merge(current, target)
        members = list(Member.objects.select_for_update().filter(organization=current).order_by("id"))
        entries: list[tuple[str, Any, Any, Any]] = []
        for member in members:
            entries.append(
                (
                    "member.updated",
                    member,
                    {"organization_id": current.pk, "leadership_position": member.leadership_position},
                    {"organization_id": target.pk, "leadership_position": LeadershipPosition.NONE},
                )
            )
        Member.objects.filter(pk__in=[member.pk for member in members]).update(
            organization=target, leadership_position=LeadershipPosition.NONE
        )
        children = list(Organization.objects.get_children(current))
        for child in children:
            node = Organization.objects.get(pk=child.pk)
            old_parent_id, new_parent_id = _move(node, Organization.objects.get(pk=target.pk), on, actor)
            entries.append(
                (
                    "organization.moved",
                    child,
                    {"parent_id": old_parent_id},
                    {"parent_id": new_parent_id},
                )
            )
        Organization.objects.filter(pk=current.pk).update(
            is_active=False, ended_on=on, end_reason=reason.strip(), merged_into=target
        )
        current.refresh_from_db()
        entries.append(
            (
                "organization.merged",
                current,
                {"is_active": True},
                {
                    "is_active": False,
                    "merged_into_id": target.pk,
                    "ended_on": on,
                    "end_reason": current.end_reason,
                    "members_moved": len(members),
                    "organizations_moved": [child.code for child in children],
                },
            )
        )
        append_audit_entries(actor=actor, entries=entries)
    return current


def organization_dissolve(*, organization: Organization, on: date, reason: str, actor: Actor | None) -> Organization:
    """Dissolve an organization (撤销) on the day ``on``: made inactive with the date and the reason.

    Refused while it still has members or active sub-organizations: they are transferred, moved or
    dissolved first. Its star ledger, records and history stay. The actor must be a superior of it.
    """
    with transaction.atomic():
        _check_ends(actor, organization)
        _lock_tree()
        current: Organization = Organization.objects.select_for_update().get(pk=organization.pk)
        _check_end(current, on, reason)
        members = Member.objects.filter(organization=current).count()
        children = Organization.objects.get_children(current).filter(is_active=True).count()
        if members or children:
            left = [f"党员 {members} 名"] if members else []
            left += [f"有效的下级组织 {children} 个"] if children else []
            raise ValidationError(
                f"该组织还有{'、'.join(left)}，请先转出党员、调整或撤销下级组织后再撤销", code="dissolve_not_empty"
            )
        Organization.objects.filter(pk=current.pk).update(is_active=False, ended_on=on, end_reason=reason.strip())
        current.refresh_from_db()
        audit_log(
            actor=actor,
            action="organization.revoked",
            obj=current,
            before={"is_active": True},
            after={"is_active": False, "ended_on": on, "end_reason": current.end_reason},
        )
    return current


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


#: One elected seat: the post (``LeadershipPosition``, not "none") and the member from the roll.
Seat = tuple[str, Member]

TEAM_POSITIONS = (
    LeadershipPosition.SECRETARY,
    LeadershipPosition.DEPUTY_SECRETARY,
    LeadershipPosition.COMMITTEE_MEMBER,
)


def team_snapshot(organization: Organization, team: Sequence[Seat]) -> list[dict[str, Any]]:
    """The elected team as stored in ``ElectionTerm.team``, in post order, after checking it.

    Refuses a post that is not a team post, a member of another organization, a member given two posts,
    and more than one secretary, naming the member.
    """
    seen: dict[int, str] = {}
    seats = []
    for position, member in team:
        if position not in TEAM_POSITIONS:
            raise ValidationError(f"“{member.name}”的职务不是班子职务", code="team_position")
        if member.organization_id != organization.pk:
            raise ValidationError(f"“{member.name}”不是本组织的党员，不能列入当选班子", code="team_member_elsewhere")
        if member.pk in seen:
            raise ValidationError(f"“{member.name}”只能担任一个职务", code="team_member_twice")
        seen[member.pk] = position
        seats.append({"position": str(position), "name": member.name, "member_id": member.pk})
    if sum(1 for seat in seats if seat["position"] == LeadershipPosition.SECRETARY) > 1:
        raise ValidationError("当选班子只能有一名书记", code="team_two_secretaries")
    return sorted(seats, key=lambda seat: TEAM_POSITIONS.index(seat["position"]))


def _record_term(
    organization: Organization,
    elected_on: date,
    term_years: int,
    team: list[dict[str, Any]] | None,
    note: str | None,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Append or amend the organization's latest term; (before, after) of the term row, or (None, None).

    A date later than the latest term's is a new election: a new row, the old one kept. The same date
    amends that term (length, team, note). An earlier date corrects the latest term's date, and must stay
    after the term before it (an older term is history, not corrected here).
    """
    terms = list(ElectionTerm.objects.select_for_update().filter(organization=organization).order_by("-elected_on")[:2])
    latest = terms[0] if terms else None
    fields = ("elected_on", "term_years", "team", "note")
    if latest is None or elected_on > latest.elected_on:
        term = ElectionTerm(organization=organization, elected_on=elected_on, term_years=term_years)
        before = None
    else:
        term = latest
        before = snapshot(term, fields)
        if elected_on < latest.elected_on and len(terms) > 1 and elected_on <= terms[1].elected_on:
            raise ValidationError(
                {"last_election": f"换届日期应晚于上一届的换届日期（{terms[1].elected_on:%Y-%m-%d}）"},
                code="term_before_previous",
            )
        term.elected_on = elected_on
        term.term_years = term_years
    if team is not None:
        term.team = team
    if note is not None:
        term.note = note
    after = snapshot(term, fields)
    if before == after:
        return None, None
    term.full_clean(exclude=["organization"])
    term.save()
    return before, after


def election_record(
    *,
    organization: Organization,
    last_election: date,
    term_years: int,
    postponement_requested: bool = False,
    postponement_approved: bool = False,
    team: Sequence[Seat] | None = None,
    note: str | None = None,
    actor: Actor | None,
) -> Election:
    """Record the organization's current term (换届): the last election and its length.

    A new election date starts a new term: then a postponement request of the
    old term no longer applies unless given again. Only a superior approves a postponement: the
    organization's own account may not.

    Each term is also kept in the history (``ElectionTerm``, see ``_record_term``), with the team elected
    (``team``: the seats, None leaves the recorded team as it is) and a ``note``.
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
        seats = team_snapshot(organization, team) if team is not None else None
        election.full_clean()
        if postponement_approved and not approved and not _may_approve(actor, organization):
            raise ActionForbidden(APPROVAL_BY_SUPERIORS)
        term_before, term_after = _record_term(organization, last_election, term_years, seats, note)
        if before == after and term_after is None:
            return election
        if before != after:
            election.save()
        if term_after is not None:
            before = {**before, "term": term_before} if before is not None else None
            after = {**after, "term": term_after}
        audit_log(actor=actor, action="election.recorded", obj=election, before=before, after=after)
    return election


def _may_approve(actor: Actor | None, organization: Organization) -> bool:
    return actor is None or actor.is_superuser or actor.organization_id != organization.pk
