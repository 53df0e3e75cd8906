"""Who may see and change what: the only place where scoping is decided.

Every view, admin page and API endpoint reaches an organization, member or
election through these functions, never through ``Model.objects`` directly.

Semantics
---------
* **Visibility** is the subtree of the node the user is attached to
  (``User.organization``), that node included. A superuser sees everything;
  an anonymous or inactive user, or one attached to no node, sees nothing.
* **Outside the subtree, or missing: 404.** ``access_*`` raises ``Http404``
  for an id that does not exist and for one that exists outside the user's
  subtree, with the same message, so ids cannot be probed.
* **Visible but read-only: 403.** A read-only role (inspector, 督导组) asking
  to write (``write=True``) an object it can read gets ``PermissionDenied``.
  This reveals nothing — the user can already read the object — and tells
  the user plainly why the change was refused.

The policy: the service checks
--------------------------------
**Every service that changes data checks its actor itself** (``actor: Actor``,
keyword-only), inside its transaction and before it writes anything, through
these functions and the app's own ``access`` module: a view may check earlier
to answer with a better page (404, 403, a disabled button), never instead.
A refusal — ``Http404`` for what lies outside the actor's subtree, the same
answer as for what does not exist; ``ActionForbidden`` (a ``PermissionDenied``
with the reason in Chinese) for a role that may not — changes nothing and
writes no audit entry. The demo loader and the management commands act as a
named account too, so that the audit log says who did it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet, Subquery
from django.http import Http404

from xingji.accounts.models import WRITING_ROLES, Role, User
from xingji.common.errors import ActionForbidden
from xingji.orgs.models import Election, Member, Organization

#: Whoever a view or a service is asked for: an account, the anonymous user, or nobody (None).
Someone = User | AnonymousUser | None

NOT_FOUND = "没有找到该对象"
READ_ONLY = "当前角色只能查看，不能修改"


def can_write(user: User) -> bool:
    """Whether the user's role may change data (in its own subtree)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return user.organization_id is not None and user.role in WRITING_ROLES


def visible_organizations(user: User) -> QuerySet[Organization]:
    """The organizations the user can see: the subtree of the user's node."""
    if not (user.is_authenticated and user.is_active):
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    if user.organization_id is None:
        return Organization.objects.none()
    # The user of a request comes with its node's path (``backends.ScopedModelBackend``), a literal the
    # planner can use; any other user object has its node's path read in the same query, so a node moved
    # since that object was loaded is scoped by where it is now.
    if user.scope_path is not None:
        return Organization.objects.filter(path__startswith=user.scope_path)
    node_path = Organization.objects.filter(pk=user.organization_id).values("path")[:1]
    return Organization.objects.filter(path__startswith=Subquery(node_path))


def visible_members(user: User) -> QuerySet[Member]:
    return Member.objects.filter(organization__in=visible_organizations(user))


def visible_elections(user: User) -> QuerySet[Election]:
    return Election.objects.filter(organization__in=visible_organizations(user))


#: The roles that act for their own organization: its self-evaluation, its plan (支部书记, 机关党委/党总支).
SELF_ROLES = frozenset({Role.BRANCH_SECRETARY, Role.REVIEWER})

#: The roles that evaluate and follow the organizations below their node (机关党委/党总支, 组织部).
SUPERIOR_ROLES = frozenset({Role.REVIEWER, Role.COMMITTEE_OFFICE})


def is_superior_of(user: Someone, organization_id: int | None) -> bool:
    """A reviewer or the office above the organization (never the organization's own user), or a superuser."""
    if not isinstance(user, User) or not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    return (
        user.role in SUPERIOR_ROLES
        and user.organization_id != organization_id
        and visible_organizations(user).filter(pk=organization_id).exists()
    )


def is_inspector_of(user: Someone, organization_id: int | None) -> bool:
    """An inspection group (督导组) whose node holds the organization."""
    return (
        isinstance(user, User)
        and is_active_user(user)
        and user.role == Role.INSPECTOR
        and user.organization_id != organization_id
        and visible_organizations(user).filter(pk=organization_id).exists()
    )


def is_active_user(user: Someone) -> bool:
    """A logged-in, active user (``None`` and the anonymous user are not)."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def get_or_404(queryset: QuerySet[Any], object_id: object) -> Any:
    """The object of ``queryset`` with that id; 404 with the same message whether it is missing, outside
    the user's subtree (the queryset is already scoped) or the id is malformed."""
    try:
        found = queryset.filter(pk=object_id).first()
    except (TypeError, ValueError, ValidationError):
        found = None
    if found is None:
        raise Http404(NOT_FOUND)
    return found


def _check_write(user: User, write: bool) -> None:
    if write and not can_write(user):
        raise ActionForbidden(READ_ONLY)


def access_organization(user: User, organization_id: object, *, write: bool = False) -> Organization:
    """The organization, if the user may see it (and change it, with ``write``).

    Raises ``Http404`` when it does not exist or lies outside the user's
    subtree, ``ActionForbidden`` (a ``PermissionDenied``) when ``write`` is asked of a read-only role.
    """
    organization: Organization = get_or_404(visible_organizations(user), organization_id)
    _check_write(user, write)
    return organization


def access_member(user: User, member_id: object, *, write: bool = False) -> Member:
    """The member, on the same terms as ``access_organization``."""
    member: Member = get_or_404(visible_members(user).select_related("organization"), member_id)
    _check_write(user, write)
    return member


def access_election(user: User, election_id: object, *, write: bool = False) -> Election:
    """The election record, on the same terms as ``access_organization``."""
    election: Election = get_or_404(visible_elections(user).select_related("organization"), election_id)
    _check_write(user, write)
    return election


def visible_users(user: User) -> QuerySet[User]:
    """The accounts attached to the user's subtree, superusers excepted (all of them for a superuser)."""
    if not (user.is_authenticated and user.is_active):
        return User.objects.none()
    if user.is_superuser:
        return User.objects.all()
    # A superuser's account is beyond the reach of anyone who is not one.
    return User.objects.filter(organization__in=visible_organizations(user), is_superuser=False)


def is_administrator(user: Someone) -> bool:
    """The back office (``/admin/``) is for administrators only: active superusers (系统管理员).

    Every other role works on the site's own pages, which cover what it may do;
    the admin site answers them 403 (``xingji.adminsite``).
    """
    return bool(isinstance(user, User) and is_active_user(user) and user.is_superuser)


ADMINISTRATORS_ONLY = (
    "后台管理只对系统管理员（超级用户）开放。请使用网站的各项功能页面；如需以管理员身份登录，请先退出当前账户。"
)


def can_read_audit(user: User) -> bool:
    """The audit log spans the whole tree: the committee office and superusers read it."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or (user.organization_id is not None and user.role == Role.COMMITTEE_OFFICE)


def can_manage_users(user: User) -> bool:
    """Superusers and the committee office manage accounts (the office: within its subtree)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or (user.organization_id is not None and user.role == Role.COMMITTEE_OFFICE)


MANAGERS_ONLY = "只有市直工委组织部可以管理用户"


def access_user(user: User, user_id: object) -> User:
    """An account the user may manage: 403 for a user who manages none, 404 outside the subtree (or missing)."""
    if not can_manage_users(user):
        raise ActionForbidden(MANAGERS_ONLY)
    account: User = get_or_404(visible_users(user).select_related("organization"), user_id)
    return account
