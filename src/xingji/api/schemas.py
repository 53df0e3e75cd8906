"""The JSON shapes of the API (pydantic, through django-ninja), and how a model becomes one.

Scores and amounts are decimal strings with two places (``"86.50"``), never
binary floats; dates are ``YYYY-MM-DD``, times ISO 8601 with their offset.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, Strict

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})$")


def _iso(pattern: re.Pattern[str], what: str):
    """Only the ISO text form (pydantic alone would also take ``0`` as 1970-01-01)."""

    def check(value: object) -> object:
        if not isinstance(value, str) or not pattern.match(value):
            raise ValueError(f"应为 {what}")
        return value

    return check


#: A date written ``YYYY-MM-DD``, nothing else.
IsoDate = Annotated[date, BeforeValidator(_iso(ISO_DATE, "YYYY-MM-DD"))]


def _in_utc(value: datetime) -> datetime:
    """The same instant in UTC: every database takes it (PostgreSQL refuses offsets beyond ±15:59)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("时间超出范围") from None


#: A time in ISO 8601 with its offset (``2026-11-01T08:00:00+08:00``).
IsoDateTime = Annotated[
    datetime, BeforeValidator(_iso(ISO_DATETIME, "带时区的 ISO 8601 时间")), AfterValidator(_in_utc)
]
StrictId = Annotated[int, Strict(), Field(ge=1, le=2**63 - 1)]

ItemT = TypeVar("ItemT")


def decimal_text(value: Decimal | None, places: int = 2) -> str | None:
    if value is None:
        return None
    return f"{value:.{places}f}"


class Page(Schema, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(None, description="下一页的游标；为空表示已是最后一页")


class OrganizationOut(Schema):
    id: int
    code: str = Field(examples=["JG-001"])
    name: str = Field(examples=["市财政局机关第一支部"])
    org_type: str = Field(description="组织类型代码", examples=["branch"])
    org_type_label: str = Field(examples=["党支部"])
    category: str = Field(description="类别", examples=["机关"])
    parent_id: int | None
    depth: int = Field(description="层级，根为 1")
    founded: date | None
    is_active: bool


class MemberOut(Schema):
    id: int
    organization_id: int
    name: str = Field(examples=["张三"])
    gender: str = Field(examples=["female"])
    birth_year: int
    joined: date
    status: str = Field(description="full 正式党员 / probationary 预备党员")
    leadership_position: str = Field(description="none / secretary / deputy_secretary / committee_member")
    phone: str = Field(description="联系电话；没有“个人信息”权限时打码，如 138****5678", examples=["138****5678"])


class ElectionOut(Schema):
    id: int
    organization_id: int
    last_election: date
    term_years: int
    due_date: date
    overdue_days: int = Field(description="到今天为止超期的天数")
    postponement_requested: bool
    postponement_approved: bool


class RecordOut(Schema):
    id: int
    kind: str = Field(examples=["commendations"])
    kind_label: str = Field(examples=["表彰及署名文章"])
    organization_id: int
    date: date
    status: str = Field(description="confirmed 已确认 / pending 待确认 / rejected 未通过")
    fields: dict[str, Any] = Field(description="该类记录的各字段（代码值），与网页和导入模板相同")
    updated_at: datetime | None


class MeetingOut(Schema):
    id: int
    organization_id: int
    kind: str
    kind_label: str = Field(examples=["支部党员大会"])
    held_on: date
    place: str
    host: str
    topic: str
    created_at: datetime
    present: int = Field(description="出席人数")
    leave: int = Field(description="请假人数")
    absent: int = Field(description="缺席人数")


class GradeOut(Schema):
    member_id: int
    grade: str = Field(description="excellent / qualified / basically_qualified / unqualified")


class AppraisalOut(Schema):
    id: int
    organization_id: int
    year: int
    conclusion: str
    updated_at: datetime
    grades: list[GradeOut]


class DuesPaymentOut(Schema):
    id: int
    member_id: int
    organization_id: int
    month: date = Field(description="所属月份（该月1日）")
    amount: str = Field(examples=["25.00"])
    paid_on: date
    source: str = Field(description="form 录入 / import 导入（含接口写入）")
    created_at: datetime


class CampaignOut(Schema):
    id: int
    name: str
    year: int
    kind: str
    state: str
    root_id: int
    scheme_code: str
    scheme_name: str
    deadline: date
    notice_days: int
    opened_at: datetime | None


class CriterionScoreOut(Schema):
    part: str = Field(description="self 自评 / superior 上级考评")
    criterion_code: str
    score: str | None
    comment: str


class EvaluationOut(Schema):
    id: int
    campaign_id: int
    organization_id: int
    state: str
    claimed_level: int | None
    proposed_level: int | None
    level: int | None = Field(description="评定星级")
    noticed_level: int | None
    approved_level: int | None
    base_score: str | None = Field(examples=["86.50"])
    final_score: str | None = Field(examples=["89.50"])
    band_level: int | None
    survey_member_count: int | None
    survey_participant_count: int | None
    survey_satisfaction: str | None
    reasons: list[dict[str, Any]] = Field(
        description="每条加减分和星级规则：rule、clause（方案条款，如 五(三)3）、points 或 effect",
        examples=[[{"rule": "criticism_working_committee", "clause": "五(三)3", "points": "-3.00"}]],
    )
    explanation: list[Any] = Field(description="评定说明（中文）")
    criterion_scores: list[CriterionScoreOut]


class StarLedgerOut(Schema):
    id: int
    organization_id: int
    level: int
    level_name: str = Field(examples=["四星级"])
    previous_level: int | None
    effective_on: date
    campaign_id: int | None
    evaluation_id: int | None
    approving_body: str
    reason: str
    recorded_at: datetime


class PublishedRowOut(Schema):
    organization_id: int | None
    organization: str
    level: int | None
    level_name: str


class PublicationOut(Schema):
    id: int
    year: int
    root_id: int
    title: str
    version: int
    supersedes_id: int | None
    published_at: datetime
    head_hash: str = Field(description="发布时审计链末端哈希")
    rows: list[PublishedRowOut]


class SurveyParticipationOut(Schema):
    """A survey meeting's participation: how many took part, never a ballot."""

    id: int
    evaluation_id: int
    organization_id: int
    meeting_on: date
    state: str
    member_count: int
    member_participant_count: int | None
    participation: str | None = Field(description="参与率（0到1）")
    ballot_count: int | None
    satisfaction: str | None
    valid: bool | None
    closed_at: datetime | None


# --- writes -------------------------------------------------------------------------


class StrictIn(Schema):
    """An input that refuses fields it does not know (a typo is an error, not silently dropped)."""

    model_config = ConfigDict(extra="forbid")


class DuesPaymentIn(StrictIn):
    member_id: StrictId
    month: IsoDate = Field(description="所属月份（任意一天，按该月计）", examples=["2026-11-01"])
    amount: str = Field(pattern=r"^\d{1,8}(\.\d{1,2})?$", description="金额（元），最多两位小数", examples=["25.00"])
    paid_on: IsoDate = Field(examples=["2026-11-05"])


class DuesPaymentsIn(StrictIn):
    """A batch: written all or none; an error names its item by its index in ``items``."""

    items: list[DuesPaymentIn] = Field(min_length=1, max_length=5000)


class DuesPaymentsOut(Schema):
    created: list[DuesPaymentOut]


class NationalExportOut(Schema):
    """The national system's organization and member items, keyed by their Chinese names."""

    exported_on: date
    organizations: list[dict[str, Any]] = Field(
        description="党组织信息：组织编码、党组织名称、党组织类别、单位类别、上级党组织编码、上级党组织名称、成立日期、"
        "本届换届日期、任期（年）、本届届满日期、党员人数、是否有效",
        examples=[
            [{"组织编码": "JG-001", "党组织名称": "市财政局机关第一支部", "党组织类别": "党支部", "党员人数": 12}]
        ],
    )
    members: list[dict[str, Any]] = Field(
        description="党员信息：姓名、性别、出生年份、入党日期、人员类别、所在党支部编码、所在党支部、党内职务、联系电话"
        "（没有“个人信息”权限时打码）",
        examples=[
            [{"姓名": "张三", "性别": "女", "出生年份": 1985, "人员类别": "正式党员", "联系电话": "138****5678"}]
        ],
    )
    not_kept: list[str] = Field(description="全国党员管理信息系统采集、本平台不保存的信息项（由接收方补录）")


class RecordIn(StrictIn):
    """One evidence record: its organization, date and the kind's own fields (as on the import template)."""

    organization_id: StrictId
    date: IsoDate
    fields: dict[str, str | int | bool | None] = Field(
        default_factory=dict,
        description="该类记录的其他字段（代码值），如表彰：kind、recipient、level、title、issuer、document_number；"
        "党员用 member_id",
        examples=[
            {
                "kind": "commendation",
                "recipient": "organization",
                "level": "city",
                "title": "先进基层党组织",
                "issuer": "中共安阳市委",
                "document_number": "安发〔2026〕1号",
            }
        ],
    )


class AttendanceIn(StrictIn):
    member_id: StrictId
    status: str = Field(description="出席情况：present 出席、leave 请假、absent 缺席", examples=["present"])
    reason: str = Field(default="", max_length=200, description="请假事由（请假时必填）")


class MeetingIn(StrictIn):
    """One branch meeting with its attendance (attachments are uploaded on the web pages, not here)."""

    organization_id: StrictId
    kind: str = Field(
        description="会议类型代码：party_congress 支部党员大会、committee 支部委员会、group_meeting 党小组会、"
        "party_lecture 党课、theme_day 主题党日、life_meeting 组织生活会、appraisal 民主评议党员；"
        "上级党组织召开的 work_meeting 工作会议、training 培训（参会单位在网页上登记）",
        examples=["theme_day"],
    )
    held_on: IsoDate = Field(description="召开日期，不能晚于今天", examples=["2026-11-20"])
    place: str = Field(max_length=100, examples=["局机关三楼会议室"])
    host: str = Field(max_length=50, examples=["张三"])
    topic: str = Field(max_length=200, examples=["学习党的二十届四中全会精神"])
    minutes: str = Field(default="", max_length=20000, description="会议记录")
    attendance: list[AttendanceIn] = Field(default_factory=list, max_length=2000)


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _left_out_unchanged(**options: Any) -> Any:
    """A field an update may leave out (then it stays as it is); null is refused like any other wrong type."""
    return Field(default=None, json_schema_extra=_without_default, **options)


class MemberUpdateIn(StrictIn):
    """One member's changes: the fields given are set, those left out stay as they are."""

    member_id: StrictId
    organization_id: StrictId = _left_out_unchanged(
        description="所在党组织；改为其他组织即组织关系转接（须为令牌范围内未撤销的组织）", examples=[4]
    )
    name: str = _left_out_unchanged(max_length=50, description="姓名", examples=["张三"])
    gender: str = _left_out_unchanged(description="性别：male 男、female 女", examples=["female"])
    birth_year: Annotated[int, Strict()] = _left_out_unchanged(description="出生年份（1900到2100）", examples=[1985])
    joined: IsoDate = _left_out_unchanged(description="入党日期，不能晚于今天", examples=["2010-07-01"])
    status: str = _left_out_unchanged(description="党员类别：full 正式党员、probationary 预备党员", examples=["full"])
    leadership_position: str = _left_out_unchanged(
        description="班子职务：none 无、secretary 书记、deputy_secretary 副书记、committee_member 委员；"
        "一个组织只有一名书记",
        examples=["committee_member"],
    )
    phone: str = _left_out_unchanged(
        max_length=20,
        description="联系电话，空字符串为清除；修改须有“个人信息”权限",
        examples=["13812345678"],
    )

    def given(self) -> dict[str, Any]:
        """The fields the client sent, besides ``member_id``, in the order they are declared."""
        return {
            name: getattr(self, name)
            for name in type(self).model_fields
            if name in self.model_fields_set - {"member_id"}
        }


class MembersUpdateIn(StrictIn):
    """A batch of member changes: written all or none, in order; an error names its item by its index."""

    items: list[MemberUpdateIn] = Field(min_length=1, max_length=5000)


class MemberUpdatedOut(MemberOut):
    changed: list[str] = Field(
        description="实际修改了的字段；为空表示与原有信息相同，未作修改", examples=[["leadership_position"]]
    )


class MembersUpdatedOut(Schema):
    updated: list[MemberUpdatedOut] = Field(description="各党员修改后的信息，顺序与 items 相同")
