"""Who may see, enter, change and confirm evidence records: the rated do not score themselves.

Visibility has the semantics of ``xingji.accounts.access``: a record is
visible when its organization is in the user's subtree; a missing record and
one outside the subtree both raise ``Http404`` with one message. Then, for an
organization O of the user's subtree (``ActionForbidden``, with the reason in
Chinese, for whatever is refused):

* **The issuer** of O's records is a superior of O (``is_superior_of``: a
  reviewer or the committee office whose node lies strictly above O, or a
  superuser), and for criticism notices also the inspection group (督导组)
  over O (``supervision.services`` records those of its visits). What the
  issuer enters is confirmed (已确认) at once.
* **The rated organization itself** (a writing user whose node is O) enters
  records that add points (``adds_points``: commendations, innovations) only
  as claims (申报, 待确认), which count once the issuer confirms them (确认,
  with at least one attachment) and not when sent back (退回, 未通过). It may
  not enter, change or delete a record that takes points away, nor change a
  confirmed record: those belong to the level above.
* **Nobody changes or deletes a record owned above their node**: the level
  that confirmed it, or for a claim the level that entered it
  (``owner_organization_id``), must lie in the actor's subtree. A record
  without a level (entered by the system or a superuser, or before levels
  were kept) is owned by no one in particular: its issuers may change it.
* Anyone else — a read-only role, a writing role below which O lies without
  being its superior — is refused.

Each check has a boolean twin (``may_create_in``, ``may_change``,
``may_confirm``) so that pages show only the buttons that work. An attachment
is reached only through its record, and changed on the record's terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from xingji.accounts.access import (
    NOT_FOUND,
    READ_ONLY,
    SUPERIOR_ROLES,
    Someone,
    can_write,
    is_active_user,
    visible_organizations,
)
from xingji.accounts.models import Role, User
from xingji.common.errors import ActionForbidden
from xingji.orgs.models import Organization
from xingji.records.models import RECORD_MODELS, Attachment, CriticismNotice, EvidenceRecord, RecordStatus

SELF_DEDUCTION = "扣分记录（通报批评、党纪处分、违法违纪、缺席）由上级党组织登记，本组织不能自行登记、修改或删除"
CONFIRMED_ABOVE = "已确认的加分记录由上级党组织管理，本组织不能修改或删除"
OWNED_ABOVE = "上级党组织登记或确认的记录不能由本组织修改或删除"
NOT_ISSUER = "只有上级党组织可以为该组织登记、修改或删除这类记录"
NOT_CONFIRMER = "只有上级党组织可以确认或退回本组织的申报"
NOT_CLAIMABLE = "这类记录由上级党组织直接登记，无需确认"


def check_can_write(user: User) -> None:
    """Refuse (403) a user whose role only reads."""
    if not can_write(user):
        raise ActionForbidden(READ_ONLY)


# --- the decisions, from the tree's paths ------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where a user stands to one organization: the facts every decision below is made of."""

    #: In the user's subtree (always, for a superuser).
    visible: bool
    #: The user's own node.
    own: bool
    #: A superior of it (``accounts.access.is_superior_of``: a reviewer or the office strictly above it, or a
    #: superuser).
    superior: bool
    #: The inspection group strictly above it.
    inspector: bool
    #: The user's role writes.
    writer: bool


def _within(path: str | None, node_path: str | None) -> bool:
    return path is not None and node_path is not None and path.startswith(node_path)


class Rules:
    """The decisions for one user, from the paths of the tree (read once), so a page of records costs no query each.

    The services ask through the ``check_*`` functions below, which read the paths they need afresh.
    """

    def __init__(self, user: Someone, node_path: str | None = None) -> None:
        self.user = user
        active = is_active_user(user)
        self.superuser = bool(active and getattr(user, "is_superuser", False))
        self.node_id: int | None = getattr(user, "organization_id", None) if active else None
        self.role = getattr(user, "role", "") if active else ""
        self.writer = bool(active and isinstance(user, User) and can_write(user))
        if node_path is None and self.node_id is not None and not self.superuser:
            node_path = Organization.objects.filter(pk=self.node_id).values_list("path", flat=True).first()
        self.node_path = node_path

    def holds(self, path: str | None) -> bool:
        """Whether an organization with this path lies in the user's subtree."""
        return self.superuser or _within(path, self.node_path)

    def standing(self, organization_id: int | None, path: str | None) -> Standing:
        visible = path is not None and self.holds(path)
        own = visible and organization_id == self.node_id
        below = visible and not own
        return Standing(
            visible=visible,
            own=own,
            superior=self.superuser or (below and self.role in SUPERIOR_ROLES),
            inspector=below and self.role == Role.INSPECTOR,
            writer=self.writer,
        )

    # Each decision answers None (allowed) or why not; ``NOT_FOUND`` outside the subtree.

    def issuer(self, model: type[EvidenceRecord], standing: Standing) -> bool:
        """Whether the user enters confirmed records of ``model`` for the organization (see the module's text)."""
        return standing.superior or (model is CriticismNotice and standing.inspector)

    def refusal(self, model: type[EvidenceRecord], standing: Standing) -> str:
        """Why a user who is not the issuer may not write ``model``'s records of the organization."""
        if not standing.writer:
            return READ_ONLY
        if standing.own:
            return CONFIRMED_ABOVE if model.adds_points else SELF_DEDUCTION
        return NOT_ISSUER

    def creation(self, model: type[EvidenceRecord], standing: Standing) -> tuple[str | None, str]:
        """(why not or None, the status the record gets)."""
        if not standing.visible:
            return NOT_FOUND, ""
        if self.issuer(model, standing):
            return None, RecordStatus.CONFIRMED
        if model.adds_points and standing.writer and standing.own:
            return None, RecordStatus.CLAIMED
        return self.refusal(model, standing), ""

    def change(self, record: EvidenceRecord, standing: Standing, owner_path: str | None) -> str | None:
        """Why not to change or delete the record (or its attachments); ``owner_path``: its owner level's path."""
        if not standing.visible:
            return NOT_FOUND
        model = type(record)
        own_claim = record.is_claim and standing.writer and standing.own
        if not (own_claim or self.issuer(model, standing)):
            return self.refusal(model, standing)
        if owner_organization_id(record) is not None and not self.holds(owner_path):
            return OWNED_ABOVE
        return None

    def confirmation(self, record: EvidenceRecord, standing: Standing) -> str | None:
        """Why not to confirm or send back the record's claim: only its superior may (the state aside)."""
        if not standing.visible:
            return NOT_FOUND
        if not type(record).adds_points:
            return NOT_CLAIMABLE
        if standing.superior:
            return None
        return NOT_CONFIRMER if standing.writer else READ_ONLY

    # For the pages: the record's organization and owner loaded with it (``selectors.record_list``).

    def may_change(self, record: EvidenceRecord) -> bool:
        standing = self.standing(record.organization_id, record.organization.path)
        owner = _owner(record)
        return self.writer and self.change(record, standing, owner.path if owner else None) is None

    def may_confirm(self, record: EvidenceRecord) -> bool:
        if record.status != RecordStatus.CLAIMED or not self.writer:
            return False
        return self.confirmation(record, self.standing(record.organization_id, record.organization.path)) is None


def owner_organization_id(record: EvidenceRecord) -> int | None:
    """The level a record belongs to: the one that confirmed it, or for a claim the one that entered it.

    None (entered by the system or a superuser, or before levels were kept): no level; its issuers may change it.
    """
    if record.status == RecordStatus.CONFIRMED:
        return record.confirmed_by_organization_id or record.entered_by_organization_id
    return record.entered_by_organization_id


def _owner(record: EvidenceRecord) -> Organization | None:
    if record.status == RecordStatus.CONFIRMED and record.confirmed_by_organization_id is not None:
        return record.confirmed_by_organization
    if record.entered_by_organization_id is not None:
        return record.entered_by_organization
    return None


def _paths(*organization_ids: int | None) -> dict[int, str]:
    wanted = {pk for pk in organization_ids if pk is not None}
    if not wanted:
        return {}
    return dict(Organization.objects.filter(pk__in=wanted).values_list("pk", "path"))


def _raise(refusal: str | None) -> None:
    if refusal == NOT_FOUND:
        raise Http404(NOT_FOUND)
    if refusal is not None:
        raise ActionForbidden(refusal)


def _organization_id(organization: object) -> int | None:
    value = getattr(organization, "pk", organization)
    return value if isinstance(value, int) else None


# --- the checks of the services (and the pages): read the paths afresh, raise ------------------------------


def creation_status(user: User, model: type[EvidenceRecord], organization: Organization | int) -> str:
    """The status a record of ``model`` of that organization gets when the user enters it; else refuse.

    ``RecordStatus.CONFIRMED`` for its issuer, ``CLAIMED`` for the rated organization's own claim (申报)
    of a record that adds points; ``Http404`` outside the user's subtree, ``ActionForbidden`` otherwise.
    """
    organization_id = _organization_id(organization)
    rules = Rules(user)
    paths = _paths(organization_id)
    refusal, status = rules.creation(model, rules.standing(organization_id, paths.get(organization_id or 0)))
    _raise(refusal)
    return status


def check_may_record(user: User, model: type[EvidenceRecord], organization: Organization | int) -> None:
    """Refuse a user who may not enter a record of ``model`` of that organization (as ``creation_status``)."""
    creation_status(user, model, organization)


def check_may_change(user: User, record: EvidenceRecord) -> None:
    """Refuse a user who may not change or delete the record, or add or delete its attachments.

    The record's issuer may, and for a claim (待确认, 未通过) also the rated organization itself; either
    only when the record is not owned above the user's node (``owner_organization_id``).
    """
    owner = owner_organization_id(record)
    paths = _paths(record.organization_id, owner)
    rules = Rules(user)
    standing = rules.standing(record.organization_id, paths.get(record.organization_id))
    _raise(rules.change(record, standing, paths.get(owner) if owner is not None else None))


def check_may_confirm(user: User, record: EvidenceRecord) -> None:
    """Refuse a user who may not confirm (确认) or send back (退回) the record's claim: only its superior may."""
    rules = Rules(user)
    path = _paths(record.organization_id).get(record.organization_id)
    _raise(rules.confirmation(record, rules.standing(record.organization_id, path)))


def _allowed(check: Any, *args: Any) -> bool:
    try:
        check(*args)
    except (Http404, PermissionDenied):
        return False
    return True


def may_change(user: User, record: EvidenceRecord) -> bool:
    """Whether the user may change the record on the records pages (a writing role, and ``check_may_change``)."""
    return can_write(user) and _allowed(check_may_change, user, record)


def may_confirm(user: User, record: EvidenceRecord) -> bool:
    """Whether the user may confirm or send back this record now (a claim waiting, by its superior)."""
    return record.status == RecordStatus.CLAIMED and _allowed(check_may_confirm, user, record)


def may_enter(user: User, model: type[EvidenceRecord]) -> bool:
    """Whether the user may enter records of ``model`` somewhere on the records pages (for the 新增 buttons).

    The pages are for the writing roles (an inspection group records its criticism notices with its
    visits); a record that adds points can be claimed by the user's own organization, the others need
    an organization below the user's node.
    """
    if not can_write(user):
        return False
    return user.is_superuser or model.adds_points or user.role in SUPERIOR_ROLES


def enterable_organizations(user: User, model: type[EvidenceRecord]) -> QuerySet[Organization]:
    """The organizations for which the user may enter records of ``model`` on the records pages."""
    organizations = visible_organizations(user)
    if not may_enter(user, model):
        return organizations.none()
    if user.is_superuser or model.adds_points:
        return organizations
    return organizations.exclude(pk=user.organization_id)


def holder_organization_id(model: type[Model] | None, holder_id: int | str) -> int:
    """The organization of a holder of attachments (``attachments_organization`` names the lookup); 404 if none."""
    found = None
    if model is not None:
        lookup = getattr(model, "attachments_organization", "organization")
        found = model._default_manager.filter(pk=holder_id).values_list(lookup, flat=True).first()
    if not isinstance(found, int):
        raise Http404(NOT_FOUND)
    return found


def visible_records(user: User, model: type[EvidenceRecord]) -> QuerySet[Any]:
    """The records of ``model`` whose organization the user can see."""
    return model._default_manager.filter(organization__in=visible_organizations(user))


def access_record(user: User, model: type[EvidenceRecord], record_id: object, *, write: bool = False) -> EvidenceRecord:
    """The record, if the user may see it (and, with ``write``, change it on the records pages); else 404 (or 403).

    The pages are for the writing roles: an inspection group changes nothing there.
    """
    try:
        record = visible_records(user, model).select_related("organization").filter(pk=record_id).first()
    except (TypeError, ValueError, ValidationError):
        record = None
    if record is None:
        raise Http404(NOT_FOUND)
    if write:
        check_can_write(user)
        check_may_change(user, record)
    return record


def access_attachment(
    user: User, record: EvidenceRecord, attachment_id: int | str, *, write: bool = False
) -> Attachment:
    """An attachment of ``record`` (itself obtained through ``access_record``); else 404 (or 403)."""
    content_type = ContentType.objects.get_for_model(type(record))
    try:
        attachment = Attachment.objects.filter(pk=attachment_id, content_type=content_type, object_id=record.pk).first()
    except (TypeError, ValueError, ValidationError):
        attachment = None
    if attachment is None:
        raise Http404(NOT_FOUND)
    if write:
        check_can_write(user)
        check_may_change(user, record)
    return attachment


def visible_attachments(user: User) -> QuerySet[Attachment]:
    """The attachments of the records the user can see (for the admin)."""
    condition = Q(pk__in=[])
    for model in RECORD_MODELS:
        condition |= Q(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=visible_records(user, model).values("pk"),
        )
    return Attachment.objects.filter(condition)
