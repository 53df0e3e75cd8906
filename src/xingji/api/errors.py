"""The one error shape of the API, and the translation of every refusal into it.

Every 4xx answer is ``{"error": {"code": "...", "message": "中文", "details": [...]}}``:
``code`` is for programs (stable, English), ``message`` for people, and
``details`` names each offending field by its ``location`` (``["body", "items",
3, "amount"]``: the fourth item of a batch) with a message of its own.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorDetail(Schema):
    location: list[str | int] = []
    message: str
    code: str = ""


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorOut(Schema):
    """Every refusal: 400, 401, 403, 404, 409, 422, 429."""

    error: ErrorBody


class ApiError(Exception):
    """A refusal answered in the error shape."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


#: Chinese for pydantic's error types (by their start), for a detail's message.
TYPE_MESSAGES = (
    ("missing", "缺少必填字段"),
    ("extra_forbidden", "不允许的字段"),
    ("json_invalid", "JSON 格式不正确"),
    ("json_type", "JSON 格式不正确"),
    ("model_type", "应为 JSON 对象"),
    ("model_attributes_type", "应为 JSON 对象"),
    ("dict_type", "应为 JSON 对象"),
    ("list_type", "应为数组"),
    ("too_short", "条目太少"),
    ("too_long", "条目或文字太长"),
    ("int", "应为整数"),
    ("decimal", "应为数字（最多两位小数）"),
    ("float", "应为数字"),
    ("date", "应为日期（YYYY-MM-DD）"),
    ("datetime", "应为时间（ISO 8601）"),
    ("string", "应为文字"),
    ("bool", "应为 true 或 false"),
    ("greater_than", "取值太小"),
    ("less_than", "取值太大"),
    ("literal_error", "取值不在允许的范围内"),
    ("enum", "取值不在允许的范围内"),
    ("uuid", "应为 UUID"),
)


def type_message(error_type: str) -> str:
    for start, message in TYPE_MESSAGES:
        if error_type.startswith(start):
            return message
    return "取值不正确"


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = []
    for error in errors:
        location = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        # Ninja names the body by the operation's parameter (``["body", "payload", "items", 0]``): the client
        # knows no such name.
        if location[:2] == ["body", "payload"]:
            location = ["body", *location[2:]]
        error_type = str(error.get("type", ""))
        details.append({"location": location, "message": type_message(error_type), "code": error_type})
    return details


def refusal_details(messages: Any, *, prefix: list[str | int]) -> list[dict[str, Any]]:
    """A domain ``ValidationError``'s messages as details: by field when it has them, else at ``prefix``."""
    if isinstance(messages, dict):
        return [
            {"location": [*prefix, field] if field != "__all__" else prefix, "message": str(text), "code": "invalid"}
            for field, texts in messages.items()
            for text in texts
        ]
    return [{"location": prefix, "message": str(text), "code": "invalid"} for text in messages]
