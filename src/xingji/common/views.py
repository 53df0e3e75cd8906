"""View helpers every app's views share: a service's refusal as a message, a check as an offer, a one-step action,
an uploaded table imported all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest

from xingji.common.imports import check_import_size
from xingji.common.tabular import RowError, TableErrors

Imported = TypeVar("Imported")


def messages_of(error: ValidationError) -> str:
    """A service's refusal as one line: its messages joined."""
    return "；".join(error.messages)


def refused(request: HttpRequest, error: ValidationError) -> None:
    """Show a service's refusal as an error message on the next page."""
    messages.error(request, messages_of(error))


def passes(check: Callable[[Any], Any], subject: Any) -> bool:
    """Whether a service's check (``*_check``, which refuses with a ``ValidationError``) lets ``subject`` pass.

    A page offers a button only where the service behind it would accept the press.
    """
    try:
        check(subject)
    except ValidationError:
        return False
    return True


def attempt(request: HttpRequest, service: Callable[..., Any], *, success: str, **arguments: Any) -> bool:
    """Call a one-step service: a success message, or its refusal as an error message; whether it succeeded.

    The view redirects afterwards, either way, so that the message shows on the
    page the user came from and a reload does not post again.
    """
    try:
        service(**arguments)
    except ValidationError as error:
        refused(request, error)
        return False
    messages.success(request, success)
    return True


def run_import(upload: UploadedFile, run: Callable[[bytes, str], Imported]) -> tuple[Imported | None, list[RowError]]:
    """An import form's file, size-checked, then ``run(content, filename)``.

    Returns (what ``run`` returned, []) or (None, every error). ``run`` is an
    importer, all or nothing: its ``TableErrors`` means nothing was written, and
    the page shows the errors by row and column.
    """
    try:
        check_import_size(upload.size or 0)
        return run(upload.read(), upload.name or ""), []
    except TableErrors as refused:
        return None, refused.errors
