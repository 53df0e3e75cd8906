"""Importing organizations and members from Excel (.xlsx) or CSV, and the templates for it.

An import is **all or nothing**: every row is read and checked first, and
every problem is collected as a ``RowError`` (row, column, reason in
Chinese). If there is any, nothing is written and the errors are returned;
otherwise every row is written in one transaction, with its audit entries.

What a file may look like
-------------------------
* ``.xlsx`` (Excel 2007+, read with openpyxl in read-only mode) or ``.csv``
  (UTF-8 with or without BOM, or GBK/GB18030 as saved by Excel in Chinese;
  comma, semicolon or tab separated). The type is told from the content, not
  only the name; an old ``.xls`` is refused with a hint to save as ``.xlsx``.
* The first non-empty row holds the headers: the Chinese headers of the
  template, a listed alias, or the English field name (``code``,
  ``birth_year``…); width, case and spaces do not matter. Columns named
  序号/备注/说明 are ignored; any other unknown column is an error, so that a
  misspelt optional column is not dropped silently.
* Choices are given by their Chinese labels (党支部, 正式党员, 书记, 男) or
  the stored values; dates as Excel date cells or text such as
  ``2020-05-01``, ``2020/5/1``, ``2020.5.1`` or ``2020年5月1日``.

Scope
-----
``user_scope`` is the queryset of organizations the importing user may
change, ``xingji.accounts.access.visible_organizations(user)``: every parent
(organizations) and every organization (members) named in the file must lie
in it, and one outside it is reported exactly like one that does not exist.
``None`` means no restriction (the system, a superuser's command-line
import); only then may an organization be imported without a parent, as a
new root. Whether the user may write at all (an inspector may not) is the
caller's check (``xingji.accounts.access.can_write``), as for every service.

Audit
-----
Organizations are few (a city has hundreds) and each is the subject of a
rating, so each created organization gets its own entry
(``organization.imported``, the same values as ``organization.created`` plus
the file and row it came from).

Members can come by the hundred thousand. One chained entry per member would
cost several times the import itself (measured on PostgreSQL for 100,000
members: ≈ 9 s to hash and insert the entries, ≈ 1 s for the whole import), so
a member import writes **one entry per organization that received
members** (``member.imported`` on that organization): the ids of the
members created, their number, and the name and SHA-256 of the file. The
digest ties the entry to the exact file, which holds every value; the log,
which can never be erased, holds no copy of the members' personal data.
Later changes of a member are audited one by one by ``member_update``.

Entries are appended with ``append_audit_entries``, the bulk form of
``xingji.audit.services.audit_log``: same lock, same hash, one INSERT.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from xingji.audit.services import append_audit_entries
from xingji.common.exports import saved_bytes
from xingji.orgs.models import (
    PHONE_VALIDATOR,
    Gender,
    LeadershipPosition,
    Member,
    MemberStatus,
    Organization,
    OrganizationCategory,
    OrganizationType,
)
from xingji.orgs.services import BRANCH_TYPES, TREE_FIELDS, _lock_tree

MEMBERS_SHEET = "党员"
ORGANIZATIONS_SHEET = "党组织"
HELP_SHEET = "说明"
#: Headers a sheet may carry for people's convenience; their cells are not read.
IGNORED_HEADERS = frozenset({"序号", "备注", "说明", "no", "remark", "remarks", "note", "notes"})
NOT_IN_SCOPE = "不存在或不在您管理的范围内"
CONCURRENT_CHANGE = "导入期间有人同时修改了相关数据（如组织编号或书记），本次导入未写入任何数据，请重新导入"
YES_WORDS = frozenset({"是", "有效", "yes", "y", "true", "1", "√", "✓"})
NO_WORDS = frozenset({"否", "无效", "已撤销", "撤销", "no", "n", "false", "0", "×"})
QUERY_CHUNK = 1000


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem of an import file.

    ``row`` is the row number as the spreadsheet shows it (the header row is
    usually 1), or None for a problem of the file as a whole; ``column`` is
    the column's header as written in the file (the template's header for a
    missing column), or "" when the problem is not about one column.
    """

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row is not None else "文件"
        if self.column:
            where += f"“{self.column}”列"
        return f"{where}：{self.message}"


@dataclass
class ImportResult:
    """What an import did: the ids created (in file order), or the errors and nothing written."""

    rows: int = 0
    created_ids: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def is_success(self) -> bool:
        return not self.errors

    @property
    def created(self) -> int:
        return len(self.created_ids)


class FileProblem(Exception):
    """The file cannot be read as a table at all; reported as one ``RowError`` without a row."""

    def __init__(self, message: str, column: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.column = column


class CellError(Exception):
    """One cell's value is not acceptable."""


# --- columns -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of an import file: the field it fills, its header, and what it accepts."""

    key: str
    header: str
    required: bool
    help: str
    allowed: tuple[str, ...] = ()
    example: Any = None
    aliases: tuple[str, ...] = ()
    #: Excel should keep what is typed as text (codes with leading zeros, phone numbers).
    is_text: bool = False
    is_date: bool = False
    width: int = 14


def _labels(choices) -> tuple[str, ...]:
    return tuple(str(label) for label in choices.labels)


ORGANIZATION_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "组织编号",
        True,
        "唯一；字母、数字、点、下划线或连字符，最长32位",
        (),
        "JG-001-01",
        ("编号", "组织代码", "代码"),
        is_text=True,
    ),
    Column(
        "name",
        "组织名称",
        True,
        "党组织全称，最长200字",
        (),
        "市财政局机关第一党支部",
        ("名称", "党组织名称"),
        width=30,
    ),
    Column("org_type", "组织类型", True, "", _labels(OrganizationType), "党支部", ("类型",)),
    Column(
        "category",
        "类别",
        True,
        "评定方案可按类别区分评定内容",
        _labels(OrganizationCategory),
        "机关",
        ("组织类别", "分类"),
    ),
    Column(
        "parent",
        "上级组织编号",
        True,
        "上级党组织的组织编号：系统中已有的组织，或本表中的另一行（先后顺序不限）；支部类型的组织下不能再设组织",
        (),
        "JG-001",
        ("上级编号", "上级组织代码", "parent_code"),
        is_text=True,
    ),
    Column(
        "founded",
        "成立日期",
        False,
        "如 2015-07-01、2015/7/1 或 2015年7月1日，不能晚于今天",
        (),
        date(2015, 7, 1),
        ("成立时间",),
        is_date=True,
    ),
    Column(
        "is_active", "是否有效", False, "留空视为“是”；已撤销或合并的组织填“否”", ("是", "否"), "是", ("有效", "状态")
    ),
)

MEMBER_COLUMNS: tuple[Column, ...] = (
    Column(
        "organization",
        "组织编号",
        True,
        "党员所在党组织的组织编号，须为系统中已有的组织",
        (),
        "JG-001-01",
        ("所在组织编号", "党组织编号", "organization_code"),
        is_text=True,
    ),
    Column(
        "organization_name",
        "所在党组织",
        False,
        "用于核对：填写时须与组织编号对应的组织名称一致，可留空",
        (),
        "市财政局机关第一党支部",
        ("组织名称", "党组织名称", "所在组织"),
        width=30,
    ),
    Column("name", "姓名", True, "最长50字", (), "张三", ("党员姓名",)),
    Column("gender", "性别", True, "", _labels(Gender), "男", ()),
    Column("birth_year", "出生年份", True, "四位年份，如 1985", (), 1985, ("出生年",)),
    Column(
        "joined",
        "入党日期",
        True,
        "如 2010-07-01、2010/7/1 或 2010年7月1日，不能晚于今天",
        (),
        date(2010, 7, 1),
        ("入党时间",),
        is_date=True,
    ),
    Column("status", "党员类别", True, "", _labels(MemberStatus), "正式党员", ("党员状态", "类别")),
    Column(
        "leadership_position",
        "班子职务",
        False,
        "不在班子中的留空或填“无”；每个组织只能有一名书记",
        _labels(LeadershipPosition),
        "书记",
        ("职务", "班子成员职务"),
    ),
    Column(
        "phone",
        "联系电话",
        False,
        "可留空；数字，可带 +、空格或连字符",
        (),
        "13812345678",
        ("电话", "手机", "手机号码"),
        is_text=True,
    ),
)


def _normalize_header(text: object) -> str:
    """Width, case and spaces do not matter: Excel and people add all three."""
    value = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    return re.sub(r"\s+", "", value).lower()


def _header_index(columns: Sequence[Column]) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in columns:
        for name in (column.header, column.key, *column.aliases):
            index.setdefault(_normalize_header(name), column.key)
    return index


def _choice_index(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Label, stored value and extra spellings → stored value, normalized like headers."""
    index = {}
    for value, label in choices.choices:
        index[_normalize_header(label)] = str(value)
        index[_normalize_header(value)] = str(value)
    for spelling, value in (extra or {}).items():
        # str(): a plain string, not the enum member, for the database adapters.
        index[_normalize_header(spelling)] = str(value)
    return index


ORGANIZATION_TYPES = _choice_index(OrganizationType, {"支部": OrganizationType.BRANCH})
ORGANIZATION_CATEGORIES = _choice_index(OrganizationCategory)
GENDERS = _choice_index(Gender, {"男性": Gender.MALE, "女性": Gender.FEMALE})
MEMBER_STATUSES = _choice_index(MemberStatus, {"正式": MemberStatus.FULL, "预备": MemberStatus.PROBATIONARY})
LEADERSHIP_POSITIONS = _choice_index(
    LeadershipPosition,
    {
        "": LeadershipPosition.NONE,
        "-": LeadershipPosition.NONE,
        "—": LeadershipPosition.NONE,
        "支部书记": LeadershipPosition.SECRETARY,
        "支部副书记": LeadershipPosition.DEPUTY_SECRETARY,
        "支委": LeadershipPosition.COMMITTEE_MEMBER,
        "支部委员": LeadershipPosition.COMMITTEE_MEMBER,
    },
)


# --- reading a file into rows ----------------------------------------------------------------


@dataclass
class Table:
    """A sheet read from a file: which column holds which field, and the data rows."""

    headers: dict[str, str]  # field key -> header as written in the file
    positions: dict[str, int]  # field key -> 0-based column index
    width: int  # number of columns of the header row
    rows: Iterator[tuple[int, Sequence[Any]]]  # (row number, cells), blank rows skipped


def read_upload(file) -> tuple[str, bytes]:
    """The name and content of ``file``: an uploaded file, an open binary file, a path, or bytes."""
    if isinstance(file, bytes | bytearray):
        return "", bytes(file)
    if isinstance(file, str | Path):
        path = Path(file)
        try:
            return path.name, path.read_bytes()
        except FileNotFoundError:
            raise FileProblem(f"文件“{path.name}”不存在") from None
        except IsADirectoryError:
            raise FileProblem(f"“{path.name}”是文件夹，不是文件") from None
    name = Path(str(getattr(file, "name", "") or "")).name
    if hasattr(file, "seek"):
        file.seek(0)
    if hasattr(file, "chunks"):  # a Django UploadedFile, possibly on disk
        return name, b"".join(file.chunks())
    content = file.read()
    if isinstance(content, str):
        content = content.encode("utf-8")
    return name, content


def _file_kind(name: str, content: bytes) -> str:
    suffix = Path(name).suffix.lower()
    if not content.strip():
        raise FileProblem("文件是空的")
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        # The OLE container: an Excel 97-2003 file, or an .xlsx protected by a password.
        raise FileProblem(
            "不支持旧版 Excel（.xls）文件或设置了打开密码的文件，请在 Excel 中“另存为”不加密的 .xlsx 后再导入"
        )
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    if suffix in {".xlsx", ".xlsm"}:
        raise FileProblem("不是有效的 Excel（.xlsx）文件，文件可能已损坏")
    if suffix not in {"", ".csv", ".txt"}:
        raise FileProblem(f"不支持“{suffix}”类型的文件，请上传 .xlsx 或 .csv 文件")
    if b"\x00" in content[:4096]:
        raise FileProblem("不是 CSV 文本文件，请上传 .xlsx 或 .csv 文件")
    return "csv"


def _decode(content: bytes) -> str:
    """UTF-8 with or without BOM (Excel, WPS, LibreOffice), else GB18030 ⊃ GBK (Excel in Chinese)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK 编码")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _has_content(cells: Iterable[Any]) -> bool:
    # Run for every row of every import: a plain loop costs half of any() over a generator.
    for cell in cells:  # noqa: SIM110
        if cell is not None and (cell.__class__ is not str or cell.strip()):
            return True
    return False


def _csv_rows(content: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise FileProblem(f"CSV 格式有误（第{reader.line_num}行：{error}），请检查是否有未闭合的引号") from None


class _Workbook:
    """An xlsx opened read-only; the sheet holding the data is the first whose header names a key column."""

    def __init__(self, content: bytes) -> None:
        from openpyxl import load_workbook

        try:
            with warnings.catch_warnings():
                # Files from WPS and others make openpyxl warn about styles and extensions it skips.
                warnings.simplefilter("ignore", UserWarning)
                self.workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # whatever breaks the parser, the user's answer is the same
            raise FileProblem("不是有效的 Excel（.xlsx）文件，文件可能已损坏") from None

    def rows(self, key_headers: set[str]) -> Iterator[tuple[int, Sequence[Any]]]:
        try:
            sheets = [sheet for sheet in self.workbook.worksheets if sheet.title != HELP_SHEET]
            if not sheets:
                raise FileProblem("Excel 文件中没有可导入的工作表")
            chosen = sheets[0]
            for sheet in sheets:
                header = next(
                    (row for row in sheet.iter_rows(values_only=True) if any(not _is_blank(cell) for cell in row)), ()
                )
                if any(_normalize_header(cell) in key_headers for cell in header):
                    chosen = sheet
                    break
            yield from enumerate(chosen.iter_rows(values_only=True), start=1)
        except FileProblem:
            raise
        except Exception:  # a damaged sheet part, of any kind, inside a valid zip
            raise FileProblem("Excel 文件内容有误，无法读取，请在 Excel 中重新保存后再导入") from None
        finally:
            self.workbook.close()


def read_table(name: str, content: bytes, columns: Sequence[Column]) -> Table:
    """Open the file, find its header row and map each header to a column, or raise ``FileProblem``."""
    index = _header_index(columns)
    if _file_kind(name, content) == "xlsx":
        key_headers = {header for header, key in index.items() if key == columns[0].key}
        raw_rows = _Workbook(content).rows(key_headers)
    else:
        raw_rows = _csv_rows(content)
    header_row: Sequence[Any] | None = None
    for _number, cells in raw_rows:
        if any(not _is_blank(cell) for cell in cells):
            header_row = cells
            break
    if header_row is None:
        raise FileProblem("文件是空的")

    headers: dict[str, str] = {}
    positions: dict[str, int] = {}
    problems = []
    for position, cell in enumerate(header_row):
        if _is_blank(cell):
            continue
        written = str(cell).strip()
        normalized = _normalize_header(cell)
        key = index.get(normalized)
        if key is None:
            if normalized not in IGNORED_HEADERS:
                problems.append(f"无法识别的列“{written}”")
            continue
        if key in headers:
            problems.append(f"“{written}”与“{headers[key]}”是同一列，重复了")
            continue
        headers[key] = written
        positions[key] = position
    missing = [column.header for column in columns if column.required and column.key not in headers]
    if missing:
        problems.append("缺少必填列：" + "、".join(f"“{header}”" for header in missing))
    if problems:
        raise FileProblem("表头有误：" + "；".join(problems) + "。请使用下载的导入模板")

    width = len(header_row)

    def data_rows() -> Iterator[tuple[int, Sequence[Any]]]:
        for number, cells in raw_rows:
            if not _has_content(cells):
                continue
            if len(cells) > width and _has_content(cells[width:]):
                raise FileProblem(f"第{number}行在表头之外的列中有内容，请删除或为该列加上表头")
            yield number, cells

    return Table(headers=headers, positions=positions, width=width, rows=data_rows())


# --- reading cell values -------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        # A code or phone typed into a number cell: 13812345678.0 → "13812345678".
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    return str(value).strip()


def _choice(value: Any, index: dict[str, str], allowed: Sequence[str]) -> str:
    found = index.get(_normalize_header(_text(value)))
    if found is None:
        raise CellError(f"“{_text(value)}”不是可选的值，应为：" + "、".join(allowed))
    return found


DATE_PATTERN = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$"
)


class DateReader:
    """Dates from Excel date cells or the usual ways of writing them; one parse per distinct text."""

    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.cache: dict[str, date | str] = {}
        #: Text → date for the texts read so far that are valid dates: a caller's fast path.
        self.valid: dict[str, date] = {}

    def __call__(self, value: Any) -> date:
        if isinstance(value, datetime):
            day = value.date()
        elif isinstance(value, date):
            day = value
        elif isinstance(value, str):
            text = value.strip()
            parsed = self.cache.get(text)
            if parsed is None:
                parsed = self.cache[text] = self._parse(text)
            if isinstance(parsed, str):
                raise CellError(parsed)
            self.valid[value] = parsed
            return parsed
        else:
            raise CellError(f"“{_text(value)}”不是日期，应写作 2020-05-01、2020/5/1 或 2020年5月1日")
        if day > self.today:
            raise CellError("日期不能晚于今天")
        return day

    def _parse(self, text: str) -> date | str:
        """The date, or the reason it is not one (kept in the cache like a date)."""
        match = DATE_PATTERN.match(unicodedata.normalize("NFKC", text))
        if match is None:
            return f"“{text}”不是日期，应写作 2020-05-01、2020/5/1 或 2020年5月1日"
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return f"“{text}”不是有效的日期（该月没有这一天）"
        if day > self.today:
            return "日期不能晚于今天"
        return day


def _year(value: Any, minimum: int, maximum: int) -> int:
    if isinstance(value, bool):
        raise CellError(f"“{_text(value)}”不是年份")
    if isinstance(value, int):
        year = value
    elif isinstance(value, float) and value.is_integer():
        year = int(value)
    elif isinstance(value, datetime | date):
        raise CellError("应只填写四位年份，如 1985")
    else:
        text = unicodedata.normalize("NFKC", _text(value)).removesuffix("年")
        if not re.fullmatch(r"\d{4}", text):
            raise CellError(f"“{_text(value)}”不是四位年份，应写作如 1985")
        year = int(text)
    if not minimum <= year <= maximum:
        raise CellError(f"年份应在{minimum}至{maximum}之间")
    return year


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _normalize_header(_text(value))
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise CellError(f"“{_text(value)}”应为“是”或“否”")


def _in_chunks(values: Iterable[Any], size: int = QUERY_CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _scoped(user_scope: QuerySet[Organization] | None) -> QuerySet[Organization]:
    return Organization.objects.all() if user_scope is None else user_scope


def _file_problem_result(problem: FileProblem) -> ImportResult:
    return ImportResult(errors=[RowError(None, problem.column, problem.message)])


# --- the audit chain, in bulk ----------------------------------------------------------------------


# --- organizations ------------------------------------------------------------------------------


@dataclass
class _OrganizationRow:
    row: int
    code: str
    parent_code: str
    organization: Organization
    parent: Organization | None = None  # an existing parent; None: a root, or a parent in the file


def import_organizations(*, file, actor, user_scope: QuerySet[Organization] | None) -> ImportResult:
    """Create the organizations of an .xlsx/.csv file under their parents, all or nothing.

    Each row's parent (上级组织编号) is an existing organization inside
    ``user_scope`` or another row of the file, in any order; the rows are
    created parents first, each as the last child of its parent. Codes must
    be new (in the database and within the file). See the module docstring
    for the file format, the scope and the audit entries.
    """
    try:
        name, content = read_upload(file)
        table = read_table(name, content, ORGANIZATION_COLUMNS)
        return _import_organizations(table, name=name, content=content, actor=actor, user_scope=user_scope)
    except FileProblem as problem:
        return _file_problem_result(problem)


def _import_organizations(table: Table, *, name: str, content: bytes, actor, user_scope) -> ImportResult:
    headers, positions = table.headers, table.positions
    errors: list[RowError] = []
    dates = DateReader()
    parent_required = user_scope is not None
    parsed: list[_OrganizationRow] = []
    first_row_of_code: dict[str, int] = {}

    def cell(cells: Sequence[Any], key: str) -> Any:
        position = positions.get(key)
        return cells[position] if position is not None and position < len(cells) else None

    for number, cells in table.rows:
        problems: dict[str, str] = {}
        values: dict[str, Any] = {}
        for key, reader in (
            ("code", _text),
            ("name", _text),
            ("org_type", lambda value: _choice(value, ORGANIZATION_TYPES, _labels(OrganizationType))),
            ("category", lambda value: _choice(value, ORGANIZATION_CATEGORIES, _labels(OrganizationCategory))),
            ("parent", _text),
            ("founded", dates),
            ("is_active", _bool),
        ):
            value = cell(cells, key)
            if _is_blank(value):
                if key in {"code", "name", "org_type", "category"} or (key == "parent" and parent_required):
                    problems[key] = "必填，不能为空"
                values[key] = {"founded": None, "is_active": True}.get(key, "")
                continue
            try:
                values[key] = reader(value)
            except CellError as error:
                problems[key] = str(error)
        organization = Organization(
            name=values.get("name", ""),
            code=values.get("code", ""),
            org_type=values.get("org_type", ""),
            category=values.get("category", ""),
            founded=values.get("founded"),
            is_active=values.get("is_active", True),
        )
        try:
            # The model's own checks (lengths, the code's characters, dates): one definition of each.
            organization.full_clean(
                exclude=[*TREE_FIELDS, *problems], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                problems.setdefault(field_name, "；".join(messages))
        code = values.get("code", "")
        if code and "code" not in problems:
            if code in first_row_of_code:
                problems["code"] = f"组织编号“{code}”与第{first_row_of_code[code]}行重复"
            else:
                first_row_of_code[code] = number
        if code and values.get("parent") == code:
            problems.setdefault("parent", "上级组织不能是它自己")
        for key, message in problems.items():
            errors.append(RowError(number, headers.get(key, _column_header(ORGANIZATION_COLUMNS, key)), message))
        parsed.append(_OrganizationRow(number, code, values.get("parent", ""), organization))

    if not parsed and not errors:
        return ImportResult(errors=[RowError(None, "", "文件中没有数据（只有表头）")])

    # Codes already taken, anywhere in the tree: codes are unique across it.
    taken = set()
    for chunk in _in_chunks(first_row_of_code):
        taken.update(Organization.objects.filter(code__in=chunk).values_list("code", flat=True))
    code_header = headers["code"]
    for item in parsed:
        if item.code in taken and first_row_of_code.get(item.code) == item.row:
            errors.append(RowError(item.row, code_header, f"组织编号“{item.code}”已被使用"))

    # Parents: in the file, or existing and inside the scope.
    in_file = {item.code: item for item in parsed if first_row_of_code.get(item.code) == item.row}
    outside_codes = {item.parent_code for item in parsed if item.parent_code and item.parent_code not in in_file}
    existing: dict[str, Organization] = {}
    for chunk in _in_chunks(outside_codes):
        existing.update((org.code, org) for org in _scoped(user_scope).filter(code__in=chunk))
    parent_header = headers.get("parent", "上级组织编号")
    for item in parsed:
        if not item.parent_code or item.parent_code == item.code:
            continue
        if item.parent_code in in_file:
            parent_values = in_file[item.parent_code].organization
        elif item.parent_code in existing:
            parent_values = item.parent = existing[item.parent_code]
        else:
            errors.append(RowError(item.row, parent_header, f"上级组织编号“{item.parent_code}”{NOT_IN_SCOPE}"))
            continue
        if parent_values.org_type in BRANCH_TYPES:
            label = OrganizationType(parent_values.org_type).label
            message = f"上级组织“{item.parent_code}”是{label}，其下不能再设党组织"
            errors.append(RowError(item.row, parent_header, message))
        elif not parent_values.is_active:
            message = f"上级组织“{item.parent_code}”已撤销，不能在其下设立组织"
            errors.append(RowError(item.row, parent_header, message))

    order = _tree_order(parsed, in_file)
    reached = {id(item) for item in order}
    for item in parsed:
        if id(item) not in reached and item.parent_code != item.code:
            errors.append(RowError(item.row, parent_header, "上级组织编号之间形成了循环，找不到已有的上级组织"))
    if errors:
        errors.sort(key=lambda error: (error.row or 0, _column_position(ORGANIZATION_COLUMNS, headers, error.column)))
        return ImportResult(rows=len(parsed), errors=errors)

    source = {"file": name, "sha256": hashlib.sha256(content).hexdigest()}
    try:
        with transaction.atomic():
            _lock_tree()
            created: dict[str, Organization] = {}
            for item in order:
                parent = item.parent if item.parent is not None else created.get(item.parent_code)
                if parent is None:
                    Organization.objects.add_root(instance=item.organization)
                else:
                    Organization.objects.add_child(parent, instance=item.organization)
                created[item.code] = item.organization
            entries = []
            for item in parsed:
                organization = item.organization
                parent = item.parent if item.parent is not None else created.get(item.parent_code)
                after = {
                    "name": organization.name,
                    "code": organization.code,
                    "org_type": organization.org_type,
                    "category": organization.category,
                    "founded": organization.founded,
                    "is_active": organization.is_active,
                    "parent_id": parent.pk if parent is not None else None,
                    "source": {**source, "row": item.row},
                }
                entries.append(("organization.imported", organization, None, after))
            append_audit_entries(actor=actor, entries=entries)
    except IntegrityError:
        return ImportResult(rows=len(parsed), errors=[RowError(None, "", CONCURRENT_CHANGE)])
    return ImportResult(rows=len(parsed), created_ids=[item.organization.pk for item in parsed])


def _tree_order(parsed: list[_OrganizationRow], in_file: dict[str, _OrganizationRow]) -> list[_OrganizationRow]:
    """Parents before children: breadth-first from the rows whose parent exists (or that are roots)."""
    children: dict[str, list[_OrganizationRow]] = {}
    order = []
    for item in parsed:
        if item.parent_code and item.parent_code in in_file:
            children.setdefault(item.parent_code, []).append(item)
        else:
            order.append(item)
    position = 0
    while position < len(order):
        order.extend(children.pop(order[position].code, []))
        position += 1
    return order


def _column_header(columns: Sequence[Column], key: str) -> str:
    return next((column.header for column in columns if column.key == key), key)


def _column_position(columns: Sequence[Column], headers: dict[str, str], header: str) -> int:
    for position, column in enumerate(columns):
        if headers.get(column.key, column.header) == header:
            return position
    return len(columns)


# --- members -------------------------------------------------------------------------------------

MEMBER_FIELDS = ("organization_id", "name", "gender", "birth_year", "joined", "status", "leadership_position", "phone")


def import_members(*, file, actor, user_scope: QuerySet[Organization] | None) -> ImportResult:
    """Create the members of an .xlsx/.csv file in existing organizations, all or nothing.

    Each row names its organization by code (组织编号); the organization
    must be inside ``user_scope`` and active. At most one 书记 per
    organization, counting the file and the members already there. Rows
    are inserted in bulk (PostgreSQL ``COPY``, elsewhere ``bulk_create``)
    in one transaction. See the module docstring for the file format, the
    scope and the audit entries.
    """
    try:
        name, content = read_upload(file)
        table = read_table(name, content, MEMBER_COLUMNS)
        return _import_members(table, name=name, content=content, actor=actor, user_scope=user_scope)
    except FileProblem as problem:
        return _file_problem_result(problem)


def _import_members(table: Table, *, name: str, content: bytes, actor, user_scope) -> ImportResult:
    headers, positions = table.headers, table.positions
    header_of = {column.key: headers.get(column.key, column.header) for column in MEMBER_COLUMNS}
    name_max = Member._meta.get_field("name").max_length
    phone_max = Member._meta.get_field("phone").max_length
    # The validator's pattern is a lazy object; its bound method is the compiled pattern's.
    phone_match = PHONE_VALIDATOR.regex.match
    year_min, year_max = _birth_year_limits()
    years = {str(year): year for year in range(year_min, year_max + 1)}
    read_date = DateReader()
    dates = read_date.valid
    gender_labels, status_labels = _labels(Gender), _labels(MemberStatus)
    position_labels = _labels(LeadershipPosition)
    secretary = LeadershipPosition.SECRETARY.value

    # A missing optional column reads as the always-empty cell just past the header's width.
    missing = table.width
    (
        organization_at,
        organization_name_at,
        name_at,
        gender_at,
        birth_year_at,
        joined_at,
        status_at,
        leadership_at,
        phone_at,
    ) = (positions.get(column.key, missing) for column in MEMBER_COLUMNS)
    padding = (None,) * (table.width + 1)

    errors: list[RowError] = []
    # (row, organization code, organization name, name, gender, birth_year, joined, status, position, phone)
    parsed: list[tuple] = []
    first_secretary_row: dict[str, int] = {}

    for number, row_cells in table.rows:
        cells = (*row_cells, *padding[len(row_cells) :]) if len(row_cells) <= missing else row_cells
        row_errors: list[tuple[str, str]] = []

        raw = cells[organization_at]
        organization_code = raw.strip() if raw.__class__ is str else _text(raw)
        if not organization_code:
            row_errors.append(("organization", "必填，不能为空"))
        raw = cells[organization_name_at]
        organization_name = raw.strip() if raw.__class__ is str else _text(raw)

        raw = cells[name_at]
        member_name = raw.strip() if raw.__class__ is str else _text(raw)
        if not member_name:
            row_errors.append(("name", "必填，不能为空"))
        elif len(member_name) > name_max:
            row_errors.append(("name", f"不能超过{name_max}个字（现有{len(member_name)}个）"))

        raw = cells[gender_at]
        gender = GENDERS.get(raw) if isinstance(raw, str) else None
        if gender is None:
            gender = _optional_choice(raw, GENDERS, gender_labels, "gender", row_errors, required=True)

        raw = cells[status_at]
        status = MEMBER_STATUSES.get(raw) if isinstance(raw, str) else None
        if status is None:
            status = _optional_choice(raw, MEMBER_STATUSES, status_labels, "status", row_errors, required=True)

        raw = cells[leadership_at]
        leadership_position = LEADERSHIP_POSITIONS.get(raw) if isinstance(raw, str) else None
        if leadership_position is None:
            leadership_position = (
                _optional_choice(
                    raw, LEADERSHIP_POSITIONS, position_labels, "leadership_position", row_errors, required=False
                )
                or LeadershipPosition.NONE.value
            )

        raw = cells[birth_year_at]
        birth_year = years.get(raw) if raw.__class__ is str else None
        if birth_year is None:
            if _is_blank(raw):
                row_errors.append(("birth_year", "必填，不能为空"))
            else:
                try:
                    birth_year = _year(raw, year_min, year_max)
                except CellError as error:
                    row_errors.append(("birth_year", str(error)))

        raw = cells[joined_at]
        joined = dates.get(raw) if raw.__class__ is str else None
        if joined is None:
            if _is_blank(raw):
                row_errors.append(("joined", "必填，不能为空"))
            else:
                try:
                    joined = read_date(raw)
                except CellError as error:
                    row_errors.append(("joined", str(error)))

        raw = cells[phone_at]
        phone = raw.strip() if raw.__class__ is str else _text(raw)
        if phone:
            if "*" in phone:
                row_errors.append(("phone", f"“{phone}”是隐藏了中间位的号码，请填写完整号码或留空"))
            elif len(phone) > phone_max or not phone_match(phone):
                row_errors.append(("phone", f"“{phone}”不是有效的电话号码"))

        if leadership_position == secretary and organization_code:
            first = first_secretary_row.get(organization_code)
            if first is None:
                first_secretary_row[organization_code] = number
            else:
                row_errors.append(
                    ("leadership_position", f"组织“{organization_code}”只能有一名书记，第{first}行已是该组织的书记")
                )

        for key, message in row_errors:
            errors.append(RowError(number, header_of[key], message))
        parsed.append(
            (
                number,
                organization_code,
                organization_name,
                member_name,
                gender,
                birth_year,
                joined,
                status,
                leadership_position,
                phone,
            )
        )

    if not parsed and not errors:
        return ImportResult(errors=[RowError(None, "", "文件中没有数据（只有表头）")])

    # Organizations: by code, inside the scope; one query per thousand distinct codes.
    codes = {row[1] for row in parsed if row[1]}
    organizations: dict[str, tuple[int, str, bool]] = {}
    for chunk in _in_chunks(codes):
        for pk, code, organization_name, is_active in (
            _scoped(user_scope).filter(code__in=chunk).values_list("pk", "code", "name", "is_active")
        ):
            organizations[code] = (pk, organization_name, is_active)
    secretaries: dict[int, str] = {}
    secretary_organizations = [organizations[code][0] for code in first_secretary_row if code in organizations]
    for chunk in _in_chunks(secretary_organizations):
        secretaries.update(
            Member.objects.filter(organization_id__in=chunk, leadership_position=secretary).values_list(
                "organization_id", "name"
            )
        )

    rows_to_insert: list[tuple] = []
    for number, code, organization_name, member_name, gender, birth_year, joined, status, position, phone in parsed:
        if not code:
            continue
        found = organizations.get(code)
        if found is None:
            errors.append(RowError(number, header_of["organization"], f"组织编号“{code}”{NOT_IN_SCOPE}"))
            continue
        organization_id, actual_name, is_active = found
        if not is_active:
            errors.append(RowError(number, header_of["organization"], f"组织“{code}”已撤销，不能再调入党员"))
        if organization_name and organization_name != actual_name:
            errors.append(
                RowError(
                    number,
                    header_of["organization_name"],
                    f"“{organization_name}”与组织编号“{code}”的组织名称“{actual_name}”不符",
                )
            )
        if position == secretary and organization_id in secretaries and first_secretary_row.get(code) == number:
            errors.append(
                RowError(
                    number,
                    header_of["leadership_position"],
                    f"组织“{code}”已有书记（{secretaries[organization_id]}），每个组织只能有一名书记",
                )
            )
        rows_to_insert.append((organization_id, member_name, gender, birth_year, joined, status, position, phone))

    if errors:
        errors.sort(key=lambda error: (error.row or 0, _column_position(MEMBER_COLUMNS, headers, error.column)))
        return ImportResult(rows=len(parsed), errors=errors)

    source = {"file": name, "sha256": hashlib.sha256(content).hexdigest()}
    try:
        with transaction.atomic():
            ids = _insert_members(rows_to_insert)
            by_organization: dict[int, list[int]] = {}
            for member_id, row in zip(ids, rows_to_insert, strict=True):
                by_organization.setdefault(row[0], []).append(member_id)
            organization_objects = Organization.objects.in_bulk(list(by_organization))
            append_audit_entries(
                actor=actor,
                entries=[
                    (
                        "member.imported",
                        organization_objects[organization_id],
                        None,
                        {"count": len(member_ids), "member_ids": member_ids, "source": source},
                    )
                    for organization_id, member_ids in by_organization.items()
                ],
            )
    except IntegrityError:
        return ImportResult(rows=len(parsed), errors=[RowError(None, "", CONCURRENT_CHANGE)])
    return ImportResult(rows=len(parsed), created_ids=ids)


def _optional_choice(
    raw: Any, index: dict[str, str], labels: Sequence[str], key: str, row_errors: list, *, required: bool
) -> str | None:
    """The slow path of a choice cell: blank, or spelt other than the exact label or value."""
    if _is_blank(raw):
        if required:
            row_errors.append((key, "必填，不能为空"))
        return None
    found = index.get(_normalize_header(_text(raw)))
    if found is None:
        allowed = "、".join(labels) + ("" if required else "，或留空")
        row_errors.append((key, f"“{_text(raw)}”不是可选的值，应为：{allowed}"))
    return found


def _birth_year_limits() -> tuple[int, int]:
    minimum, maximum = 1900, 2100
    for validator in Member._meta.get_field("birth_year").validators:
        if validator.code == "min_value":
            minimum = validator.limit_value
        elif validator.code == "max_value":
            maximum = validator.limit_value
    return minimum, maximum


def _insert_members(rows: list[tuple]) -> list[int]:
    """Insert member rows (values in ``MEMBER_FIELDS`` order); return their ids in the same order.

    On PostgreSQL the ids are drawn from the table's sequence first and the
    rows sent with ``COPY``, several times faster than INSERT; elsewhere
    ``bulk_create``, which returns the ids.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy_members(rows)
    members = [Member(**dict(zip(MEMBER_FIELDS, row, strict=True))) for row in rows]
    Member.objects.bulk_create(members, batch_size=2000)
    return [member.pk for member in members]


def _copy_members(rows: list[tuple]) -> list[int]:
    opts = Member._meta
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    columns = ", ".join(quote(opts.get_field(name).column) for name in ("id", *MEMBER_FIELDS))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(rows)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for member_id, row in zip(ids, rows, strict=True):
                copy.write_row((member_id, *row))
    return ids


# --- templates ---------------------------------------------------------------------------------------


def organization_import_template() -> bytes:
    """The .xlsx template for ``import_organizations``: headers, an example row, and a 说明 sheet."""
    return _template(ORGANIZATIONS_SHEET, ORGANIZATION_COLUMNS, "党组织导入模板")


def member_import_template() -> bytes:
    """The .xlsx template for ``import_members``: headers, an example row, and a 说明 sheet."""
    return _template(MEMBERS_SHEET, MEMBER_COLUMNS, "党员导入模板")


DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"


def style_header_row(sheet, columns: Sequence[Column]) -> None:
    """Bold headers (required ones marked red), widths, frozen header; text columns kept as text."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for position, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=position)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = column.width
        if column.is_text:
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
        elif column.is_date:
            sheet.column_dimensions[letter].number_format = DATE_FORMAT
    sheet.freeze_panes = "A2"


def _template(sheet_title: str, columns: Sequence[Column], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.append([column.header for column in columns])
    sheet.append([column.example for column in columns])
    style_header_row(sheet, columns)
    for position, column in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=position)
        if column.is_text:
            cell.number_format = TEXT_FORMAT
        elif column.is_date:
            cell.number_format = DATE_FORMAT
        if column.allowed:
            letter = get_column_letter(position)
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(column.allowed) + '"',
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle="不可选的值",
                error="请从下拉列表中选择：" + "、".join(column.allowed),
            )
            validation.add(f"{letter}2:{letter}100000")
            sheet.add_data_validation(validation)

    help_sheet = workbook.create_sheet(HELP_SHEET)
    help_sheet.append([title])
    help_sheet["A1"].font = Font(bold=True, size=14)
    help_sheet.append(["第一行为表头，请勿修改；从第二行起每行一条。第二行是示例，导入前请删除或改为实际数据。"])
    help_sheet.append(
        ["导入时先检查全部行：有任何错误则一条也不导入，并列出每个错误的行号、列名和原因；全部正确才一次性导入。"]
    )
    help_sheet.append(["也可另存为 CSV（UTF-8 或 GBK 编码）导入；列的顺序不限，可另加“序号”“备注”列（导入时忽略）。"])
    help_sheet.append([])
    help_sheet.append(["列名", "是否必填", "可填写的值", "说明", "示例"])
    header_row = help_sheet.max_row
    for cell in help_sheet[header_row]:
        cell.font = Font(bold=True)
    for column in columns:
        example = column.example.isoformat() if isinstance(column.example, date) else column.example
        help_sheet.append(
            [
                column.header,
                "必填" if column.required else "选填",
                "、".join(column.allowed) or "—",
                column.help or "—",
                example,
            ]
        )
    for letter, width in zip("ABCDE", (16, 10, 36, 60, 24), strict=True):
        help_sheet.column_dimensions[letter].width = width
    for row in help_sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    return saved_bytes(workbook)


def import_error_report(result: ImportResult) -> bytes:
    """The errors of a failed import as an .xlsx (行号, 列, 原因), to download and fix the file by."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误报告")
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 80
    header = []
    for text in ("行号", "列", "原因"):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for error in result.errors:
        sheet.append(
            [
                error.row if error.row is not None else "（整个文件）",
                *safe_text_cells(sheet, [error.column or "—", error.message]),
            ]
        )
    return saved_bytes(workbook)


FORMULA_PREFIXES = ("=", "+", "-", "@")


def safe_text_cells(sheet, values: Sequence[Any]) -> list[Any]:
    """Values for a write-only row; a string that Excel would run as a formula stays a string.

    openpyxl turns a string starting with ``=`` into a formula; a member named
    ``=HYPERLINK(…)`` must come back out as that text, not run in the office's
    Excel (OWASP "CSV injection").
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub(" ", value)
            if value.startswith(FORMULA_PREFIXES):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
                continue
        cells.append(value)
    return cells
