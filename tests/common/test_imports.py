"""The all-or-nothing runner: every row's errors, nothing written on an error, a failed write rolled back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from xingji.common.imports import Importer, header_index
from xingji.common.tabular import RowError, TableErrors
from xingji.orgs.models import Organization, OrganizationType

pytestmark = pytest.mark.django_db


def parse(number: int, values: Mapping[str, Any], headers: Mapping[str, str], errors: list[RowError]):
    row_errors = [RowError(number, headers[key], "必填，不能为空") for key in ("code", "name") if not values[key]]
    errors.extend(row_errors)
    return None if row_errors else (values["code"].strip(), values["name"].strip())


IMPORTER = Importer(
    index=header_index({"code": ["组织编号", "code"], "name": ["组织名称"]}),
    required=["code", "name"],
    parse_row=parse,
    row_key=lambda row: row[0],
    headers={"code": "组织编号", "name": "组织名称"},
)


def create(rows: list[tuple[str, str]]) -> int:
    for code, name in rows:
        Organization.objects.add_root(
            instance=Organization(code=code, name=name, org_type=OrganizationType.PARTY_COMMITTEE, category="机关")
        )
    return len(rows)


def csv(*lines: str) -> bytes:
    return "\r\n".join(lines).encode("utf-8-sig")


def test_it_writes_every_row_of_a_good_file():
    created = IMPORTER.run(csv("组织编号,组织名称", "A,甲", "B,乙"), "x.csv", create)

    assert created == 2
    assert sorted(Organization.objects.values_list("code", flat=True)) == ["A", "B"]


def test_it_collects_every_rows_errors_and_writes_nothing():
    content = csv("组织编号,组织名称", "A,甲", ",无编号", "B,", "A,再甲")

    with pytest.raises(TableErrors) as caught:
        IMPORTER.run(content, "x.csv", create)

    assert caught.value.errors == [
        RowError(3, "组织编号", "必填，不能为空"),
        RowError(4, "组织名称", "必填，不能为空"),
        RowError(5, "", "与第2行重复"),
    ]
    assert not Organization.objects.exists()


def test_it_refuses_a_header_with_unknown_repeated_or_missing_columns():
    with pytest.raises(TableErrors) as caught:
        IMPORTER.run(csv("组织编号,code,年龄", "A,A,3"), "x.csv", create)

    assert caught.value.errors == [
        RowError(1, "年龄", "无法识别的列"),
        RowError(1, "code", "列重复"),
        RowError(1, "组织名称", "缺少必填列"),
    ]
    assert not Organization.objects.exists()


def test_a_failure_while_writing_rolls_every_row_back():
    def create_then_fail(rows: list[tuple[str, str]]) -> int:
        create(rows)
        raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError):
        IMPORTER.run(csv("组织编号,组织名称", "A,甲", "B,乙"), "x.csv", create_then_fail)

    assert not Organization.objects.exists()


def test_an_empty_file_is_refused():
    with pytest.raises(TableErrors) as caught:
        IMPORTER.run(csv("", " , "), "x.csv", create)

    assert caught.value.errors == [RowError(None, "", "文件是空的")]
