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

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from xingji.audit.services import append_audit_entries
from xingji.common import tabular
from xingji.common.cells import first_sheet
from xingji.common.exports import saved_bytes
from xingji.common.tabular import RowError, has_content, is_blank, normalize_header
from xingji.common.updates import max_length
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


def _header_index(columns: Sequence[Column]) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in columns:
        for name in (column.header, column.key, *column.aliases):
            index.setdefault(normalize_header(name), column.key)
    return index


def _choice_index(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Label, stored value and extra spellings → stored value, normalized like headers."""
    index = {}
    for value, label in choices.choices:
        index[normalize_header(label)] = str(value)
        index[normalize_header(value)] = str(value)
    for spelling, value in (extra or {}).items():
        # str(): a plain string, not the enum member, for the database adapters.
        index[normalize_header(spelling)] = str(value)
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


#: The sentences this import has always given for a file it cannot read, by ``FileError.code``.
FILE_ERROR_MESSAGES = {
    "ole": "不支持旧版 Excel（.xls）文件或设置了打开密码的文件，请在 Excel 中“另存为”不加密的 .xlsx 后再导入",
    "workbook": "不是有效的 Excel（.xlsx）文件，文件可能已损坏",
    "no_sheet": "Excel 文件中没有可导入的工作表",
}


def _sheet(name: str, content: bytes, key_headers: set[str]) -> tabular.Sheet:
    try:
        return tabular.read_table(
            content,
            name,
            choose=lambda header: any(normalize_header(cell) in key_headers for cell in header),
            skip_sheets=[HELP_SHEET],
        )
    except tabular.FileError as error:
        raise FileProblem(FILE_ERROR_MESSAGES.get(error.code, error.message)) from None


def _header_problems(match: tabular.HeaderMatch[str], columns: Sequence[Column]) -> list[str]:
    problems = [f"无法识别的列“{written}”" for _, written in match.unknown]
    problems += [f"“{written}”与“{match.written[key]}”是同一列，重复了" for _, written, key in match.duplicates]
    missing = [column.header for column in columns if column.required and column.key not in match.positions]
    if missing:
        problems.append("缺少必填列：" + "、".join(f"“{header}”" for header in missing))
    return problems


def _data_rows(rows: list[list[Any]], start: int, width: int) -> Iterator[tuple[int, Sequence[Any]]]:
    for number in range(start + 1, len(rows) + 1):
        cells = rows[number - 1]
        if not has_content(cells):
            continue
        if len(cells) > width and has_content(cells[width:]):
            raise FileProblem(f"第{number}行在表头之外的列中有内容，请删除或为该列加上表头")
        yield number, cells


def read_columns(name: str, content: bytes, columns: Sequence[Column]) -> Table:
    """Open the file, find its header row and map each header to a column, or raise ``FileProblem``."""
    index = _header_index(columns)
    key_headers = {header for header, key in index.items() if key == columns[0].key}
    rows = _sheet(name, content, key_headers).rows
    start = next((number for number, cells in enumerate(rows, start=1) if has_content(cells)), None)
    if start is None:
        raise FileProblem("文件是空的")
    header_row = rows[start - 1]
    match = tabular.match_headers(header_row, index, ignored=IGNORED_HEADERS)
    problems = _header_problems(match, columns)
    if problems:
        raise FileProblem("表头有误：" + "；".join(problems) + "。请使用下载的导入模板")
    # Trailing blank header cells of a sheet (calamine pads every row to the sheet's width) are not columns.
    width = max(position + 1 for position, cell in enumerate(header_row) if not is_blank(cell))
    return Table(headers=match.written, positions=match.positions, width=width, rows=_data_rows(rows, start, width))


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
    found = index.get(normalize_header(_text(value)))
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
    text = normalize_header(_text(value))
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


# --- organizations ------------------------------------------------------------------------------

NO_DATA = "文件中没有数据（只有表头）"
REQUIRED = "必填，不能为空"
#: What a blank optional cell stands for; any other blank cell reads as "".
ORGANIZATION_BLANKS: dict[str, Any] = {"founded": None, "is_active": True}
ALWAYS_REQUIRED = frozenset({"code", "name", "org_type", "category"})


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
        table = read_columns(name, content, ORGANIZATION_COLUMNS)
        return _import_organizations(table, name=name, content=content, actor=actor, user_scope=user_scope)
    except FileProblem as problem:
        return _file_problem_result(problem)


class _OrganizationParser:
    """Reads the organization rows of one file, remembering the first row of each code."""

    def __init__(self, table: Table, *, parent_required: bool) -> None:
        self.headers = table.headers
        self.positions = table.positions
        self.parent_required = parent_required
        self.first_row_of_code: dict[str, int] = {}
        self.readers: tuple[tuple[str, Callable[[Any], Any]], ...] = (
            ("code", _text),
            ("name", _text),
            ("org_type", lambda value: _choice(value, ORGANIZATION_TYPES, _labels(OrganizationType))),
            ("category", lambda value: _choice(value, ORGANIZATION_CATEGORIES, _labels(OrganizationCategory))),
            ("parent", _text),
            ("founded", DateReader()),
            ("is_active", _bool),
        )

    def cell(self, cells: Sequence[Any], key: str) -> Any:
        position = self.positions.get(key)
        return cells[position] if position is not None and position < len(cells) else None

    def values(self, cells: Sequence[Any], problems: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, reader in self.readers:
            value = self.cell(cells, key)
            if is_blank(value):
                if key in ALWAYS_REQUIRED or (key == "parent" and self.parent_required):
                    problems[key] = REQUIRED
                values[key] = ORGANIZATION_BLANKS.get(key, "")
                continue
            try:
                values[key] = reader(value)
            except CellError as error:
                problems[key] = str(error)
        return values

    def parse(self, number: int, cells: Sequence[Any], errors: list[RowError]) -> _OrganizationRow:
        problems: dict[str, str] = {}
        values = self.values(cells, problems)
        organization = Organization(
            name=values.get("name", ""),
            code=values.get("code", ""),
            org_type=values.get("org_type", ""),
            category=values.get("category", ""),
            founded=values.get("founded"),
            is_active=values.get("is_active", True),
        )
        _model_problems(organization, problems)
        code = values.get("code", "")
        if code and "code" not in problems:
            self._check_repeated(code, number, problems)
        if code and values.get("parent") == code:
            problems.setdefault("parent", "上级组织不能是它自己")
        for key, message in problems.items():
            errors.append(RowError(number, self.headers.get(key, _column_header(ORGANIZATION_COLUMNS, key)), message))
        return _OrganizationRow(number, code, values.get("parent", ""), organization)

    def _check_repeated(self, code: str, number: int, problems: dict[str, str]) -> None:
        if code in self.first_row_of_code:
            problems["code"] = f"组织编号“{code}”与第{self.first_row_of_code[code]}行重复"
        else:
            self.first_row_of_code[code] = number


def _model_problems(organization: Organization, problems: dict[str, str]) -> None:
    try:
        # The model's own checks (lengths, the code's characters, dates): one definition of each.
        organization.full_clean(exclude=[*TREE_FIELDS, *problems], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field_name, messages in error.message_dict.items():
            problems.setdefault(field_name, "；".join(messages))


def _import_organizations(table: Table, *, name: str, content: bytes, actor, user_scope) -> ImportResult:
    errors: list[RowError] = []
    parser = _OrganizationParser(table, parent_required=user_scope is not None)
    parsed = [parser.parse(number, cells, errors) for number, cells in table.rows]
    if not parsed and not errors:
        return ImportResult(errors=[RowError(None, "", NO_DATA)])
    first_row_of_code = parser.first_row_of_code
    errors += _taken_codes(parsed, first_row_of_code, table.headers["code"])
    in_file = {item.code: item for item in parsed if first_row_of_code.get(item.code) == item.row}
    parent_header = table.headers.get("parent", "上级组织编号")
    errors += _parent_errors(parsed, in_file, user_scope, parent_header)
    order = _tree_order(parsed, in_file)
    reached = {id(item) for item in order}
    message = "上级组织编号之间形成了循环，找不到已有的上级组织"
    errors += [
        RowError(item.row, parent_header, message)
        for item in parsed
        if id(item) not in reached and item.parent_code != item.code
    ]
    if errors:
        errors.sort(
            key=lambda error: (error.row or 0, _column_position(ORGANIZATION_COLUMNS, table.headers, error.column))
        )
        return ImportResult(rows=len(parsed), errors=errors)
    source = {"file": name, "sha256": hashlib.sha256(content).hexdigest()}
    try:
        _write_organizations(parsed, order, source=source, actor=actor)
    except IntegrityError:
        return ImportResult(rows=len(parsed), errors=[RowError(None, "", CONCURRENT_CHANGE)])
    return ImportResult(rows=len(parsed), created_ids=[item.organization.pk for item in parsed])


def _taken_codes(parsed: list[_OrganizationRow], first_row_of_code: dict[str, int], header: str) -> list[RowError]:
    """Codes already taken, anywhere in the tree: codes are unique across it."""
    taken = set()
    for chunk in _in_chunks(first_row_of_code):
        taken.update(Organization.objects.filter(code__in=chunk).values_list("code", flat=True))
    return [
        RowError(item.row, header, f"组织编号“{item.code}”已被使用")
        for item in parsed
        if item.code in taken and first_row_of_code.get(item.code) == item.row
    ]


def _parent_errors(
    parsed: list[_OrganizationRow], in_file: dict[str, _OrganizationRow], user_scope, header: str
) -> list[RowError]:
    """Parents: in the file, or existing and inside the scope; never a branch, never dissolved."""
    outside_codes = {item.parent_code for item in parsed if item.parent_code and item.parent_code not in in_file}
    existing: dict[str, Organization] = {}
    for chunk in _in_chunks(outside_codes):
        existing.update((org.code, org) for org in _scoped(user_scope).filter(code__in=chunk))
    errors = []
    for item in parsed:
        if not item.parent_code or item.parent_code == item.code:
            continue
        message = _parent_problem(item, in_file, existing)
        if message:
            errors.append(RowError(item.row, header, message))
    return errors


def _parent_problem(
    item: _OrganizationRow, in_file: dict[str, _OrganizationRow], existing: dict[str, Organization]
) -> str:
    if item.parent_code in in_file:
        parent_values = in_file[item.parent_code].organization
    elif item.parent_code in existing:
        parent_values = item.parent = existing[item.parent_code]
    else:
        return f"上级组织编号“{item.parent_code}”{NOT_IN_SCOPE}"
    if parent_values.org_type in BRANCH_TYPES:
        label = OrganizationType(parent_values.org_type).label
        return f"上级组织“{item.parent_code}”是{label}，其下不能再设党组织"
    if not parent_values.is_active:
        return f"上级组织“{item.parent_code}”已撤销，不能在其下设立组织"
    return ""


def _write_organizations(
    parsed: list[_OrganizationRow], order: list[_OrganizationRow], *, source: dict[str, Any], actor
) -> None:
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
        table = read_columns(name, content, MEMBER_COLUMNS)
        return _import_members(table, name=name, content=content, actor=actor, user_scope=user_scope)
    except FileProblem as problem:
        return _file_problem_result(problem)


class _MemberParser:
    """Reads the member rows of one file into tuples; the hot loop of a 100,000-row import.

    Exact labels, stored values, years and dates already read are looked up
    first; only other spellings take the slow path.
    """

    def __init__(self, table: Table) -> None:
        self.header_of = {column.key: table.headers.get(column.key, column.header) for column in MEMBER_COLUMNS}
        self.name_max = max_length(Member, "name")
        self.phone_max = max_length(Member, "phone")
        # The validator's pattern is a lazy object; its bound method is the compiled pattern's.
        self.phone_match = PHONE_VALIDATOR.regex.match  # type: ignore[union-attr]
        self.year_min, self.year_max = _birth_year_limits()
        # Text and number keys: calamine gives a year typed into a number cell as 1985.0, which hashes as 1985.
        self.years: dict[Any, int] = {str(year): year for year in range(self.year_min, self.year_max + 1)}
        self.years.update({year: year for year in range(self.year_min, self.year_max + 1)})
        self.read_date = DateReader()
        self.first_secretary_row: dict[str, int] = {}
        # A missing optional column reads as the always-empty cell just past the header's width.
        self.width = table.width
        self.positions = tuple(table.positions.get(column.key, table.width) for column in MEMBER_COLUMNS)
        self.padding = (None,) * (table.width + 1)

    def parse(self, number: int, row_cells: Sequence[Any], errors: list[RowError]) -> tuple:
        """(row, organization code, organization name, name, gender, birth_year, joined, status, position, phone)"""
        cells = (*row_cells, *self.padding[len(row_cells) :]) if len(row_cells) <= self.width else row_cells
        row_errors: list[tuple[str, str]] = []
        code_at, organization_name_at, name_at, gender_at, year_at, joined_at, status_at, position_at, phone_at = (
            self.positions
        )
        organization_code = _stripped(cells[code_at])
        if not organization_code:
            row_errors.append(("organization", REQUIRED))
        member_name = self._name(cells[name_at], row_errors)
        gender = _choice_cell(cells[gender_at], GENDERS, "gender", row_errors, required=True)
        status = _choice_cell(cells[status_at], MEMBER_STATUSES, "status", row_errors, required=True)
        position = _choice_cell(cells[position_at], LEADERSHIP_POSITIONS, "leadership_position", row_errors)
        birth_year = self._birth_year(cells[year_at], row_errors)
        joined = self._joined(cells[joined_at], row_errors)
        phone = self._phone(cells[phone_at], row_errors)
        position = position or LeadershipPosition.NONE.value
        if position == SECRETARY and organization_code:
            self._one_secretary(organization_code, number, row_errors)
        for key, message in row_errors:
            errors.append(RowError(number, self.header_of[key], message))
        organization_name = _stripped(cells[organization_name_at])
        return (
            number,
            organization_code,
            organization_name,
            member_name,
            gender,
            birth_year,
            joined,
            status,
            position,
            phone,
        )

    def _name(self, raw: Any, row_errors: list[tuple[str, str]]) -> str:
        member_name = _stripped(raw)
        if not member_name:
            row_errors.append(("name", REQUIRED))
        elif len(member_name) > self.name_max:
            row_errors.append(("name", f"不能超过{self.name_max}个字（现有{len(member_name)}个）"))
        return member_name

    def _birth_year(self, raw: Any, row_errors: list[tuple[str, str]]) -> int | None:
        if raw.__class__ is str or raw.__class__ is float:
            found = self.years.get(raw)
            if found is not None:
                return found
        if is_blank(raw):
            row_errors.append(("birth_year", REQUIRED))
            return None
        try:
            return _year(raw, self.year_min, self.year_max)
        except CellError as error:
            row_errors.append(("birth_year", str(error)))
        return None

    def _joined(self, raw: Any, row_errors: list[tuple[str, str]]) -> date | None:
        joined = self.read_date.valid.get(raw) if raw.__class__ is str else None
        if joined is not None:
            return joined
        if is_blank(raw):
            row_errors.append(("joined", REQUIRED))
            return None
        try:
            return self.read_date(raw)
        except CellError as error:
            row_errors.append(("joined", str(error)))
        return None

    def _phone(self, raw: Any, row_errors: list[tuple[str, str]]) -> str:
        phone = _stripped(raw)
        if not phone:
            return phone
        if "*" in phone:
            row_errors.append(("phone", f"“{phone}”是隐藏了中间位的号码，请填写完整号码或留空"))
        elif len(phone) > self.phone_max or not self.phone_match(phone):
            row_errors.append(("phone", f"“{phone}”不是有效的电话号码"))
        return phone

    def _one_secretary(self, code: str, number: int, row_errors: list[tuple[str, str]]) -> None:
        first = self.first_secretary_row.get(code)
        if first is None:
            self.first_secretary_row[code] = number
        else:
            row_errors.append(("leadership_position", f"组织“{code}”只能有一名书记，第{first}行已是该组织的书记"))


SECRETARY = LeadershipPosition.SECRETARY.value
CHOICE_LABELS = {
    "gender": _labels(Gender),
    "status": _labels(MemberStatus),
    "leadership_position": _labels(LeadershipPosition),
}


def _stripped(raw: Any) -> str:
    return raw.strip() if raw.__class__ is str else _text(raw)


def _choice_cell(
    raw: Any, index: dict[str, str], key: str, row_errors: list[tuple[str, str]], *, required: bool = False
) -> str | None:
    found = index.get(raw) if raw.__class__ is str else None
    if found is None:
        found = _optional_choice(raw, index, CHOICE_LABELS[key], key, row_errors, required=required)
    return found


def _import_members(table: Table, *, name: str, content: bytes, actor, user_scope) -> ImportResult:
    parser = _MemberParser(table)
    errors: list[RowError] = []
    parsed = [parser.parse(number, cells, errors) for number, cells in table.rows]
    if not parsed and not errors:
        return ImportResult(errors=[RowError(None, "", NO_DATA)])
    organizations = _member_organizations({row[1] for row in parsed if row[1]}, user_scope)
    secretaries = _secretaries([organizations[code][0] for code in parser.first_secretary_row if code in organizations])
    rows_to_insert: list[tuple] = []
    for row in parsed:
        if row[1]:
            rows_to_insert.append(_resolve_member(row, organizations, secretaries, parser, errors))
    if errors:
        errors.sort(key=lambda error: (error.row or 0, _column_position(MEMBER_COLUMNS, table.headers, error.column)))
        return ImportResult(rows=len(parsed), errors=errors)
    source = {"file": name, "sha256": hashlib.sha256(content).hexdigest()}
    try:
        ids = _write_members(rows_to_insert, source=source, actor=actor)
    except IntegrityError:
        return ImportResult(rows=len(parsed), errors=[RowError(None, "", CONCURRENT_CHANGE)])
    return ImportResult(rows=len(parsed), created_ids=ids)


def _member_organizations(codes: set[str], user_scope) -> dict[str, tuple[int, str, bool]]:
    """Organizations by code, inside the scope; one query per thousand distinct codes."""
    organizations: dict[str, tuple[int, str, bool]] = {}
    for chunk in _in_chunks(codes):
        for pk, code, organization_name, is_active in (
            _scoped(user_scope).filter(code__in=chunk).values_list("pk", "code", "name", "is_active")
        ):
            organizations[code] = (pk, organization_name, is_active)
    return organizations


def _secretaries(organization_ids: list[int]) -> dict[int, str]:
    secretaries: dict[int, str] = {}
    for chunk in _in_chunks(organization_ids):
        secretaries.update(
            Member.objects.filter(organization_id__in=chunk, leadership_position=SECRETARY).values_list(
                "organization_id", "name"
            )
        )
    return secretaries


def _resolve_member(
    row: tuple,
    organizations: dict[str, tuple[int, str, bool]],
    secretaries: dict[int, str],
    parser: _MemberParser,
    errors: list[RowError],
) -> tuple:
    """The row as ``MEMBER_FIELDS`` values, its organization checked; problems appended to ``errors``."""
    number, code, organization_name, member_name, gender, birth_year, joined, status, position, phone = row
    header_of = parser.header_of
    found = organizations.get(code)
    if found is None:
        errors.append(RowError(number, header_of["organization"], f"组织编号“{code}”{NOT_IN_SCOPE}"))
        return ()
    organization_id, actual_name, is_active = found
    if not is_active:
        errors.append(RowError(number, header_of["organization"], f"组织“{code}”已撤销，不能再调入党员"))
    if organization_name and organization_name != actual_name:
        message = f"“{organization_name}”与组织编号“{code}”的组织名称“{actual_name}”不符"
        errors.append(RowError(number, header_of["organization_name"], message))
    if position == SECRETARY and organization_id in secretaries and parser.first_secretary_row.get(code) == number:
        message = f"组织“{code}”已有书记（{secretaries[organization_id]}），每个组织只能有一名书记"
        errors.append(RowError(number, header_of["leadership_position"], message))
    return (organization_id, member_name, gender, birth_year, joined, status, position, phone)


def _write_members(rows: list[tuple], *, source: dict[str, Any], actor) -> list[int]:
    with transaction.atomic():
        ids = _insert_members(rows)
        by_organization: dict[int, list[int]] = {}
        for member_id, row in zip(ids, rows, strict=True):
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
    return ids


def _optional_choice(
    raw: Any, index: dict[str, str], labels: Sequence[str], key: str, row_errors: list, *, required: bool
) -> str | None:
    """The slow path of a choice cell: blank, or spelt other than the exact label or value."""
    if is_blank(raw):
        if required:
            row_errors.append((key, "必填，不能为空"))
        return None
    found = index.get(normalize_header(_text(raw)))
    if found is None:
        allowed = "、".join(labels) + ("" if required else "，或留空")
        row_errors.append((key, f"“{_text(raw)}”不是可选的值，应为：{allowed}"))
    return found


def _birth_year_limits() -> tuple[int, int]:
    minimum, maximum = 1900, 2100
    for validator in Member._meta.get_field("birth_year").validators:
        if validator.code == "min_value":  # type: ignore[attr-defined]
            minimum = validator.limit_value  # type: ignore[attr-defined]
        elif validator.code == "max_value":  # type: ignore[attr-defined]
            maximum = validator.limit_value  # type: ignore[attr-defined]
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
    columns = ", ".join(quote(opts.get_field(name).column) for name in ("id", *MEMBER_FIELDS))  # type: ignore[arg-type, union-attr]
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
    sheet = first_sheet(workbook, sheet_title)
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
