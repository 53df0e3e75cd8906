"""Users: each attached to one node of the organization tree with one role.

Roles (角色):

* ``committee_office`` — 市直工委组织部, at the root: runs the campaign;
* ``reviewer`` — 机关党委/党总支, an inner node: evaluates the organizations
  under it;
* ``branch_secretary`` — 支部书记, a leaf: fills in the branch's own data;
* ``inspector`` — 督导组, any node, read-only.

A user sees and changes only the subtree of the node the user is attached to
(``xingji.accounts.access``). Only a superuser may be attached to no node.
"""

from __future__ import annotations

from typing import ClassVar, Self, TypeAlias

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class Role(models.TextChoices):
    COMMITTEE_OFFICE = "committee_office", "市直工委组织部"
    REVIEWER = "reviewer", "机关党委/党总支"
    BRANCH_SECRETARY = "branch_secretary", "支部书记"
    INSPECTOR = "inspector", "督导组"


#: Roles that may change the data of their subtree; the others only read it.
WRITING_ROLES = frozenset({Role.COMMITTEE_OFFICE, Role.REVIEWER, Role.BRANCH_SECRETARY})


class User(AbstractUser):
    # One field for a Chinese name instead of first and last names. (Django removes a field set to None;
    # the stubs do not know it.)
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    name = models.CharField("姓名", max_length=50, blank=True)
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所在党组织",
        help_text="用户能看到和修改的是这个组织及其下级组织；只有超级用户可以不属于任何组织",
    )
    role = models.CharField("角色", max_length=32, choices=Role.choices, blank=True)

    objects: ClassVar[UserManager[Self]] = UserManager()

    #: The node's path as read with the user of a request (``backends.ScopedModelBackend``); not a field.
    scope_path: str | None = None

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_superuser=True) | (models.Q(organization__isnull=False) & ~models.Q(role="")),
                name="accounts_user_has_node_and_role",
                violation_error_message="除超级用户外，每个用户都应属于一个组织并有一个角色",
            ),
        ]

    def __str__(self) -> str:
        if self.name:
            return f"{self.name}（{self.username}）"
        return self.username

    def get_full_name(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.name or self.username

    @property
    def is_read_only(self) -> bool:
        """Whether the user may only read (an inspector, 督导组)."""
        return not self.is_superuser and self.role not in WRITING_ROLES


#: The account a service acts for. Every service that changes data takes one (``actor``) and checks it itself
#: (``xingji.accounts.access``), whatever its caller checked before.
Actor: TypeAlias = User
