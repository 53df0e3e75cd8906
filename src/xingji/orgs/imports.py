"""Importing organizations and members from Excel (.xlsx, .xls), .ods or CSV, and the templates for it.

An import is **all or nothing**, run by the house's one import runner
(``xingji.common.imports``): every row is read and checked first, and every
problem is collected as a ``RowError`` (row, column, reason in Chinese). If
there is any, nothing is written and the errors are returned; otherwise
every row is written in one transaction, with its audit entries.

What a file may look like
-------------------------
* ``.xlsx``, ``.xls`` (old Excel, WPS) or ``.ods``, read with python-calamine,
  or ``.csv`` (UTF-8 with or without BOM, or GBK/GB18030 as saved by Excel in
  Chinese; comma, semicolon or tab separated). A workbook is told from its
  content, whatever its name; the sheet read is the first (after 说明) whose
  header row names the first column (组织编号).
* The first non-empty row holds the headers: the Chinese headers of the
  template, a listed alias, or the English field name (``code``,
  ``birth_year``…); width, case and spaces do not matter. Columns named
  序号/备注/说明 are ignored; any other unknown column is an error, so that a
  misspelt optional column is not dropped silently.
* Choices are given by their Chinese labels (党支部, 正式党员, 书记, 男) or
  the stored values; dates as Excel date cells or text such as
  ``2020-05-01``, ``2020/5/1``, ``2020.5.1`` or ``2020年5月1日``.
* An organization (a member's 组织编号, an organization's 上级组织编号) is
  named by its code or its exact name (``xingji.orgs.lookup``); a name shared
  by several organizations of the scope is refused, asking for the code.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils import timezone

from xingji.accounts.models import Actor
from xingji.audit.services import append_audit_entries
from xingji.common import tablereader
from xingji.common.bulk import insert_rows
from xingji.common.cells import first_sheet
from xingji.common.exports import finish_sheet, saved_bytes, write_table
from xingji.common.imports import Importer, commit
from xingji.common.tablereader import HeaderProblems, RowValues, Table, Wording, collector_paused
from xingji.common.tabular import RowError, TableErrors, is_blank, normalize_header
from xingji.common.updates import max_length
from xingji.orgs.lookup import OrganizationMatch, ambiguous_message, example_organizations, match_organizations
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


def read_upload(file: Any) -> tuple[str, bytes]:
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
    "ole": "无法读取该 Excel 文件：文件可能已损坏或设置了打开密码，请在 Excel 中“另存为”不加密的 .xlsx 后再导入",
    "workbook": "不是有效的 Excel（.xlsx）文件，文件可能已损坏",
    "no_sheet": "Excel 文件中没有可导入的工作表",
}
NO_DATA = "文件中没有数据（只有表头）"
REQUIRED = "必填，不能为空"
WORDING = Wording(
    empty="文件是空的",
    no_data=NO_DATA,
    beyond_header="第{row}行在表头之外的列中有内容，请删除或为该列加上表头",
    file_errors=FILE_ERROR_MESSAGES,
)


def _describe_header(problems: HeaderProblems) -> str:
    parts = [f"无法识别的列“{written}”" for _, written in problems.unknown]
    parts += [f"“{written}”与“{first}”是同一列，重复了" for _, written, first in problems.duplicates]
    if problems.missing:
        parts.append("缺少必填列：" + "、".join(f"“{header}”" for header in problems.missing))
    return "表头有误：" + "；".join(parts) + "。请使用下载的导入模板"


def _importer(columns: Sequence[Column], **options: Any) -> Importer[Any]:
    """The sheet holding the data is the first whose header row names the first column (组织编号)."""
    return Importer.of_columns(
        [tablereader.Column(column.key, column.header, column.aliases, column.required) for column in columns],
        normalize=normalize_header,
        ignored=IGNORED_HEADERS,
        wording=options.pop("wording", WORDING),
        sheet_key=columns[0].key,
        skip_sheets=[HELP_SHEET],
        describe_header=_describe_header,
        **options,
    )


def read_columns(name: str, content: bytes, columns: Sequence[Column]) -> Table:
    """Open the file, find its header row and map each header to a column, or raise ``TableErrors``."""
    return (ORGANIZATIONS if columns is ORGANIZATION_COLUMNS else MEMBERS).table(content, name)


def _file_problem_result(problem: FileProblem) -> ImportResult:
    return ImportResult(errors=[RowError(None, problem.column, problem.message)])


def _run(
    importer: Importer[Any],
    file: Any,
    parser_for: Callable[[Table], Any],
    write: Callable[..., list[int]],
    check: Callable[..., list[RowError]],
) -> ImportResult:
    """Read, parse, check and write through ``importer``; every refusal as an ``ImportResult`` with its errors."""
    with collector_paused():
        return _run_importer(importer, file, parser_for, write, check)


def _run_importer(
    importer: Importer[Any],
    file: Any,
    parser_for: Callable[[Table], Any],
    write: Callable[..., list[int]],
    check: Callable[..., list[RowError]],
) -> ImportResult:
    try:
        name, content = read_upload(file)
        table = importer.table(content, name)
    except FileProblem as problem:
        return _file_problem_result(problem)
    except TableErrors as refused:
        return ImportResult(errors=refused.errors)
    parser = parser_for(table)
    parsed, errors = importer.parse(table, parser.parse)
    source = {"file": name, "sha256": hashlib.sha256(content).hexdigest()}
    try:
        ids = commit(
            parsed,
            partial(write, parser=parser, source=source),
            errors=errors,
            check=partial(check, parser=parser, table=table),
            order=lambda found: importer.in_order(found, table),
        )
    except TableErrors as refused:
        return ImportResult(rows=len(table.rows), errors=refused.errors)
    except IntegrityError:
        return ImportResult(rows=len(table.rows), errors=[RowError(None, "", CONCURRENT_CHANGE)])
    return ImportResult(rows=len(table.rows), created_ids=ids)


ORGANIZATIONS: Importer[Any] = _importer(
    ORGANIZATION_COLUMNS,
    row_key=lambda item: item.code if item.code_ok else None,
    row_key_column="code",
    wording=Wording(
        empty=WORDING.empty,
        no_data=WORDING.no_data,
        beyond_header=WORDING.beyond_header,
        file_errors=FILE_ERROR_MESSAGES,
        repeated_row="组织编号“{key}”与第{first}行重复",
    ),
)
MEMBERS: Importer[Any] = _importer(MEMBER_COLUMNS)


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


# --- organizations ------------------------------------------------------------------------------

#: What a blank optional cell stands for; any other blank cell reads as "".
ORGANIZATION_BLANKS: dict[str, Any] = {"founded": None, "is_active": True}
ALWAYS_REQUIRED = frozenset({"code", "name", "org_type", "category"})


@dataclass
class _OrganizationRow:
    row: int
    code: str
    #: The code has no problem of its own: the row may be a parent, and its code is checked for repeats.
    code_ok: bool
    parent_text: str
    organization: Organization
    parent: Organization | None = None  # an existing parent; None: a root, or a parent in the file
    parent_in_file: str | None = None  # the code of a parent that is another row of the file


def import_organizations(*, file: Any, actor: Actor | None, user_scope: QuerySet[Organization] | None) -> ImportResult:
    """Create the organizations of a file (.xlsx, .xls, .ods, .csv) under their parents, all or nothing.

    Each row's parent (上级组织编号) is an existing organization inside
    ``user_scope``, named by its code or its exact name, or another row of
    the file, in any order; the rows are created parents first, each as the
    last child of its parent. Codes must be new (in the database and within
    the file). See the module docstring for the file format, the scope and
    the audit entries.
    """
    return _run(
        ORGANIZATIONS,
        file,
        lambda table: _OrganizationParser(parent_required=user_scope is not None),
        partial(_write_organizations, actor=actor),
        partial(_organization_errors, user_scope=user_scope),
    )


class _OrganizationParser:
    """Reads the organization rows of one file."""

    def __init__(self, *, parent_required: bool) -> None:
        self.parent_required = parent_required
        self.readers: tuple[tuple[str, Callable[[Any], Any]], ...] = (
            ("code", _text),
            ("name", _text),
            ("org_type", lambda value: _choice(value, ORGANIZATION_TYPES, _labels(OrganizationType))),
            ("category", lambda value: _choice(value, ORGANIZATION_CATEGORIES, _labels(OrganizationCategory))),
            ("parent", _text),
            ("founded", DateReader()),
            ("is_active", _bool),
        )

    def values(self, row: Mapping[str, Any], problems: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, reader in self.readers:
            value = row.get(key)
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

    def parse(
        self, number: int, row: Mapping[str, Any], headers: Mapping[str, str], errors: list[RowError]
    ) -> _OrganizationRow:
        problems: dict[str, str] = {}
        values = self.values(row, problems)
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
        if code and values.get("parent") == code:
            problems.setdefault("parent", "上级组织不能是它自己")
        for key, message in problems.items():
            errors.append(RowError(number, headers.get(key, key), message))
        return _OrganizationRow(
            number, code, bool(code) and "code" not in problems, values.get("parent", ""), organization
        )


def _model_problems(organization: Organization, problems: dict[str, str]) -> None:
    try:
        # The model's own checks (lengths, the code's characters, dates): one definition of each.
        organization.full_clean(exclude=[*TREE_FIELDS, *problems], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field_name, messages in error.message_dict.items():
            problems.setdefault(field_name, "；".join(messages))


def _organization_errors(
    numbered: list[tuple[int, _OrganizationRow]],
    *,
    parser: _OrganizationParser,
    table: Table,
    user_scope: QuerySet[Organization] | None,
) -> list[RowError]:
    """Codes taken, parents found and allowed, no circle: under the tree's lock, as the write that follows."""
    _lock_tree()
    rows = [item for _, item in numbered]
    in_file = {item.code: item for item in rows if item.code_ok}
    errors = _taken_codes(rows, table.headers["code"])
    parent_header = table.headers["parent"]
    errors += _parent_errors(rows, in_file, user_scope, parent_header)
    reached = {id(item) for item in _tree_order(rows, in_file)}
    message = "上级组织编号之间形成了循环，找不到已有的上级组织"
    errors += [RowError(item.row, parent_header, message) for item in rows if id(item) not in reached]
    return errors


def _taken_codes(rows: list[_OrganizationRow], header: str) -> list[RowError]:
    """Codes already taken, anywhere in the tree: codes are unique across it."""
    codes = [item.code for item in rows if item.code_ok]
    taken = set()
    for chunk in _in_chunks(codes):
        taken.update(Organization.objects.filter(code__in=chunk).values_list("code", flat=True))
    return [
        RowError(item.row, header, f"组织编号“{item.code}”已被使用")
        for item in rows
        if item.code_ok and item.code in taken
    ]


def _parent_errors(
    rows: list[_OrganizationRow],
    in_file: dict[str, _OrganizationRow],
    user_scope: QuerySet[Organization] | None,
    header: str,
) -> list[RowError]:
    """Parents: in the file, or existing and inside the scope (by code or exact name); never a branch, never
    dissolved."""
    outside = {item.parent_text for item in rows if item.parent_text and item.parent_text not in in_file}
    match = match_organizations(outside, user_scope)
    named_in_file: dict[str, list[_OrganizationRow]] = {}
    for item in in_file.values():
        named_in_file.setdefault(item.organization.name, []).append(item)
    errors = []
    for item in rows:
        if not item.parent_text or item.parent_text == item.code:
            continue
        message = _parent_problem(item, in_file, match, named_in_file)
        if message:
            errors.append(RowError(item.row, header, message))
    return errors


def _parent_problem(
    item: _OrganizationRow,
    in_file: dict[str, _OrganizationRow],
    match: OrganizationMatch,
    named_in_file: dict[str, list[_OrganizationRow]],
) -> str:
    """What is wrong with the row's parent, or ""; the parent found is set on the row."""
    text = item.parent_text
    parent: _OrganizationRow | Organization
    if text in in_file:
        parent = in_file[text]
    elif text in match.by_code:
        parent = match.by_code[text]
    else:
        candidates: list[_OrganizationRow | Organization] = [*named_in_file.get(text, []), *match.by_name.get(text, [])]
        if not candidates:
            return f"上级组织编号“{text}”{NOT_IN_SCOPE}"
        if len(candidates) > 1:
            return ambiguous_message(text, len(candidates))
        parent = candidates[0]
        if parent is item:
            return "上级组织不能是它自己"
    if isinstance(parent, _OrganizationRow):
        item.parent_in_file = parent.code
        values = parent.organization
    else:
        item.parent = values = parent
    if values.org_type in BRANCH_TYPES:
        label = OrganizationType(values.org_type).label
        return f"上级组织“{text}”是{label}，其下不能再设党组织"
    if not values.is_active:
        return f"上级组织“{text}”已撤销，不能在其下设立组织"
    return ""


def _write_organizations(
    rows: list[_OrganizationRow], *, parser: _OrganizationParser, source: dict[str, Any], actor: Actor | None
) -> list[int]:
    in_file = {item.code: item for item in rows if item.code_ok}
    created: dict[str, Organization] = {}
    for item in _tree_order(rows, in_file):
        parent = item.parent if item.parent is not None else created.get(item.parent_in_file or "")
        if parent is None:
            Organization.objects.add_root(instance=item.organization)
        else:
            Organization.objects.add_child(parent, instance=item.organization)
        created[item.code] = item.organization
    entries = []
    for item in rows:
        organization = item.organization
        parent = item.parent if item.parent is not None else created.get(item.parent_in_file or "")
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
    return [item.organization.pk for item in rows]


def _tree_order(rows: list[_OrganizationRow], in_file: dict[str, _OrganizationRow]) -> list[_OrganizationRow]:
    """Parents before children: breadth-first from the rows whose parent exists (or that are roots)."""
    children: dict[str, list[_OrganizationRow]] = {}
    order = []
    for item in rows:
        if item.parent_in_file is not None and item.parent_in_file in in_file:
            children.setdefault(item.parent_in_file, []).append(item)
        else:
            order.append(item)
    position = 0
    while position < len(order):
        order.extend(children.pop(order[position].code, []))
        position += 1
    return order


# --- members -------------------------------------------------------------------------------------

MEMBER_FIELDS = ("organization_id", "name", "gender", "birth_year", "joined", "status", "leadership_position", "phone")
SECRETARY = LeadershipPosition.SECRETARY.value
NO_POSITION = LeadershipPosition.NONE.value
CHOICE_LABELS = {
    "gender": _labels(Gender),
    "status": _labels(MemberStatus),
    "leadership_position": _labels(LeadershipPosition),
}


def import_members(*, file: Any, actor: Actor | None, user_scope: QuerySet[Organization] | None) -> ImportResult:
    """Create the members of a file (.xlsx, .xls, .ods, .csv) in existing organizations, all or nothing.

    Each row names its organization by code or exact name (组织编号); the
    organization must be inside ``user_scope`` and active. At most one 书记
    per organization, counting the file and the members already there. Rows
    are inserted in bulk (PostgreSQL ``COPY``, elsewhere ``bulk_create``) in
    one transaction. See the module docstring for the file format, the scope
    and the audit entries.
    """
    return _run(
        MEMBERS,
        file,
        _MemberParser,
        partial(_write_members, actor=actor),
        partial(_member_errors, user_scope=user_scope),
    )


class _MemberParser:
    """Reads the member rows of one file into tuples; the hot loop of a 100,000-row import.

    Exact labels, stored values, years and dates already read are looked up
    first; only other spellings take the slow path.
    """

    def __init__(self, table: Table) -> None:
        self.header_of = {column.key: table.headers.get(column.key, column.header) for column in MEMBER_COLUMNS}
        self.name_max = max_length(Member, "name")
        self.phone_max = max_length(Member, "phone")
        # The validator's pattern is a lazy object; re.compile gives it back as it is, typed.
        self.phone_match = re.compile(PHONE_VALIDATOR.regex).match
        self.year_min, self.year_max = _birth_year_limits()
        # Text and number keys: calamine gives a year typed into a number cell as 1985.0, which hashes as 1985.
        self.years: dict[Any, int] = {str(year): year for year in range(self.year_min, self.year_max + 1)}
        self.years.update({year: year for year in range(self.year_min, self.year_max + 1)})
        self.read_date = DateReader()
        # A missing optional column reads as the always-empty cell just past the header's width.
        self.width = table.width
        self.positions = tuple(table.positions.get(column.key, table.width) for column in MEMBER_COLUMNS)
        self.padding = (None,) * (table.width + 1)
        #: The rows as ``MEMBER_FIELDS`` values, their organizations found (``_member_errors``).
        self.resolved: list[tuple[Any, ...]] = []

    def parse(
        self, number: int, values: RowValues, headers: Mapping[str, str], errors: list[RowError]
    ) -> tuple[Any, ...]:
        """(row, organization, organization name, name, gender, birth_year, joined, status, position, phone)"""
        row_cells = values.cells
        cells = (*row_cells, *self.padding[len(row_cells) :]) if len(row_cells) <= self.width else row_cells
        row_errors: list[tuple[str, str]] = []
        code_at, organization_name_at, name_at, gender_at, year_at, joined_at, status_at, position_at, phone_at = (
            self.positions
        )
        # The usual cell (text spelt as the template has it) is read inline; anything else takes the slow path.
        raw = cells[code_at]
        organization = raw.strip() if raw.__class__ is str else _text(raw)
        if not organization:
            row_errors.append(("organization", REQUIRED))
        raw = cells[name_at]
        member_name = raw.strip() if raw.__class__ is str else ""
        if not member_name or len(member_name) > self.name_max:
            member_name = self._name(raw, row_errors)
        raw = cells[gender_at]
        gender = GENDERS.get(raw) if raw.__class__ is str else None
        gender = gender or _choice_cell(raw, GENDERS, "gender", row_errors, required=True)
        raw = cells[status_at]
        status = MEMBER_STATUSES.get(raw) if raw.__class__ is str else None
        status = status or _choice_cell(raw, MEMBER_STATUSES, "status", row_errors, required=True)
        raw = cells[position_at]
        position = LEADERSHIP_POSITIONS.get(raw) if raw.__class__ is str else None
        position = position or _choice_cell(raw, LEADERSHIP_POSITIONS, "leadership_position", row_errors)
        raw = cells[year_at]
        birth_year = self.years.get(raw) if raw.__class__ is str or raw.__class__ is float else None
        birth_year = birth_year or self._birth_year(raw, row_errors)
        raw = cells[joined_at]
        joined = self.read_date.valid.get(raw) if raw.__class__ is str else None
        joined = joined or self._joined(raw, row_errors)
        raw = cells[phone_at]
        phone = raw.strip() if raw.__class__ is str else ""
        if not phone or "*" in phone or len(phone) > self.phone_max or not self.phone_match(phone):
            phone = self._phone(raw, row_errors)
        position = position or NO_POSITION
        if row_errors:
            errors.extend(RowError(number, self.header_of[key], message) for key, message in row_errors)
        raw = cells[organization_name_at]
        organization_name = raw.strip() if raw.__class__ is str else _text(raw)
        return (
            number,
            organization,
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


def _stripped(raw: Any) -> str:
    return raw.strip() if raw.__class__ is str else _text(raw)


def _choice_cell(
    raw: Any, index: dict[str, str], key: str, row_errors: list[tuple[str, str]], *, required: bool = False
) -> str | None:
    found = index.get(raw) if raw.__class__ is str else None
    if found is None:
        found = _optional_choice(raw, index, CHOICE_LABELS[key], key, row_errors, required=required)
    return found


def _member_errors(
    numbered: list[tuple[int, tuple[Any, ...]]],
    *,
    parser: _MemberParser,
    table: Table,
    user_scope: QuerySet[Organization] | None,
) -> list[RowError]:
    """Each row's organization (by code or exact name, in the scope, active), the name given to check it,
    and one 书记 per organization; the rows to insert kept on the parser."""
    rows = [row for _, row in numbered]
    match = match_organizations({row[1] for row in rows if row[1]}, user_scope, only=("is_active",))
    found = {text: match.find(text) for text in {row[1] for row in rows if row[1]}}
    secretary_organizations = {
        organization.pk for row in rows if row[8] == SECRETARY and (organization := found.get(row[1])) is not None
    }
    resolver = _MemberResolver(parser.header_of, match, found, _secretaries(sorted(secretary_organizations)))
    parser.resolved = [resolver.resolve(row) for row in rows if row[1]]
    return resolver.errors


class _MemberResolver:
    """Checks each row's organization, in file order, collecting the errors."""

    def __init__(
        self,
        header_of: dict[str, str],
        match: OrganizationMatch,
        found: dict[str, Organization | None],
        secretaries: dict[int, str],
    ) -> None:
        self.header_of = header_of
        self.match = match
        self.found = found
        self.secretaries = secretaries
        self.first_secretary_row: dict[int, int] = {}
        self.errors: list[RowError] = []

    def resolve(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """The row as ``MEMBER_FIELDS`` values; problems appended to ``errors``."""
        number, text, organization_name, member_name, gender, birth_year, joined, status, position, phone = row
        header_of, errors = self.header_of, self.errors
        organization = self.found.get(text)
        if organization is None:
            count = self.match.ambiguity(text)
            message = ambiguous_message(text, count) if count else f"组织编号“{text}”{NOT_IN_SCOPE}"
            errors.append(RowError(number, header_of["organization"], message))
            return ()
        code = organization.code
        if not organization.is_active:
            errors.append(RowError(number, header_of["organization"], f"组织“{code}”已撤销，不能再调入党员"))
        if organization_name and organization_name != organization.name:
            message = f"“{organization_name}”与组织编号“{code}”的组织名称“{organization.name}”不符"
            errors.append(RowError(number, header_of["organization_name"], message))
        if position == SECRETARY:
            self._one_secretary(number, organization)
        return (organization.pk, member_name, gender, birth_year, joined, status, position, phone)

    def _one_secretary(self, number: int, organization: Organization) -> None:
        first = self.first_secretary_row.setdefault(organization.pk, number)
        header = self.header_of["leadership_position"]
        if first != number:
            message = f"组织“{organization.code}”只能有一名书记，第{first}行已是该组织的书记"
            self.errors.append(RowError(number, header, message))
        elif organization.pk in self.secretaries:
            message = (
                f"组织“{organization.code}”已有书记（{self.secretaries[organization.pk]}），每个组织只能有一名书记"
            )
            self.errors.append(RowError(number, header, message))


def _secretaries(organization_ids: list[int]) -> dict[int, str]:
    secretaries: dict[int, str] = {}
    for chunk in _in_chunks(organization_ids):
        secretaries.update(
            Member.objects.filter(organization_id__in=chunk, leadership_position=SECRETARY).values_list(
                "organization_id", "name"
            )
        )
    return secretaries


def _write_members(
    rows: list[tuple[Any, ...]], *, parser: _MemberParser, source: dict[str, Any], actor: Actor | None
) -> list[int]:
    resolved = parser.resolved
    ids = _insert_members(resolved)
    by_organization: dict[int, list[int]] = {}
    for member_id, row in zip(ids, resolved, strict=True):
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
    raw: Any,
    index: dict[str, str],
    labels: Sequence[str],
    key: str,
    row_errors: list[tuple[str, str]],
    *,
    required: bool,
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
        if isinstance(validator, MinValueValidator):
            minimum = int(validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            maximum = int(validator.limit_value)
    return minimum, maximum


def _insert_members(rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert member rows (values in ``MEMBER_FIELDS`` order); return their ids in the same order.

    Through ``xingji.common.bulk.insert_rows``: on PostgreSQL the ids drawn
    from the sequence first and the rows sent with ``COPY``, several times
    faster than INSERT; batched INSERTs elsewhere.
    """
    return insert_rows(Member, MEMBER_FIELDS, rows)


# --- templates ---------------------------------------------------------------------------------------


def organization_import_template(*, organizations: QuerySet[Organization] | None = None) -> bytes:
    """The .xlsx template for ``import_organizations``: the header row, and a 说明 sheet with an example.

    The example's parent is the first organization of ``organizations`` (the
    downloading user's tree, ``visible_organizations``) that may have
    children, and its code a new code under the parent's: a row the user can
    fill in from what is real. Without a tree, a made-up example.
    """
    return _template(ORGANIZATIONS_SHEET, ORGANIZATION_COLUMNS, "党组织导入模板", _organization_example(organizations))


def member_import_template(*, organizations: QuerySet[Organization] | None = None) -> bytes:
    """The .xlsx template for ``import_members``: the header row, and a 说明 sheet with an example.

    The example's organization is the first branch of ``organizations`` (the downloading user's tree).
    """
    examples = example_organizations(organizations, branch=True)
    if not examples:
        return _template(MEMBERS_SHEET, MEMBER_COLUMNS, "党员导入模板")
    example = {"organization": examples[0].code, "organization_name": examples[0].name}
    return _template(MEMBERS_SHEET, MEMBER_COLUMNS, "党员导入模板", example)


def _organization_example(organizations: QuerySet[Organization] | None) -> dict[str, Any]:
    parents = example_organizations(organizations, branch=False)
    if not parents:
        return {}
    parent = parents[0]
    taken = set(Organization.objects.filter(code__startswith=f"{parent.code}-").values_list("code", flat=True))
    code = next(code for number in range(1, 1000) if (code := f"{parent.code}-{number:02d}") not in taken)
    return {"code": code, "name": f"{parent.name}第一党支部", "parent": parent.code}


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


def _template(
    sheet_title: str, columns: Sequence[Column], title: str, examples: Mapping[str, Any] | None = None
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = first_sheet(workbook, sheet_title)
    # Only the header: an example row here would be imported as real data by an office that fills
    # the rows below it (its codes are the user's own); the example is on the 说明 sheet.
    sheet.append([column.header for column in columns])
    example = {column.key: column.example for column in columns} | dict(examples or {})
    style_header_row(sheet, columns)
    finish_sheet(sheet)
    for position, column in enumerate(columns, start=1):
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
    help_sheet.append(
        [f"第一行为表头，请勿修改；从第二行起每行一条，填写在“{sheet_title}”表中。各列的填法见下表“示例”列。"]
    )
    shown_example = "｜".join(_shown(example[column.key]) for column in columns)
    help_sheet.append([f"示例：{shown_example}"])
    help_sheet.append(
        ["导入时先检查全部行：有任何错误则一条也不导入，并列出每个错误的行号、列名和原因；全部正确才一次性导入。"]
    )
    help_sheet.append(
        [
            "也可另存为 .xls、.ods 或 CSV（UTF-8 或 GBK 编码）导入；列的顺序不限，可另加“序号”“备注”列（导入时忽略）。"
            "党组织可填组织编号，也可填党组织全称（全称与其他组织重名时须填编号）。"
        ]
    )
    help_sheet.append([])
    help_sheet.append(["列名", "是否必填", "可填写的值", "说明", "示例"])
    header_row = help_sheet.max_row
    for cell in help_sheet[header_row]:
        cell.font = Font(bold=True)
    for column in columns:
        value = example[column.key]
        help_sheet.append(
            [
                column.header,
                "必填" if column.required else "选填",
                "、".join(column.allowed) or "—",
                column.help or "—",
                value.isoformat() if isinstance(value, date) else value,
            ]
        )
    for letter, width in zip("ABCDE", (16, 10, 36, 60, 24), strict=True):
        help_sheet.column_dimensions[letter].width = width
    for row in help_sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    return saved_bytes(workbook)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def import_error_report(result: ImportResult) -> bytes:
    """The errors of a failed import as an .xlsx (行号, 列, 原因), to download and fix the file by."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误报告")
    write_table(
        sheet,
        ["行号", "列", "原因"],
        (
            [error.row if error.row is not None else "（整个文件）", error.column or "—", error.message]
            for error in result.errors
        ),
    )
    return saved_bytes(workbook)
