"""The first run of a real office (``xingji setup``): the root organization, the first office account, the tree.

The demo shows the platform with made-up data; an office going live starts
from an empty database instead. ``first_setup`` does, in one transaction:

1. creates the root organization (the working committee, 工委), refusing a
   database that already has one (a second root would split the tree);
2. creates the first office account (市直工委组织部) on it, with a password
   that passes the password rules;
3. optionally imports the organizations, then the members, from the office's
   own spreadsheets, through the same importers as the web pages.

Any error — a code already taken, a weak password, a bad row of either file —
writes nothing, and the errors name the row and the column. Everything
written is audited, by the system (no actor) for the root and the account,
by the new office account for the imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from xingji.accounts.access import visible_organizations
from xingji.accounts.models import Role, User
from xingji.accounts.services import user_create
from xingji.orgs.imports import ImportResult, import_members, import_organizations
from xingji.orgs.models import Organization, OrganizationCategory, OrganizationType
from xingji.orgs.services import organization_create

ALREADY_SET_UP = "数据库中已有党组织（{name}），不能再次初始化；请登录后在“组织管理”中维护"


class SetupRefused(Exception):
    """The first run could not be done; nothing was written. ``problems``: one Chinese line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class SetupResult:
    root: Organization
    office: User
    organizations: int = 0
    members: int = 0
    notes: list[str] = field(default_factory=list)


def _messages(error: ValidationError, label: str, model: type[Organization] | type[User]) -> list[str]:
    """A refusal as lines naming the field by its Chinese name: ``顶级组织：组织编号 编号只能包含……``."""
    if not hasattr(error, "error_dict"):
        return [f"{label}：{message}" for message in error.messages]
    fields = {
        field.name: str(field.verbose_name) for field in model._meta.get_fields() if hasattr(field, "verbose_name")
    }
    return [
        f"{label}：{fields.get(name, name)} {message}"
        for name, items in error.message_dict.items()
        for message in items
    ]


def _import_problems(result: ImportResult, label: str) -> list[str]:
    return [f"{label}：{error}" for error in result.errors]


def first_setup(
    *,
    root_name: str,
    root_code: str,
    username: str,
    password: str,
    name: str = "",
    email: str = "",
    organizations_file: Path | None = None,
    members_file: Path | None = None,
) -> SetupResult:
    """Create the root, the first office account and (optionally) the tree and its members, all or nothing."""
    with transaction.atomic():
        existing = Organization.objects.filter(depth=1).first()
        if existing is not None:
            raise SetupRefused([ALREADY_SET_UP.format(name=existing.name)])
        try:
            root = organization_create(
                name=root_name.strip(),
                code=root_code.strip(),
                org_type=OrganizationType.PARTY_COMMITTEE,
                category=OrganizationCategory.GOVERNMENT,
                actor=None,
            )
        except ValidationError as error:
            raise SetupRefused(_messages(error, "顶级组织", Organization)) from None
        try:
            office = user_create(
                username=username.strip(),
                password=password,
                organization=root,
                role=Role.COMMITTEE_OFFICE,
                name=name.strip(),
                email=email.strip(),
                actor=None,
            )
        except ValidationError as error:
            raise SetupRefused(_messages(error, "工委账户", User)) from None
        result = SetupResult(root=root, office=office)
        if organizations_file is not None:
            imported = import_organizations(
                file=organizations_file, actor=office, user_scope=visible_organizations(office)
            )
            if not imported.is_success:
                raise SetupRefused(_import_problems(imported, f"组织名册 {organizations_file.name}"))
            result.organizations = imported.created
        if members_file is not None:
            imported = import_members(file=members_file, actor=office, user_scope=visible_organizations(office))
            if not imported.is_success:
                raise SetupRefused(_import_problems(imported, f"党员名册 {members_file.name}"))
            result.members = imported.created
    return result
