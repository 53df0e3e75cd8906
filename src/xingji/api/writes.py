"""Writes through the domain's services, with idempotency keys.

A POST may carry ``Idempotency-Key``: the first request with a key is
carried out and its answer kept; a retry with the same key and the same body
gets the kept answer (nothing written again); the same key with another body
is refused (409). The key's row is written in the transaction of the change,
so two concurrent requests with one key write once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from xingji.accounts.access import access_member, access_organization
from xingji.api.errors import ApiError, refusal_details
from xingji.api.models import ApiClient, IdempotencyKey
from xingji.api.schemas import DuesPaymentsIn, RecordIn
from xingji.common.errors import TransitionRefused
from xingji.dues.models import DuesPayment, month_start
from xingji.dues.services import PaymentRow, dues_payments_import
from xingji.records.kinds import RecordKind
from xingji.records.models import EvidenceRecord
from xingji.records.services import record_create

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
ROW_MESSAGE = re.compile(r"^第(\d+)行：(.*)$")


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def idempotent(
    *, client: ApiClient, key: str | None, method: str, path: str, body: Any, write: Callable[[], tuple[int, Any]]
) -> tuple[int, Any]:
    """Run ``write`` once per key; the kept ``(status, body)`` for a retry."""
    if key is None:
        with transaction.atomic():
            return write()
    if not KEY_PATTERN.match(key):
        raise ApiError(
            422,
            "invalid_idempotency_key",
            "Idempotency-Key 应为1到100个字母、数字或 _.:- 字符",
            [{"location": ["header", "Idempotency-Key"], "message": "格式不正确", "code": "invalid"}],
        )
    digest = request_hash(body)
    kept = IdempotencyKey.objects.filter(client=client, key=key).first()
    if kept is None:
        try:
            with transaction.atomic():
                status, answer = write()
                IdempotencyKey.objects.create(
                    client=client,
                    key=key,
                    method=method,
                    path=path[:300],
                    request_hash=digest,
                    status=status,
                    body=answer,
                )
                return status, answer
        except IntegrityError:
            kept = IdempotencyKey.objects.filter(client=client, key=key).first()
            if kept is None:  # pragma: no cover (the conflict was not the key's)
                raise
    if kept.request_hash != digest or kept.path != path[:300] or kept.method != method:
        raise ApiError(409, "idempotency_conflict", "该 Idempotency-Key 已用于另一个请求，请换一个键")
    return kept.status, kept.body


def dues_payments_push(*, client: ApiClient, data: DuesPaymentsIn) -> list[DuesPayment]:
    """Write a batch of payments, all or none, through ``dues_payments_import`` (its checks, its audit entries).

    Each refused item is named in the error's details by its index in ``items``.
    """
    actor = client.user
    details: list[dict[str, Any]] = []
    rows: list[PaymentRow] = []
    seen: dict[tuple[int, Any], int] = {}
    for index, item in enumerate(data.items):
        where: list[str | int] = ["body", "items", index]
        try:
            member = access_member(actor, item.member_id, write=True)
        except Http404:
            details.append(
                {
                    "location": [*where, "member_id"],
                    "message": "没有找到该党员，或不在令牌的组织范围内",
                    "code": "not_found",
                }
            )
            continue
        month = month_start(item.month)
        if (member.pk, month) in seen:
            details.append(
                {
                    "location": [*where, "month"],
                    "message": f"与第{seen[(member.pk, month)] + 1}条重复：同一党员同一月份",
                    "code": "duplicate",
                }
            )
            continue
        seen[(member.pk, month)] = index
        rows.append(
            PaymentRow(number=index + 1, member=member, month=month, amount=Decimal(item.amount), paid_on=item.paid_on)
        )
    paid = set(
        DuesPayment.objects.filter(
            member_id__in={row.member.pk for row in rows}, month__in={row.month for row in rows}
        ).values_list("member_id", "month")
    )
    for row in rows:
        if (row.member.pk, row.month) in paid:
            details.append(
                {
                    "location": ["body", "items", row.number - 1, "month"],
                    "message": f"{row.member.name}{row.month:%Y年%m月}的党费已缴纳",
                    "code": "already_paid",
                }
            )
    if details:
        raise ApiError(
            422, "refused", "有条目未通过校验，未写入任何内容", sorted(details, key=lambda d: d["location"][2])
        )
    try:
        created = dues_payments_import(rows=rows, actor=actor)
    except TransitionRefused as refusal:
        raise ApiError(422, "refused", "有条目未通过校验，未写入任何内容", _row_details(refusal)) from None
    for payment, row in zip(created, rows, strict=True):
        payment.member = row.member
    return created


def _row_details(refusal: TransitionRefused) -> list[dict[str, Any]]:
    details = []
    for message in refusal.messages:
        found = ROW_MESSAGE.match(message)
        if found:
            details.append(
                {"location": ["body", "items", int(found.group(1)) - 1], "message": found.group(2), "code": "invalid"}
            )
        else:
            details += refusal_details([message], prefix=["body"])
    return details


def _no_nul(value: object, where: list[str | int]) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise ApiError(
            422,
            "invalid_input",
            "文字中不能含有空字符",
            [{"location": where, "message": "含有空字符", "code": "null_character"}],
        )


def record_push(*, client: ApiClient, kind: RecordKind, data: RecordIn) -> EvidenceRecord:
    """Create one evidence record through ``records.services.record_create`` (its checks, its audit entry).

    A field the kind does not have is refused by name; values are read as the model's fields read them.
    """
    actor = client.user
    model = kind.model
    allowed = {kind.field(name).attname: name for name in kind.fields if name not in {"organization", "date"}}
    unknown = sorted(set(data.fields) - set(allowed))
    if unknown:
        raise ApiError(
            422,
            "invalid_input",
            "有该类记录没有的字段",
            [
                {"location": ["body", "fields", name], "message": "不允许的字段", "code": "extra_forbidden"}
                for name in unknown
            ],
        )
    organization = access_organization(actor, data.organization_id, write=True)
    values: dict[str, Any] = {"organization": organization, "date": data.date}
    details = []
    for attname, raw in data.fields.items():
        name = allowed[attname]
        where: list[str | int] = ["body", "fields", attname]
        _no_nul(raw, where)
        field = kind.field(name)
        if name == "member":
            if raw is None:
                values[name] = None
                continue
            try:
                values[name] = access_member(actor, raw, write=True)
            except Http404:
                details.append(
                    {"location": where, "message": "没有找到该党员，或不在令牌的组织范围内", "code": "not_found"}
                )
            continue
        try:
            values[name] = field.to_python(raw)
        except DjangoValidationError as error:
            details.append({"location": where, "message": "；".join(error.messages), "code": "invalid"})
    if details:
        raise ApiError(422, "refused", "记录未通过校验，未写入任何内容", details)
    try:
        return record_create(model=model, data=values, actor=actor)
    except DjangoValidationError as error:
        messages: Any = error.message_dict if hasattr(error, "error_dict") else error.messages
        raise ApiError(
            422, "refused", "记录未通过校验，未写入任何内容", refusal_details(messages, prefix=["body", "fields"])
        ) from None
