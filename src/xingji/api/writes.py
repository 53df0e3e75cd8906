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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from xingji.accounts.access import access_member, access_organization
from xingji.accounts.models import User
from xingji.api import scopes
from xingji.api.errors import ApiError, refusal_details
from xingji.api.models import ApiClient, IdempotencyKey
from xingji.api.schemas import DuesPaymentsIn, MeetingIn, MembersUpdateIn, MemberUpdateIn, RecordIn
from xingji.branchwork.access import A_BRANCH, NOT_A_BRANCH, is_convener
from xingji.branchwork.models import CONVENED_KINDS, Meeting
from xingji.branchwork.services import AttendanceEntry, MeetingFacts, meeting_record
from xingji.common.errors import TransitionRefused
from xingji.dues.models import DuesPayment, month_start
from xingji.dues.services import PaymentRow, dues_payments_import
from xingji.orgs.models import Member
from xingji.orgs.services import member_update
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


def meeting_push(*, client: ApiClient, data: MeetingIn) -> Meeting:
    """Record one meeting through ``branchwork.services.meeting_record`` (its checks, its audit entry).

    A member outside the token's subtree is refused like a missing one, by its index in ``attendance``, before
    the service sees it (the service's own message would name a member the token may not read).
    """
    actor = client.user
    organization = access_organization(actor, data.organization_id, write=True)
    details: list[dict[str, Any]] = []
    # A kind the organization does not hold (a branch's meeting at a superior, a convened one at a branch) is a
    # refusal of the data, named at the organization, not of the token (the service's 403).
    if (data.kind in CONVENED_KINDS) != is_convener(organization):
        message = A_BRANCH if data.kind in CONVENED_KINDS else NOT_A_BRANCH
        details.append({"location": ["body", "organization_id"], "message": message, "code": "kind_mismatch"})
    for index, entry in enumerate(data.attendance):
        _no_nul(entry.reason, ["body", "attendance", index, "reason"])
        try:
            access_member(actor, entry.member_id, write=True)
        except Http404:
            details.append(
                {
                    "location": ["body", "attendance", index, "member_id"],
                    "message": "没有找到该党员，或不在令牌的组织范围内",
                    "code": "not_found",
                }
            )
    for name in ("place", "host", "topic", "minutes"):
        _no_nul(getattr(data, name), ["body", name])
    if details:
        raise ApiError(422, "refused", "会议未通过校验，未写入任何内容", details)
    facts = MeetingFacts(
        kind=data.kind, held_on=data.held_on, place=data.place, host=data.host, topic=data.topic, minutes=data.minutes
    )
    entries = [
        AttendanceEntry(member_id=entry.member_id, status=entry.status, reason=entry.reason)
        for entry in data.attendance
    ]
    try:
        return meeting_record(organization=organization, facts=facts, attendance=entries, actor=actor)
    except DjangoValidationError as error:
        messages: Any = error.message_dict if hasattr(error, "error_dict") else error.messages
        raise ApiError(
            422, "refused", "会议未通过校验，未写入任何内容", refusal_details(messages, prefix=["body"])
        ) from None


@dataclass(frozen=True)
class MemberUpdated:
    member: Member
    #: The API's names of the fields that changed (none when the item repeated what was there).
    changed: list[str]


#: The name ``orgs.services.member_update`` takes for each field of ``MemberUpdateIn`` that is not its own.
MEMBER_FIELD_NAMES = {"organization_id": "organization"}
NOT_FOUND_MEMBER = "没有找到该党员，或不在令牌的组织范围内"


def _api_location(detail: dict[str, Any]) -> dict[str, Any]:
    """A service refusal's detail located by the API's field names (``organization`` is ``organization_id``)."""
    api_names = {service: api for api, service in MEMBER_FIELD_NAMES.items()}
    location = [api_names.get(part, part) if isinstance(part, str) else part for part in detail["location"]]
    return {**detail, "location": location}


def _check_phone_scope(client: ApiClient, data: MembersUpdateIn) -> None:
    """Refuse a changed phone without the ``personal`` scope: the token could overwrite a number it may not read."""
    if client.has_scope(scopes.PERSONAL):
        return
    phones = [index for index, item in enumerate(data.items) if "phone" in item.model_fields_set]
    if phones:
        raise ApiError(
            403,
            "scope_missing",
            f"修改联系电话需要“{scopes.label(scopes.PERSONAL)}”权限",
            [
                {"location": ["body", "items", index, "phone"], "message": scopes.PERSONAL, "code": "scope_missing"}
                for index in phones
            ],
        )


@dataclass(frozen=True)
class _MemberChange:
    index: int
    member: Member
    #: ``member_update``'s data: the service's field names, the new organization as an instance.
    values: dict[str, Any]
    #: The fields the item gave, by the API's names (the model's attribute names).
    given: list[str]


def _member_change(
    actor: User, index: int, item: MemberUpdateIn, seen: dict[int, int]
) -> _MemberChange | list[dict[str, Any]]:
    """The item as the service's data, or its details: what the service must not see, or may not be told."""
    where: list[str | int] = ["body", "items", index]
    given = item.given()
    refused = [
        {"location": [*where, name], "message": "含有空字符", "code": "null_character"}
        for name, value in given.items()
        if isinstance(value, str) and "\x00" in value
    ]
    if refused:
        return refused
    try:
        member = access_member(actor, item.member_id, write=True)
    except Http404:
        return [{"location": [*where, "member_id"], "message": NOT_FOUND_MEMBER, "code": "not_found"}]
    if member.pk in seen:
        return [
            {
                "location": [*where, "member_id"],
                "message": f"与第{seen[member.pk] + 1}条重复：同一党员",
                "code": "duplicate",
            }
        ]
    seen[member.pk] = index
    values = {MEMBER_FIELD_NAMES.get(name, name): value for name, value in given.items()}
    if "organization_id" in given:
        try:
            values["organization"] = access_organization(actor, given["organization_id"], write=True)
        except Http404:
            return [
                {
                    "location": [*where, "organization_id"],
                    "message": "没有找到该组织，或不在令牌的组织范围内",
                    "code": "not_found",
                }
            ]
    return _MemberChange(index=index, member=member, values=values, given=list(given))


def members_update_push(*, client: ApiClient, data: MembersUpdateIn) -> list[MemberUpdated]:
    """Change a batch of members, all or none, in order, each through ``orgs.services.member_update``.

    The service's checks and audit entry are those of the web's edit form. A member or a new organization
    outside the token's subtree is refused like a missing one, by the item's index in ``items``.
    """
    _check_phone_scope(client, data)
    actor = client.user
    details: list[dict[str, Any]] = []
    changes: list[_MemberChange] = []
    seen: dict[int, int] = {}
    for index, item in enumerate(data.items):
        found = _member_change(actor, index, item, seen)
        if isinstance(found, _MemberChange):
            changes.append(found)
        else:
            details += found
    if details:
        raise ApiError(422, "refused", "有条目未通过校验，未写入任何内容", details)
    updated: list[MemberUpdated] = []
    with transaction.atomic():
        for change in changes:
            try:
                saved = member_update(member=change.member, data=change.values, actor=actor)
            except DjangoValidationError as error:
                # Each service call is its own savepoint: the later items are still checked, so that one answer
                # names every refused item; the refusal below rolls back the items that passed.
                messages: Any = error.message_dict if hasattr(error, "error_dict") else error.messages
                where: list[str | int] = ["body", "items", change.index]
                details += [_api_location(detail) for detail in refusal_details(messages, prefix=where)]
                continue
            changed = [name for name in change.given if getattr(saved, name) != getattr(change.member, name)]
            updated.append(MemberUpdated(member=saved, changed=changed))
        if details:
            raise ApiError(422, "refused", "有条目未通过校验，未写入任何内容", details)
    return updated
