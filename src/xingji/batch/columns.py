"""The columns of a rating sheet: field, Chinese header, accepted aliases.

A sheet may use the Chinese headers of the template or the contract's
English field names (dotted for nested ones: ``criticisms.working_committee``);
criteria columns are named after the scheme's criteria (``1.组织健全``,
``criteria.1`` or ``第1项``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from xingji.rules.scheme import Scheme


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    help: str
    example: object = None
    aliases: tuple[str, ...] = ()


BEFORE_CRITERIA = [
    Column("id", "编号", "组织编号，唯一，必填", "JG-001", ("组织编号", "代码", "组织代码")),
    Column("name", "名称", "党组织名称", "市财政局机关第一支部", ("组织名称", "党组织名称")),
    Column(
        "category",
        "类别",
        "机关、国企、事业单位、学校、村、社区、两新（方案按类别区分评定内容时填写）",
        "机关",
        ("组织类别",),
    ),
    Column("base_score", "基础分", "直接给出的基础分（0至满分）；填写后优先于各项评分和加权综合", None, ("基础得分",)),
]
AFTER_CRITERIA = [
    Column("components.self", "自评得分", "自评表得分（0至满分），未给基础分和各项评分时加权综合", 92, ("自评",)),
    Column("components.survey", "测评得分", "党员群众测评得分（0至满分）", 88, ("测评",)),
    Column("components.superior", "考评得分", "上级党组织考评得分（0至满分）", 85, ("考评",)),
    Column(
        "satisfaction",
        "满意率",
        "民主评议满意率：0至1的小数或百分数（0.72 或 72%）；未测评留空",
        0.72,
        ("民主评议满意率", "满意度"),
    ),
    Column(
        "meetings.compliance",
        "组织生活落实率",
        "三会一课等组织生活按规定应开次数中已开的比例：0至1的小数或百分数（0.92 或 92%）；"
        "方案中按此指标计分的评定内容以它为准；不适用留空",
        None,
        ("组织生活完成率", "三会一课落实率"),
    ),
    Column(
        "dues.paid_on_time",
        "按时交纳党费比例",
        "应交党费的月份中当月按时交纳的比例：0至1的小数或百分数；不适用留空",
        None,
        ("党费按时交纳率", "按时交纳党费率"),
    ),
    Column(
        "appraisal.coverage",
        "民主评议党员覆盖率",
        "参加民主评议党员的党员占党员名册人数的比例：0至1的小数或百分数；不适用留空",
        None,
        ("民主评议覆盖率", "评议党员覆盖率"),
    ),
    Column(
        "commendations",
        "表彰及署名文章",
        "当年度表彰或署名文章的级别，多项用逗号分隔：市级、省级、国家级",
        "市级,省级",
        ("表彰", "表彰级别"),
    ),
    Column(
        "innovations",
        "创新推广",
        "被上级认可推广的重大创新的级别，多项用逗号分隔：市级、省级、国家级",
        "市级",
        ("创新", "创新级别"),
    ),
    Column(
        "criticisms.working_committee", "市直工委通报批评次数", "受市直工委通报批评的次数", 1, ("市直工委通报批评",)
    ),
    Column("criticisms.municipal_committee", "市委通报批评次数", "受市委通报批评的次数", 0, ("市委通报批评",)),
    Column(
        "leader_discipline.light",
        "班子成员警告处分人次",
        "领导班子成员受警告、严重警告处分的人次",
        0,
        ("班子成员严重警告以下处分人次",),
    ),
    Column(
        "leader_discipline.heavy",
        "班子成员撤职以上处分人次",
        "领导班子成员受撤销党内职务、留党察看、开除党籍处分的人次",
        1,
        ("班子成员撤销党内职务以上处分人次",),
    ),
    Column("member_violations", "一般党员违法违纪人次", "一般党员违法违纪的人次", 2, ("党员违法违纪人次",)),
    Column(
        "absences",
        "无故缺席或逾期任务次数",
        "无故不参加市直工委会议、培训或未按时完成工作任务的次数",
        1,
        ("无故缺席次数",),
    ),
    Column("election.overdue", "换届逾期", "是否未按期换届：是/否", "是", ("未按期换届",)),
    Column("election.excused", "有特殊理由或请示", "逾期换届是否有特殊理由或经批准的请示：是/否", "否", ("有请示",)),
    Column("election.overdue_days", "换届逾期天数", "换届逾期的天数", 30, ("逾期天数",)),
    Column("previous_stars", "上年星级", "上一年度评定的星级（方案限制每年晋升级数时使用）", None, ("上年度星级",)),
    Column("newly_founded", "新成立", "是否为新成立的党组织：是/否", None, ("新成立组织",)),
    Column(
        "innovation_project", "有创新项目", "是否有党建创新项目（部分方案五星级的前提）：是/否", None, ("创新项目",)
    ),
]
IGNORED_HEADERS = {"备注", "remarks", "note", "notes", "说明"}


def criteria_columns(scheme: Scheme) -> list[Column]:
    columns = []
    seen = set()
    for criterion in scheme.criteria:
        if criterion.code in seen:
            continue
        seen.add(criterion.code)
        columns.append(
            Column(
                f"criteria.{criterion.code}",
                f"{criterion.code}.{criterion.name}",
                f"评定内容“{criterion.name}”得分（0至{criterion.max_cents // 100}分）",
                None,
                (
                    f"第{criterion.code}项",
                    f"{criterion.code}、{criterion.name}",
                    criterion.name,
                    f"评定内容{criterion.code}",
                ),
            )
        )
    return columns


def columns_for(scheme: Scheme) -> list[Column]:
    return [*BEFORE_CRITERIA, *criteria_columns(scheme), *AFTER_CRITERIA]


def normalize_header(text: object) -> str:
    """Width, case and spaces do not matter; Excel adds all three."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"\s+", "", value).lower()


def header_index(scheme: Scheme) -> dict[str, str]:
    """Normalized header -> dotted field name."""
    index: dict[str, str] = {}
    for column in columns_for(scheme):
        for name in (column.field, column.header, *column.aliases):
            index.setdefault(normalize_header(name), column.field)
        if column.field.count(".") == 1:
            index.setdefault(normalize_header(column.field.replace(".", "_")), column.field)
    return index
