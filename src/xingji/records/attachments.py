"""Checking an uploaded attachment: its type by extension *and* content, and its size.

The extension alone is what the uploader chose; the first bytes (the "magic
number") say what the file is. Both must agree and be on the list, so that
neither a renamed executable nor an HTML page posing as a PDF is stored. A
DOCX or XLSX file is a ZIP archive whose members name the application; the
archive's directory is read, never extracted.

``XINGJI_ATTACHMENT_MAX_BYTES`` (default 10 MB) caps the size.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django import forms
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404

from xingji.common.files import format_size, max_bytes
from xingji.records.models import AttachmentType

EXTENSIONS = {
    ".pdf": AttachmentType.PDF,
    ".jpg": AttachmentType.JPEG,
    ".jpeg": AttachmentType.JPEG,
    ".png": AttachmentType.PNG,
    ".docx": AttachmentType.DOCX,
    ".xlsx": AttachmentType.XLSX,
}
CONTENT_TYPES = {
    AttachmentType.PDF: "application/pdf",
    AttachmentType.JPEG: "image/jpeg",
    AttachmentType.PNG: "image/png",
    AttachmentType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    AttachmentType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAGIC = {
    AttachmentType.PDF: b"%PDF-",
    AttachmentType.JPEG: b"\xff\xd8\xff",
    AttachmentType.PNG: b"\x89PNG\r\n\x1a\n",
    AttachmentType.DOCX: b"PK\x03\x04",
    AttachmentType.XLSX: b"PK\x03\x04",
}
#: The archive member that makes a ZIP file a Word document or an Excel workbook.
OFFICE_MEMBERS: dict[str, str] = {AttachmentType.DOCX: "word/document.xml", AttachmentType.XLSX: "xl/workbook.xml"}
ALLOWED_TEXT = "PDF、JPG、PNG、DOCX、XLSX"


def evidence_input(**attrs) -> forms.FileInput:
    """The file input of an evidence file: the picker offers only what ``check_upload`` takes."""
    return forms.FileInput(attrs={"accept": ",".join(EXTENSIONS), **attrs})


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, with what is recorded about it."""

    original_name: str
    file_type: str
    size: int
    sha256: str


def check_upload(upload: IO[bytes], *, name: str, size: int) -> CheckedFile:
    """Check the file's size, extension and content; raise ``ValidationError`` in Chinese if any is wrong.

    The file position is left at the start.
    """
    original_name = PurePath(name.replace("\\", "/")).name.strip()
    limit = max_bytes()
    if size > limit:
        raise ValidationError(
            f"附件不能超过 {format_size(limit)}（该文件 {format_size(size)}）", code="attachment_too_large"
        )
    if size == 0:
        raise ValidationError("附件是空文件", code="attachment_empty")
    file_type = EXTENSIONS.get(PurePath(original_name).suffix.lower())
    if file_type is None:
        raise ValidationError(f"只能上传 {ALLOWED_TEXT} 文件", code="attachment_type")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(MAGIC[file_type]) or not _office_member_present(upload, file_type):
        raise ValidationError(f"文件内容与扩展名不符，不是有效的 {file_type.upper()} 文件", code="attachment_content")
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(original_name=original_name[:255], file_type=file_type, size=size, sha256=digest.hexdigest())


def _office_member_present(upload: IO[bytes], file_type: str) -> bool:
    member = OFFICE_MEMBERS.get(file_type)
    if member is None:
        return True
    try:
        with zipfile.ZipFile(upload) as archive:
            return member in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)


def attachment_response(attachment) -> FileResponse:
    """The download of an attachment whose access the caller has checked; 404 when its file is gone."""
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        raise Http404("附件文件已不存在") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.display_name,
        content_type=CONTENT_TYPES.get(attachment.file_type, "application/octet-stream"),
    )
