"""Attachments: only PDF, JPG, PNG, DOCX and XLSX, by extension and content, at most 10 MB (configurable)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from tests.records.conftest import DOCX, JPEG, PDF, PNG, XLSX, office_file, stored_files
from tests.records.factories import CommendationFactory
from xingji.audit.models import AuditEntry
from xingji.common.files import DEFAULT_MAX_BYTES
from xingji.records.models import Attachment
from xingji.records.services import attachment_add


def add(record, content: bytes, name: str, actor, size: int | None = None):
    return attachment_add(
        record=record, upload=io.BytesIO(content), name=name, size=len(content) if size is None else size, actor=actor
    )


def assert_nothing_written(root) -> None:
    assert Attachment.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    assert stored_files(root) == []


@pytest.mark.parametrize(
    ("name", "content", "file_type"),
    [
        ("决定.pdf", PDF, "pdf"),
        ("照片.JPG", JPEG, "jpg"),
        ("照片.jpeg", JPEG, "jpg"),
        ("截图.png", PNG, "png"),
        ("报告.docx", DOCX, "docx"),
        ("名单.xlsx", XLSX, "xlsx"),
    ],
)
def test_it_accepts_the_allowed_types(tree, reviewer, name, content, file_type):
    record = CommendationFactory(organization=tree.finance_1)

    attachment = add(record, content, name, reviewer)

    assert (attachment.original_name, attachment.file_type, attachment.size) == (name, file_type, len(content))
    assert attachment.file.name.endswith(f".{file_type}")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("脚本.exe", b"MZ\x90\x00", "只能上传 PDF、JPG、PNG、DOCX、XLSX 文件"),
        ("页面.html", b"<html>", "只能上传 PDF、JPG、PNG、DOCX、XLSX 文件"),
        ("无扩展名", PDF, "只能上传 PDF、JPG、PNG、DOCX、XLSX 文件"),
        ("伪装.pdf", b"<html><script>alert(1)</script>", "文件内容与扩展名不符，不是有效的 PDF 文件"),
        ("伪装.png", JPEG, "文件内容与扩展名不符，不是有效的 PNG 文件"),
        ("伪装.docx", XLSX, "文件内容与扩展名不符，不是有效的 DOCX 文件"),
        ("伪装.xlsx", office_file("other.txt"), "文件内容与扩展名不符，不是有效的 XLSX 文件"),
        ("破损.docx", b"PK\x03\x04 not really a zip", "文件内容与扩展名不符，不是有效的 DOCX 文件"),
        ("空.pdf", b"", "附件是空文件"),
    ],
)
def test_it_refuses_a_file_of_the_wrong_type_and_stores_nothing(
    tree, reviewer, attachments_root, name, content, message
):
    record = CommendationFactory(organization=tree.finance_1)

    with pytest.raises(ValidationError) as refused:
        add(record, content, name, reviewer)

    assert refused.value.messages == [message]
    assert_nothing_written(attachments_root)


def test_it_refuses_a_file_over_ten_megabytes_and_stores_nothing(tree, reviewer, attachments_root):
    record = CommendationFactory(organization=tree.finance_1)
    content = PDF + b"0" * (DEFAULT_MAX_BYTES + 1 - len(PDF))

    with pytest.raises(ValidationError) as refused:
        add(record, content, "大文件.pdf", reviewer)

    assert refused.value.messages == ["附件不能超过 10.0 MB（该文件 10.0 MB）"]
    assert_nothing_written(attachments_root)


def test_it_accepts_exactly_ten_megabytes(tree, reviewer):
    record = CommendationFactory(organization=tree.finance_1)
    content = PDF + b"0" * (DEFAULT_MAX_BYTES - len(PDF))

    attachment = add(record, content, "刚好.pdf", reviewer)

    assert attachment.size == DEFAULT_MAX_BYTES


def test_it_reads_the_limit_from_the_settings(tree, reviewer, settings, attachments_root):
    settings.XINGJI_ATTACHMENT_MAX_BYTES = 1024
    record = CommendationFactory(organization=tree.finance_1)

    with pytest.raises(ValidationError) as refused:
        add(record, PDF + b"0" * 1024, "证明.pdf", reviewer)

    assert refused.value.messages == [f"附件不能超过 1.0 KB（该文件 {(len(PDF) + 1024) / 1024:.1f} KB）"]
    assert_nothing_written(attachments_root)


def test_it_keeps_only_the_base_name_of_the_upload(tree, reviewer):
    record = CommendationFactory(organization=tree.finance_1)

    attachment = add(record, PDF, "..\\..\\etc/决定.pdf", reviewer)

    assert attachment.original_name == "决定.pdf"
    assert ".." not in attachment.file.name
