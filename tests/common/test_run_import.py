"""``run_import``: the import pages' one path from upload to result or row errors."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from xingji.common.tabular import RowError, TableErrors
from xingji.common.views import run_import


def test_a_file_over_the_limit_is_refused_unread():
    upload = SimpleUploadedFile("名单.xlsx", b"x" * 2048)
    calls = []
    with override_settings(XINGJI_ATTACHMENT_MAX_BYTES=1024):
        result, errors = run_import(upload, lambda content, filename: calls.append(filename))
    assert result is None
    assert [error.reason for error in errors] == ["文件不能超过 1.0 KB"]
    assert calls == []


def test_the_importer_gets_the_content_and_the_name_and_its_result_comes_back():
    upload = SimpleUploadedFile("会议.csv", "日期,主题\n".encode())
    result, errors = run_import(upload, lambda content, filename: (content.decode(), filename))
    assert result == ("日期,主题\n", "会议.csv")
    assert errors == []


def test_row_errors_come_back_in_the_importers_order():
    found = [RowError(3, "日期", "日期格式不正确"), RowError(2, "党员", "找不到该党员")]

    def refuse(content, filename):
        raise TableErrors(found)

    result, errors = run_import(SimpleUploadedFile("党费.xlsx", b"PK"), refuse)
    assert result is None
    assert errors == found
