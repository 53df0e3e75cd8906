"""Write a rating as JSON, CSV or XLSX, and the empty input template.

Every writer renders the whole file in memory and then replaces the target
in one step, so a failure leaves no half-written file behind.

CSV and XLSX have Chinese headers for the office (``headers="zh"``, the
default); ``headers="en"`` writes the JSON output's field names and codes
instead, for a program to read. Every sheet is laid out to print at once
(``xingji.common.cells.finish_sheet``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, Protocol

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xingji.batch.columns import columns_for
from xingji.common.cells import csv_text, finish_sheet, first_sheet
from xingji.rules.engine import Rating, Reason
from xingji.rules.explain import quota_base_text, rating_to_dict
from xingji.rules.guidance import Step, step_line, step_to_dict
from xingji.rules.numbers import format_score
from xingji.rules.scheme import Scheme

#: The results' columns: the JSON output's field name, and the header the web's exports give the same value.
RESULT_COLUMNS = [
    ("id", "组织编号"),
    ("name", "党组织"),
    ("base_score", "基础分"),
    ("base_source", "基础分来源"),
    ("final_score", "最终得分"),
    ("band_stars", "分数段星级"),
    ("stars", "评定星级"),
    ("level", "等级"),
    ("reasons", "评定理由"),
]
#: The guidance column of ``xingji rate --next``: one line per level above the result.
GUIDANCE_COLUMN = ("next", "晋级所需")
REASON_HEADERS = ["组织编号", "党组织", "规则", "条款", "分值", "效果", "说明"]
BASE_SOURCE_NAMES = {"base_score": "直接给出", "criteria": "各项评分合计", "components": "加权综合"}

#: One result as RESULT_COLUMNS: id, name, base score, its source, final score, band, stars, level name, reasons.
ResultRow = tuple[str, str, str, str, str, int, int, str, str]
#: The headers of a CSV or XLSX: Chinese for the office, or the JSON field names for a program.
Headers = Literal["zh", "en"]
HEADER_CHOICES: tuple[Headers, ...] = ("zh", "en")
#: ``xingji rate --next``: each organization's steps to the levels above its result, by its id.
Guidance = Mapping[str, Sequence[Step]]


def result_headers(headers: Headers, *, guidance: Guidance | None = None) -> list[str]:
    columns = [*RESULT_COLUMNS, GUIDANCE_COLUMN] if guidance is not None else RESULT_COLUMNS
    return [field if headers == "en" else header for field, header in columns]


def guidance_text(guidance: Guidance, organization_id: str) -> str:
    """The guidance cell: one line per level above the result; "" at the top level."""
    return "\n".join(step_line(step) for step in guidance.get(organization_id, ()))


def base_source_text(source: str, headers: Headers) -> str:
    """How the base score was found: the code (``criteria``) for a program, its Chinese name for the office."""
    return source if headers == "en" else BASE_SOURCE_NAMES[source]


def append_text_row(sheet: Worksheet, values: Sequence[object]) -> None:
    """Append a row whose strings stay strings: no formulas, no XML-illegal characters."""
    sheet.append([ILLEGAL_CHARACTERS_RE.sub(" ", value) if isinstance(value, str) else value for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def render_json(rating: Rating, *, headers: Headers = "zh", guidance: Guidance | None = None) -> bytes:
    """The contract's JSON (``headers`` does not apply: its field names are the contract's).

    With ``guidance`` (``--next``), each organization has a ``next`` list: a step per level above its result.
    """
    data = rating_to_dict(rating)
    if guidance is not None:
        for organization in data["organizations"]:
            organization["next"] = [step_to_dict(step) for step in guidance.get(organization["id"], ())]
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


def _rows(rating: Rating) -> list[ResultRow]:
    scheme = rating.scheme
    rows = []
    for result in rating.results:
        rows.append(
            (
                result.id,
                result.name,
                format_score(result.base_score),
                result.base_source,
                format_score(result.final_score),
                result.band,
                result.stars,
                scheme.level_name(result.stars),
                "；".join(reason.message for reason in result.reasons),
            )
        )
    return rows


def render_csv(rating: Rating, *, headers: Headers = "zh", guidance: Guidance | None = None) -> bytes:
    """One row per organization, Chinese headers (or the JSON field names); UTF-8 with BOM for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result_headers(headers, guidance=guidance))
    for identifier, name, base_score, base_source, *rest in _rows(rating):
        row: list[object] = [identifier, name, base_score, base_source_text(base_source, headers), *rest]
        if guidance is not None:
            row.append(guidance_text(guidance, identifier))
        writer.writerow([csv_text(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def render_xlsx(rating: Rating, *, headers: Headers = "zh", guidance: Guidance | None = None) -> bytes:
    """For the office: one sheet of results, one of reasons, one summary, each ready to print."""
    scheme = rating.scheme
    workbook = Workbook()
    sheet = first_sheet(workbook, "评定结果")
    sheet.append(result_headers(headers, guidance=guidance))
    for identifier, name, base_score, base_source, final_score, *levels_and_reasons in _rows(rating):
        values: list[object] = [
            identifier,
            name,
            float(base_score),
            base_source_text(base_source, headers),
            float(final_score),
            *levels_and_reasons,
        ]
        if guidance is not None:
            values.append(guidance_text(guidance, identifier))
        append_text_row(sheet, values)
    for cells in sheet.iter_rows(min_row=2):
        cells[2].number_format = cells[4].number_format = "0.00"
        for cell in cells[8:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    finish_sheet(sheet, frozen_columns=1)

    reasons = workbook.create_sheet("评定依据")
    reasons.append(REASON_HEADERS)
    for result in rating.results:
        for reason in result.reasons:
            points = float(format_score(reason.points)) if reason.points is not None else None
            effect = _level_change(scheme, reason)
            append_text_row(
                reasons, [result.id, result.name, reason.rule, reason.clause, points, effect, reason.message]
            )
    finish_sheet(reasons, frozen_columns=1)

    summary = workbook.create_sheet("汇总")
    summary.append(["评定方案", scheme.name])
    summary.append(["组织总数", len(rating.results)])
    for level, count in sorted(rating.by_level().items(), reverse=True):
        summary.append([scheme.level_name(level), count])
    summary.append([])
    summary.append(["比例要求", "基数", "上限/下限", "应为", "实际", "是否符合", "调整的组织"])
    for cell in summary[summary.max_row]:
        cell.font = Font(bold=True)
    for check in rating.quota_checks:
        append_text_row(
            summary,
            [
                check.label,
                quota_base_text(check),
                "上限" if check.bound == "max" else "下限",
                check.limit,
                check.count_before,
                "是" if check.satisfied_before else "否",
                "、".join(check.moved),
            ],
        )
    finish_sheet(summary, header_row=None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _level_change(scheme: Scheme, reason: Reason) -> str | None:
    """ "四星→三星" for a reason with an effect (each says the levels from and to), else None."""
    if reason.effect is None or reason.from_level is None or reason.to_level is None:
        return None
    return f"{scheme.level_name(reason.from_level)}→{scheme.level_name(reason.to_level)}"


class Renderer(Protocol):
    def __call__(self, rating: Rating, *, headers: Headers = "zh", guidance: Guidance | None = None) -> bytes: ...


RENDERERS: dict[str, Renderer] = {".json": render_json, ".csv": render_csv, ".xlsx": render_xlsx}


def output_renderer(path: Path) -> Renderer:
    renderer = RENDERERS.get(Path(path).suffix.lower())
    if renderer is None:
        raise ValueError(f"{Path(path).name}：输出文件应为 .json、.csv 或 .xlsx")
    return renderer


def write_atomically(path: Path, content: bytes) -> None:
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_rating(rating: Rating, path: Path, *, headers: Headers = "zh", guidance: Guidance | None = None) -> None:
    write_atomically(path, output_renderer(path)(rating, headers=headers, guidance=guidance))


def render_template(scheme: Scheme, suffix: str) -> bytes:
    columns = columns_for(scheme)
    example = [column.example for column in columns]
    if suffix == ".csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([column.header for column in columns])
        writer.writerow(["" if value is None else value for value in example])
        return text.getvalue().encode("utf-8-sig")
    workbook = Workbook()
    sheet = first_sheet(workbook, "组织")
    sheet.append([column.header for column in columns])
    sheet.append(example)
    header_fill = PatternFill("solid", fgColor="C00000")
    for index, (cell, column) in enumerate(zip(sheet[1], columns, strict=True), start=1):
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.comment = Comment(f"{column.help}\n字段名：{column.field}", "xingji")
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(column.header) * 2 + 2)
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    finish_sheet(sheet, frozen_columns=1)
    by_field = {column.field: index for index, column in enumerate(columns, start=1)}
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    share = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="1",
        allow_blank=True,
        error="满意率应为 0 到 1 之间的小数",
        showErrorMessage=True,
    )
    indicator = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="1",
        allow_blank=True,
        error="比例应为 0 到 1 之间的小数",
        showErrorMessage=True,
    )
    sheet.add_data_validation(yes_no)
    sheet.add_data_validation(share)
    sheet.add_data_validation(indicator)
    for field in ("meetings.compliance", "dues.paid_on_time", "appraisal.coverage"):
        letter = get_column_letter(by_field[field])
        indicator.add(f"{letter}2:{letter}2000")
    for field in ("election.overdue", "election.excused", "newly_founded", "innovation_project"):
        letter = get_column_letter(by_field[field])
        yes_no.add(f"{letter}2:{letter}2000")
    letter = get_column_letter(by_field["satisfaction"])
    share.add(f"{letter}2:{letter}2000")

    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "字段名", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append([column.header, column.field, column.help])
    notes.append([])
    notes.append(
        [
            "说明",
            "",
            "第2行为示例（灰色斜体），填写前请删除。基础分来源三选一，优先顺序："
            "基础分 > 各项评分 > 自评/测评/考评加权综合；列名也可用英文字段名。",
        ]
    )
    notes.append(["评定方案", "", f"{scheme.name}（{scheme.id}）"])
    notes.column_dimensions["C"].width = 90
    finish_sheet(notes)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_template(scheme: Scheme, path: Path) -> None:
    suffix = Path(path).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ValueError(f"{Path(path).name}：模板应为 .xlsx 或 .csv 文件")
    write_atomically(path, render_template(scheme, suffix))
