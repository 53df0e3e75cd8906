"""The organization tree, members and elections.

* ``Organization`` — a grassroots Party organization (基层党组织), a node of
  the tree kept as a materialized path (django-treebeard ``MP_Node``): the
  working committee (市直工委) at the root, 机关党委/党总支 inside, branches
  (党支部) at the leaves. A subtree is one ``path LIKE 'prefix%'`` query.
* ``Member`` — a Party member (党员) of one organization, with the least
  personal data the work needs: no ID-card number, an optional phone shown
  masked.
* ``Election`` — the organization's current term (换届): when it was last
  elected, for how long, and whether a postponement was requested (请示) and
  approved. The due date and the days overdue are computed; they feed the
  rating engine's election caps.

History is kept, never overwritten:

* ``ElectionTerm`` — every term (届) recorded, with its election date, length
  and the team elected (书记/副书记/委员), newest last; ``Election`` stays
  the current term that due dates and overdue caps read.
* ``OrganizationMove`` — each change of parent with its date, so that the
  tree as it stood on a past day can be read back (``selectors.parent_on``).
* ``OrganizationName`` — a former name (曾用名) and the day it was last used.
* An organization merged into another (合并) or dissolved (撤销) stays, made
  inactive with the date, the reason and, for a merge, ``merged_into``: its
  star ledger and records keep pointing at it.

Writes go through ``xingji.orgs.services``, reads through
``xingji.orgs.selectors``; neither model is saved directly by views or admin.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from treebeard.mp_tree import MP_Node


def validate_not_in_future(value: date) -> None:
    if value > timezone.localdate():
        raise ValidationError("日期不能晚于今天", code="date_in_future")


class OrganizationType(models.TextChoices):
    PARTY_COMMITTEE = "party_committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    JOINT_BRANCH = "joint_branch", "联合党支部"
    TEMPORARY_BRANCH = "temporary_branch", "临时党支部"


class OrganizationCategory(models.TextChoices):
    """The sector an organization sits in (分类).

    The stored values are the Chinese names because rating schemes select
    criteria by these very names (``categories = ["村", "社区"]`` in a scheme
    file); the engine's input takes the stored value as it is.
    """

    GOVERNMENT = "机关", "机关"
    STATE_ENTERPRISE = "国企", "国企"
    PUBLIC_INSTITUTION = "事业单位", "事业单位"
    SCHOOL = "学校", "学校"
    VILLAGE = "村", "村"
    COMMUNITY = "社区", "社区"
    NEW_ORGANIZATION = "两新", "两新"


#: The columns of an organization the database keeps from other tables (``xingji.orgs.kept``,
#: ``xingji.campaigns.kept``).
KEPT_FIELDS = frozenset({"own_members", "election_due_on", "star_level"})


class Organization(MP_Node):
    # The base class is untyped (treebeard): the field types are spelled out for the type checker.
    name: models.CharField[str, str] = models.CharField("名称", max_length=200)
    code: models.CharField[str, str] = models.CharField(
        "组织编号",
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_.-]+$", "编号只能包含字母、数字、点、下划线和连字符")],
        help_text="唯一，如 JG-001；导入、导出和评定结果用它对应组织",
    )
    org_type: models.CharField[str, str] = models.CharField("组织类型", max_length=32, choices=OrganizationType.choices)
    category: models.CharField[str, str] = models.CharField("类别", max_length=16, choices=OrganizationCategory.choices)
    founded: models.DateField[date | None, date | None] = models.DateField(
        "成立日期", null=True, blank=True, validators=[validate_not_in_future]
    )
    is_active: models.BooleanField[bool, bool] = models.BooleanField(
        "有效", default=True, help_text="撤销或合并的组织设为无效，保留历史"
    )
    ended_on: models.DateField[date | None, date | None] = models.DateField(
        "撤销（合并）日期", null=True, blank=True, editable=False
    )
    end_reason: models.CharField[str, str] = models.CharField(
        "撤销（合并）原因", max_length=500, blank=True, editable=False
    )
    merged_into: models.ForeignKey[Organization | None, Organization | None] = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_from",
        verbose_name="并入组织",
    )
    # Treebeard's fields, declared again only to name them in Chinese.
    path: models.CharField[str, str] = models.CharField("树路径", max_length=255, unique=True, editable=False)
    depth: models.PositiveIntegerField[int, int] = models.PositiveIntegerField("层级", editable=False)
    numchild: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(
        "直属下级数", default=0, editable=False
    )

    #: Members registered in this organization itself, kept by the database (``kept``).
    own_members: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(
        "本组织党员数", default=0, db_default=0, editable=False
    )
    #: The last day of its election's term (``Election.due_date``), kept by the database (``kept``).
    election_due_on: models.DateField[date | None, date | None] = models.DateField(
        "换届到期日", null=True, blank=True, editable=False
    )
    #: Its current star level, the latest line of its star ledger (None: never rated), kept by the database
    #: from the ledger (``xingji.campaigns.kept``): what lists filter on; the ledger stays the record.
    star_level: models.PositiveSmallIntegerField[int | None, int | None] = models.PositiveSmallIntegerField(
        "当前星级", null=True, blank=True, editable=False
    )

    node_order_by: list[str] = []

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        # Lists by name stop after their page (the focus list's unchecked organizations, searches by name).
        indexes = [
            models.Index(fields=["name", "id"], name="orgs_org_name_id"),
            # What is due in a subtree (``overview.election_conditions``): a range of due dates, the path
            # checked in the index itself.
            models.Index(
                fields=["election_due_on", "path"], condition=models.Q(is_active=True), name="orgs_org_due_path"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, never writing back the columns the database keeps (``KEPT_FIELDS``: a loaded copy may be behind)."""
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in KEPT_FIELDS
            ]
        super().save(*args, **kwargs)


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class MemberStatus(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"


class LeadershipPosition(models.TextChoices):
    NONE = "none", "无"
    SECRETARY = "secretary", "书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    COMMITTEE_MEMBER = "committee_member", "委员"


PHONE_VALIDATOR = RegexValidator(r"^\+?[0-9][0-9 -]{5,18}[0-9]$", "请输入有效的电话号码")


def mask_phone(phone: str) -> str:
    """Show a phone number with its middle hidden: ``13812345678`` → ``138****5678``.

    The first three and last four digits stay when at least four digits are
    left to hide; a shorter number shows only its last two digits. Separators
    are dropped.
    """
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return ""
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) > 2:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


class Member(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="members", verbose_name="所在党组织"
    )
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(
        "出生年份", validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    joined = models.DateField("入党日期", validators=[validate_not_in_future])
    status = models.CharField("党员类别", max_length=16, choices=MemberStatus.choices, default=MemberStatus.FULL)
    leadership_position = models.CharField(
        "班子职务", max_length=20, choices=LeadershipPosition.choices, default=LeadershipPosition.NONE
    )
    phone = models.CharField("联系电话", max_length=20, blank=True, validators=[PHONE_VALIDATOR])

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["organization_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(leadership_position="secretary"),
                name="orgs_member_one_secretary_per_organization",
                violation_error_message="该组织已有书记",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_leader(self) -> bool:
        """Whether the member sits on the leadership team (班子成员)."""
        return self.leadership_position != LeadershipPosition.NONE


class TermLength(models.IntegerChoices):
    THREE_YEARS = 3, "三年"
    FIVE_YEARS = 5, "五年"


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 28 February."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return day.replace(year=year, day=28)
    return day.replace(year=year)


class Election(models.Model):
    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="election", verbose_name="党组织"
    )
    last_election = models.DateField("上次换届日期", validators=[validate_not_in_future])
    term_years = models.PositiveSmallIntegerField("任期", choices=TermLength.choices)
    postponement_requested = models.BooleanField("已请示延期换届", default=False, help_text="有特殊理由并已向上级请示")
    postponement_approved = models.BooleanField("延期已批准", default=False)

    class Meta:
        verbose_name = "换届"
        verbose_name_plural = "换届"
        # What is due (``overview.election_bounds``): a range on the last election per term length, read
        # oldest first and cut at the first lines shown.
        indexes = [models.Index(fields=["term_years", "last_election"], name="orgs_election_term_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_years__in=[3, 5]),
                name="orgs_election_term_three_or_five_years",
                violation_error_message="任期应为三年或五年",
            ),
            models.CheckConstraint(
                condition=models.Q(postponement_requested=True) | models.Q(postponement_approved=False),
                name="orgs_election_approval_needs_request",
                violation_error_message="未请示的延期不能批准",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} 换届（{self.last_election:%Y-%m-%d}）"

    @property
    def due_date(self) -> date:
        """The last day of the term: the next election is due by then."""
        return add_years(self.last_election, self.term_years)

    def overdue_days(self, on: date) -> int:
        """Days past the due date on ``on``; 0 on the due date itself and before."""
        return max(0, (on - self.due_date).days)

    def is_overdue(self, on: date) -> bool:
        return self.overdue_days(on) > 0

    @property
    def is_excused(self) -> bool:
        """An overdue election with an approved request (有请示) is excused."""
        return self.postponement_approved


class ElectionTerm(models.Model):
    """One term (届) as elected: kept when the next election starts a new one.

    ``team`` is a snapshot of the elected members with their posts, a list of
    ``{"position": "secretary", "name": "张三", "member_id": 12}`` in post
    order: the names stay as elected whatever later happens to the members.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="election_terms", verbose_name="党组织"
    )
    elected_on = models.DateField("换届日期", validators=[validate_not_in_future])
    term_years = models.PositiveSmallIntegerField("任期", choices=TermLength.choices)
    team = models.JSONField("当选班子", default=list, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)

    class Meta:
        verbose_name = "换届记录"
        verbose_name_plural = "换届记录"
        ordering = ["organization_id", "-elected_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "elected_on"],
                name="orgs_electionterm_one_per_day",
                violation_error_message="该组织这一天已有换届记录",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} 换届（{self.elected_on:%Y-%m-%d}）"

    @property
    def due_date(self) -> date:
        return add_years(self.elected_on, self.term_years)

    @property
    def team_lines(self) -> list[tuple[str, str]]:
        """(post, names) for each post held, in post order: ``("书记", "张三")``, ``("委员", "李四、王五")``."""
        lines = []
        for position, label in LeadershipPosition.choices:
            names = [seat.get("name", "") for seat in self.team or [] if seat.get("position") == position]
            if names:
                lines.append((label, "、".join(names)))
        return lines


class OrganizationMove(models.Model):
    """A change of an organization's parent (隶属关系调整) on a day; ``None`` parents stand for the top."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="moves", verbose_name="党组织"
    )
    from_parent = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="原上级组织",
    )
    to_parent = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="新上级组织",
    )
    moved_on = models.DateField("调整日期", validators=[validate_not_in_future])
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )

    class Meta:
        verbose_name = "隶属关系调整"
        verbose_name_plural = "隶属关系调整"
        ordering = ["organization_id", "moved_on", "id"]

    def __str__(self) -> str:
        return f"{self.organization.name} 调整隶属关系（{self.moved_on:%Y-%m-%d}）"


class OrganizationName(models.Model):
    """A former name (曾用名), used until ``until`` (the day of the rename)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="former_names", verbose_name="党组织"
    )
    name = models.CharField("曾用名", max_length=200)
    until = models.DateField("使用至")

    class Meta:
        verbose_name = "曾用名"
        verbose_name_plural = "曾用名"
        ordering = ["organization_id", "-until", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（至 {self.until:%Y-%m-%d}）"
