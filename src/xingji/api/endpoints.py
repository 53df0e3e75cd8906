"""The operations of ``/api/v1/``: one function per endpoint, thin, over ``selectors`` and the domain services.

Every operation names its scope (``require_scope``), answers in the shapes of
``schemas`` and refuses in the one shape of ``errors``; the OpenAPI document
(3.1, ``/api/v1/openapi.json``) and the docs page (``/api/v1/docs``, vendored
Swagger UI) are generated from these declarations.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Header, NinjaAPI, Query, Status
from ninja import Path as PathParam
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger

from xingji.api import scopes, selectors
from xingji.api.auth import RateLimited, TokenAuth, require_scope
from xingji.api.errors import ApiError, ErrorOut, refusal_details, validation_details
from xingji.api.national import national_document, national_workbook
from xingji.api.paging import page
from xingji.api.schemas import (
    AppraisalOut,
    CampaignOut,
    DuesPaymentOut,
    DuesPaymentsIn,
    DuesPaymentsOut,
    ElectionOut,
    EvaluationOut,
    IsoDate,
    IsoDateTime,
    MeetingIn,
    MeetingOut,
    MemberOut,
    MembersUpdatedOut,
    MembersUpdateIn,
    NationalExportOut,
    OrganizationOut,
    Page,
    PublicationOut,
    RecordIn,
    RecordOut,
    StarLedgerOut,
    SurveyParticipationOut,
    decimal_text,
)
from xingji.api.writes import dues_payments_push, idempotent, meeting_push, members_update_push, record_push
from xingji.audit.chain import to_json_value
from xingji.campaigns.access import access_campaign
from xingji.orgs.models import mask_phone
from xingji.records.kinds import KINDS

DESCRIPTION = """
星级创建管理平台的数据接口，供省、市智慧党建系统和全国党员管理信息系统对接使用。

* **令牌**：由市直工委组织部或系统管理员在“数据接口”页面为一个党组织创建，只显示一次；
  请求时放在 `Authorization: Bearer <令牌>` 头中。令牌只能访问该组织及其下级组织。
* **分页**：列表按固定顺序返回 `items` 和 `next_cursor`；把 `next_cursor` 作为 `cursor` 参数取下一页，
  为空表示已取完。`limit` 每页条数。
* **增量同步**：有时间戳的列表支持 `updated_since`（ISO 8601 时间）。
* **缓存**：每个 GET 应答带 `ETag`；请求带 `If-None-Match` 且数据未变时返回 304。
* **错误**：一律为 `{"error": {"code": "...", "message": "中文说明", "details": [...]}}`；
  `details` 的 `location` 指出出错的字段（批量写入时含条目序号）。
* **频率限制**：每个令牌每分钟有限次数，超过返回 429 和 `Retry-After`。
"""

api = NinjaAPI(
    title="星级创建管理平台数据接口",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenAuth(),
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

# --- errors: one shape for every refusal -------------------------------------------------


def _error(request: HttpRequest, error: ApiError) -> HttpResponse:
    response = api.create_response(request, error.body(), status=error.status)
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="xingji"'
    return response


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return _error(request, error)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return _error(request, ApiError(401, "token_invalid", "令牌无效：请在 Authorization 头中以 Bearer 方式提供令牌"))


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
    details = validation_details(list(error.errors))
    malformed = any(detail["code"].startswith("json_invalid") for detail in details)
    if malformed:
        return _error(request, ApiError(400, "malformed_json", "请求体不是有效的 JSON", details))
    return _error(request, ApiError(422, "invalid_input", "请求参数或数据有误", details))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return _error(request, ApiError(404, "not_found", "没有找到该对象，或不在令牌的组织范围内"))


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return _error(request, ApiError(403, "forbidden", str(error) or "没有权限"))


@api.exception_handler(DjangoValidationError)
def on_refused(request: HttpRequest, error: DjangoValidationError) -> HttpResponse:
    messages: Any = error.message_dict if hasattr(error, "error_dict") else error.messages
    return _error(
        request, ApiError(422, "refused", "数据未通过校验，未写入任何内容", refusal_details(messages, prefix=["body"]))
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if error.status_code == 400:
        return _error(request, ApiError(400, "malformed_json", "请求体不是有效的 JSON"))
    return _error(request, ApiError(error.status_code, "http_error", str(error)))


#: What every read answers besides its 200.
READ_ERRORS: dict[int, Any] = {
    304: None,
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


def reads(schema: Any) -> dict[int, Any]:
    return {200: schema, **READ_ERRORS}


MAX_ID = 2**63 - 1


def _limit(limit: int | None) -> int:
    return limit or min(settings.XINGJI_API_PAGE_SIZE, settings.XINGJI_API_MAX_PAGE_SIZE)


ObjectId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="对象的 id")]
UNDER = Query(None, ge=1, le=MAX_ID, description="只列出该组织（编号 id）及其下级组织的数据")
CURSOR = Query(None, max_length=200, description="上一页返回的 next_cursor")
LIMIT = Query(
    None,
    ge=1,
    le=settings.XINGJI_API_MAX_PAGE_SIZE,
    description=f"每页条数（默认 {settings.XINGJI_API_PAGE_SIZE}，最多 {settings.XINGJI_API_MAX_PAGE_SIZE}）",
)
DATE_FROM = Query(None, description="起始日期（含）")
DATE_TO = Query(None, description="截止日期（含）")
UPDATED_SINCE = Query(None, description="只列出此时间（含）之后新增或修改的数据，ISO 8601")
YEAR = Query(None, ge=2000, le=2100, description="年度")


def _page(queryset: Any, cursor: str | None, limit: int | None, **options: Any) -> tuple[list[Any], str | None]:
    return page(queryset, cursor=cursor, limit=_limit(limit), **options)


def _path_key(value: str) -> str:
    if not value or not value.isalnum() or not value.isascii() or len(value) > 255:
        raise ValueError(value)
    return value


# --- organizations -------------------------------------------------------------------------


def organization_out(organization: Any, parents: dict[str, int]) -> dict[str, Any]:
    step = len(organization.path) // organization.depth
    return {
        "id": organization.pk,
        "code": organization.code,
        "name": organization.name,
        "org_type": organization.org_type,
        "org_type_label": organization.get_org_type_display(),
        "category": organization.category,
        "parent_id": parents.get(organization.path[:-step]) if organization.depth > 1 else None,
        "depth": organization.depth,
        "founded": organization.founded,
        "is_active": organization.is_active,
    }


@api.get(
    "/organizations",
    response=reads(Page[OrganizationOut]),
    tags=["组织"],
    summary="组织树",
    description="令牌范围内的党组织，按树的先序排列（上级在前）；`under` 取一个子树。权限：读取组织树。",
)
def list_organizations(
    request: HttpRequest, under: int | None = UNDER, cursor: str | None = CURSOR, limit: int | None = LIMIT
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("orgs"))
    items, next_cursor = _page(
        selectors.organizations(client.user, under), cursor, limit, key="path", convert=_path_key
    )
    parents = selectors.parent_ids(items)
    return {"items": [organization_out(item, parents) for item in items], "next_cursor": next_cursor}


@api.get(
    "/organizations/{organization_id}",
    response=reads(OrganizationOut),
    tags=["组织"],
    summary="一个党组织",
)
def get_organization(request: HttpRequest, organization_id: ObjectId) -> dict[str, Any]:
    client = require_scope(request, scopes.read("orgs"))
    items = list(selectors.organizations(client.user, organization_id).filter(pk=organization_id))
    return organization_out(items[0], selectors.parent_ids(items))


@api.get(
    "/elections",
    response=reads(Page[ElectionOut]),
    tags=["组织"],
    summary="换届情况",
    description="每个组织的本届任期与到期日、超期天数。权限：读取组织树。",
)
def list_elections(
    request: HttpRequest, under: int | None = UNDER, cursor: str | None = CURSOR, limit: int | None = LIMIT
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("orgs"))
    items, next_cursor = _page(selectors.elections(client.user, under), cursor, limit)
    today = timezone.localdate()
    return {
        "items": [
            {
                "id": item.pk,
                "organization_id": item.organization_id,
                "last_election": item.last_election,
                "term_years": item.term_years,
                "due_date": item.due_date,
                "overdue_days": item.overdue_days(today),
                "postponement_requested": item.postponement_requested,
                "postponement_approved": item.postponement_approved,
            }
            for item in items
        ],
        "next_cursor": next_cursor,
    }


# --- members --------------------------------------------------------------------------------


@api.get(
    "/members",
    response=reads(Page[MemberOut]),
    tags=["党员"],
    summary="党员",
    description="党员的最少必要信息；联系电话打码，令牌有“个人信息”权限时给出原号码。权限：读取党员。",
)
def list_members(
    request: HttpRequest, under: int | None = UNDER, cursor: str | None = CURSOR, limit: int | None = LIMIT
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("members"))
    personal = client.has_scope(scopes.PERSONAL)
    items, next_cursor = _page(selectors.members(client.user, under), cursor, limit)
    return {"items": [member_out(item, personal=personal) for item in items], "next_cursor": next_cursor}


def member_out(item: Any, *, personal: bool) -> dict[str, Any]:
    """A member as ``MemberOut``: the phone masked unless the token holds ``personal``."""
    return {
        "id": item.pk,
        "organization_id": item.organization_id,
        "name": item.name,
        "gender": item.gender,
        "birth_year": item.birth_year,
        "joined": item.joined,
        "status": item.status,
        "leadership_position": item.leadership_position,
        "phone": item.phone if personal else mask_phone(item.phone),
    }


# --- evidence records -------------------------------------------------------------------------

RECORD_KINDS = "、".join(f"`{slug}`（{kind.label}）" for slug, kind in KINDS.items())


@api.get(
    "/records/{kind}",
    response=reads(Page[RecordOut]),
    tags=["加减分依据"],
    summary="加减分依据",
    description=f"一类加减分依据记录。`kind`：{RECORD_KINDS}。权限：读取加减分依据。",
)
def list_records(
    request: HttpRequest,
    kind: str,
    under: int | None = UNDER,
    date_from: IsoDate | None = DATE_FROM,
    date_to: IsoDate | None = DATE_TO,
    updated_since: IsoDateTime | None = UPDATED_SINCE,
    cursor: str | None = CURSOR,
    limit: int | None = LIMIT,
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("records"))
    record_kind = KINDS.get(kind)
    if record_kind is None:
        raise ApiError(404, "not_found", f"没有这类记录：{kind[:50]}")
    queryset = selectors.records(
        client.user,
        record_kind.model,
        under=under,
        date_from=date_from,
        date_to=date_to,
        updated_since=updated_since,
    )
    items, next_cursor = _page(queryset, cursor, limit)
    return {"items": [record_out(kind, item) for item in items], "next_cursor": next_cursor}


def record_out(slug: str, item: Any) -> dict[str, Any]:
    record_kind = KINDS[slug]
    return {
        "id": item.pk,
        "kind": slug,
        "kind_label": record_kind.label,
        "organization_id": item.organization_id,
        "date": item.date,
        "status": item.status,
        "fields": {
            record_kind.field(name).attname: to_json_value(getattr(item, record_kind.field(name).attname))
            for name in record_kind.fields
            if name not in {"organization", "date"}
        },
        "updated_at": item.updated_at,
    }


# --- branch work ----------------------------------------------------------------------------------


@api.get(
    "/meetings",
    response=reads(Page[MeetingOut]),
    tags=["组织生活"],
    summary="组织生活会议",
    description="三会一课、主题党日、组织生活会等，含出席、请假、缺席人数。权限：读取组织生活。",
)
def list_meetings(
    request: HttpRequest,
    under: int | None = UNDER,
    date_from: IsoDate | None = DATE_FROM,
    date_to: IsoDate | None = DATE_TO,
    cursor: str | None = CURSOR,
    limit: int | None = LIMIT,
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("branchwork"))
    queryset = selectors.meetings(client.user, under=under, date_from=date_from, date_to=date_to)
    items, next_cursor = _page(queryset, cursor, limit)
    return {"items": [meeting_out(item) for item in items], "next_cursor": next_cursor}


def meeting_out(item: Any) -> dict[str, Any]:
    """A meeting of ``selectors.meetings`` (its attendance counted there) as ``MeetingOut``."""
    return {
        "id": item.pk,
        "organization_id": item.organization_id,
        "kind": item.kind,
        "kind_label": item.get_kind_display(),
        "held_on": item.held_on,
        "place": item.place,
        "host": item.host,
        "topic": item.topic,
        "created_at": item.created_at,
        "present": item.present_count,
        "leave": item.leave_count,
        "absent": item.absent_count,
    }


@api.get(
    "/appraisals",
    response=reads(Page[AppraisalOut]),
    tags=["组织生活"],
    summary="民主评议党员",
    description="每个支部每年一次的民主评议及每名党员的评定等次。权限：读取组织生活。",
)
def list_appraisals(
    request: HttpRequest,
    under: int | None = UNDER,
    year: int | None = YEAR,
    updated_since: IsoDateTime | None = UPDATED_SINCE,
    cursor: str | None = CURSOR,
    limit: int | None = LIMIT,
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("branchwork"))
    queryset = selectors.appraisals(client.user, under=under, year=year, updated_since=updated_since)
    items, next_cursor = _page(queryset, cursor, limit)
    return {
        "items": [
            {
                "id": item.pk,
                "organization_id": item.organization_id,
                "year": item.year,
                "conclusion": item.conclusion,
                "updated_at": item.updated_at,
                "grades": [{"member_id": grade.member_id, "grade": grade.grade} for grade in item.grades.all()],
            }
            for item in items
        ],
        "next_cursor": next_cursor,
    }


# --- dues -------------------------------------------------------------------------------------------


def dues_payment_out(payment: Any) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "member_id": payment.member_id,
        "organization_id": payment.member.organization_id,
        "month": payment.month,
        "amount": decimal_text(payment.amount),
        "paid_on": payment.paid_on,
        "source": payment.source,
        "created_at": payment.created_at,
    }


@api.get(
    "/dues/payments",
    response=reads(Page[DuesPaymentOut]),
    tags=["党费"],
    summary="党费缴纳记录",
    description="按月的党费缴纳记录；`month_from`/`month_to` 按所属月份筛选。权限：读取党费。",
)
def list_dues_payments(
    request: HttpRequest,
    under: int | None = UNDER,
    month_from: IsoDate | None = DATE_FROM,
    month_to: IsoDate | None = DATE_TO,
    updated_since: IsoDateTime | None = UPDATED_SINCE,
    cursor: str | None = CURSOR,
    limit: int | None = LIMIT,
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("dues"))
    queryset = selectors.dues_payments(
        client.user, under=under, month_from=month_from, month_to=month_to, updated_since=updated_since
    )
    items, next_cursor = _page(queryset, cursor, limit)
    return {"items": [dues_payment_out(item) for item in items], "next_cursor": next_cursor}


# --- campaigns, evaluations, results ---------------------------------------------------------------------


@api.get(
    "/campaigns",
    response=reads(Page[CampaignOut]),
    tags=["评定"],
    summary="评定活动",
    description="令牌的组织参加的评定活动（范围覆盖该组织或其下级）。权限：读取评定。",
)
def list_campaigns(
    request: HttpRequest, year: int | None = YEAR, cursor: str | None = CURSOR, limit: int | None = LIMIT
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("campaigns"))
    items, next_cursor = _page(selectors.campaigns(client.user, year=year), cursor, limit)
    return {
        "items": [
            {
                "id": item.pk,
                "name": item.name,
                "year": item.year,
                "kind": item.kind,
                "state": item.state,
                "root_id": item.root_id,
                "scheme_code": item.scheme_code,
                "scheme_name": item.scheme_name,
                "deadline": item.deadline,
                "notice_days": item.notice_days,
                "opened_at": item.opened_at,
            }
            for item in items
        ],
        "next_cursor": next_cursor,
    }


def evaluation_out(item: Any) -> dict[str, Any]:
    return {
        "id": item.pk,
        "campaign_id": item.campaign_id,
        "organization_id": item.organization_id,
        "state": item.state,
        "claimed_level": item.claimed_level,
        "proposed_level": item.proposed_level,
        "level": item.level,
        "noticed_level": item.noticed_level,
        "approved_level": item.approved_level,
        "base_score": decimal_text(item.base_score),
        "final_score": decimal_text(item.final_score),
        "band_level": item.band_level,
        "survey_member_count": item.survey_member_count,
        "survey_participant_count": item.survey_participant_count,
        "survey_satisfaction": decimal_text(item.survey_satisfaction, 4),
        "reasons": list(item.reasons or []),
        "explanation": list(item.explanation or []),
        "criterion_scores": [
            {
                "part": score.part,
                "criterion_code": score.criterion_code,
                "score": decimal_text(score.score),
                "comment": score.comment,
            }
            for score in item.criterion_scores.all()
        ],
    }


@api.get(
    "/campaigns/{campaign_id}/evaluations",
    response=reads(Page[EvaluationOut]),
    tags=["评定"],
    summary="组织评定及得分",
    description="一次评定活动中各组织的评定：每项得分、基础分、最终得分、星级，以及每条加减分和星级规则的理由与方案条款。"
    "权限：读取评定。",
)
def list_evaluations(
    request: HttpRequest,
    campaign_id: ObjectId,
    under: int | None = UNDER,
    cursor: str | None = CURSOR,
    limit: int | None = LIMIT,
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("campaigns"))
    campaign = access_campaign(client.user, campaign_id)
    items, next_cursor = _page(selectors.evaluations(client.user, campaign, under=under), cursor, limit)
    return {"items": [evaluation_out(item) for item in items], "next_cursor": next_cursor}


@api.get(
    "/star-ledger",
    response=reads(Page[StarLedgerOut]),
    tags=["评定"],
    summary="星级管理台账",
    description="每个组织星级的全部变动：生效日期、事由和批准机关；台账只增不改。权限：读取评定。",
)
def list_star_ledger(
    request: HttpRequest,
    under: int | None = UNDER,
    date_from: IsoDate | None = DATE_FROM,
    date_to: IsoDate | None = DATE_TO,
    updated_since: IsoDateTime | None = UPDATED_SINCE,
    cursor: str | None = CURSOR,
    limit: int | None = LIMIT,
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("campaigns"))
    queryset = selectors.star_ledger(
        client.user, under=under, date_from=date_from, date_to=date_to, updated_since=updated_since
    )
    items, next_cursor = _page(queryset, cursor, limit)
    return {
        "items": [
            {
                "id": item.pk,
                "organization_id": item.organization_id,
                "level": item.level,
                "level_name": item.level_name,
                "previous_level": item.previous_level,
                "effective_on": item.effective_on,
                "campaign_id": item.campaign_id,
                "evaluation_id": item.evaluation_id,
                "approving_body": item.approving_body,
                "reason": item.reason,
                "recorded_at": item.recorded_at,
            }
            for item in items
        ],
        "next_cursor": next_cursor,
    }


@api.get(
    "/results",
    response=reads(Page[PublicationOut]),
    tags=["评定"],
    summary="公布的评定结果",
    description="已公布的评定结果（含更正版本）；名单只列令牌范围内的组织。权限：读取评定。",
)
def list_results(
    request: HttpRequest, year: int | None = YEAR, cursor: str | None = CURSOR, limit: int | None = LIMIT
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("campaigns"))
    items, next_cursor = _page(selectors.publications(client.user, year=year), cursor, limit)
    visible = set(selectors.organizations(client.user, None).values_list("pk", flat=True))
    return {
        "items": [
            {
                "id": item.pk,
                "year": item.year,
                "root_id": item.root_id,
                "title": item.title,
                "version": item.version,
                "supersedes_id": item.supersedes_id,
                "published_at": item.published_at,
                "head_hash": item.head_hash,
                "rows": [
                    {
                        "organization_id": row.get("organization_id"),
                        "organization": row.get("organization", ""),
                        "level": row.get("level"),
                        "level_name": row.get("level_name", ""),
                    }
                    for row in item.rows
                    if row.get("organization_id") in visible
                ],
            }
            for item in items
        ],
        "next_cursor": next_cursor,
    }


@api.get(
    "/surveys",
    response=reads(Page[SurveyParticipationOut]),
    tags=["评定"],
    summary="测评参与情况",
    description="党员群众测评会的参与人数、参与率、满意率和是否有效；从不给出选票。权限：读取评定。",
)
def list_surveys(
    request: HttpRequest,
    under: int | None = UNDER,
    campaign: int | None = Query(None, ge=1, le=MAX_ID, description="评定活动 id"),
    cursor: str | None = CURSOR,
    limit: int | None = LIMIT,
) -> dict[str, Any]:
    client = require_scope(request, scopes.read("campaigns"))
    items, next_cursor = _page(selectors.surveys(client.user, under=under, campaign=campaign), cursor, limit)
    return {
        "items": [
            {
                "id": item.pk,
                "evaluation_id": item.evaluation_id,
                "organization_id": item.evaluation.organization_id,
                "meeting_on": item.meeting_on,
                "state": item.state,
                "member_count": item.member_count,
                "member_participant_count": item.member_participant_count,
                "participation": decimal_text(item.participation, 4),
                "ballot_count": item.ballot_count,
                "satisfaction": decimal_text(item.satisfaction, 4),
                "valid": item.valid,
                "closed_at": item.closed_at,
            }
            for item in items
        ],
        "next_cursor": next_cursor,
    }


# --- writes ---------------------------------------------------------------------------------------------

WRITE_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


IDEMPOTENCY_KEY = Header(None, alias="Idempotency-Key", max_length=100, description="重试时用同一个键，保证只登记一次")


@api.post(
    "/dues/payments",
    response={201: DuesPaymentsOut, **WRITE_ERRORS},
    tags=["党费"],
    summary="批量登记党费缴纳",
    description="一批按月的党费缴纳记录，全部写入或全部不写入，与网页导入银行缴费明细相同的校验和审计记录。"
    '任何一条有误时返回 422，`details` 的 `location` 为 `["body", "items", 序号, 字段]`。'
    "请求头 `Idempotency-Key`：同一个键重试时返回第一次的结果，不会重复登记。权限：写入党费。",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "一个月的党费": {
                            "value": {
                                "items": [
                                    {
                                        "member_id": 12,
                                        "month": "2026-11-01",
                                        "amount": "25.00",
                                        "paid_on": "2026-11-05",
                                    },
                                    {
                                        "member_id": 13,
                                        "month": "2026-11-01",
                                        "amount": "12.50",
                                        "paid_on": "2026-11-05",
                                    },
                                ]
                            }
                        }
                    }
                }
            }
        }
    },
)
def push_dues_payments(
    request: HttpRequest,
    payload: DuesPaymentsIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status[Any]:
    client = require_scope(request, scopes.write("dues"))

    def write() -> tuple[int, Any]:
        created = dues_payments_push(client=client, data=payload)
        return 201, json.loads(
            json.dumps({"created": [dues_payment_out(item) for item in created]}, cls=DjangoJSONEncoder)
        )

    status, body = idempotent(
        client=client,
        key=idempotency_key,
        method="POST",
        path=request.path,
        body=payload.model_dump(mode="json"),
        write=write,
    )
    return Status(status, body)


# --- the national system's shape ----------------------------------------------------------------------------


def _export_client(request: HttpRequest) -> Any:
    require_scope(request, scopes.read("orgs"))
    return require_scope(request, scopes.read("members"))


@api.get(
    "/export/national",
    response=reads(NationalExportOut),
    tags=["导出"],
    summary="按全国党员管理信息系统信息项导出（JSON）",
    description="党组织信息和党员信息两张表，键为全国党员管理信息系统的信息项名称，供一次性上报。"
    "权限：读取组织树和读取党员（联系电话另需个人信息权限）。",
)
def export_national(request: HttpRequest, under: int | None = UNDER) -> dict[str, Any]:
    client = _export_client(request)
    return national_document(client.user, under, personal=client.has_scope(scopes.PERSONAL))


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@api.get(
    "/export/national.xlsx",
    response=READ_ERRORS,
    tags=["导出"],
    summary="按全国党员管理信息系统信息项导出（XLSX）",
    description="与 JSON 导出相同的两张表（工作表“党组织信息”“党员信息”）。权限同上。",
    openapi_extra={
        "responses": {
            "200": {
                "description": "XLSX 工作簿",
                "content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_national_xlsx(request: HttpRequest, under: int | None = UNDER) -> HttpResponse:
    client = _export_client(request)
    content = national_workbook(client.user, under, personal=client.has_scope(scopes.PERSONAL))
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="national-export.xlsx"'
    return response


@api.post(
    "/records/{kind}",
    response={201: RecordOut, **WRITE_ERRORS},
    tags=["加减分依据"],
    summary="登记一条加减分依据",
    description="与网页登记相同的校验、确认规则（本组织申报的加分记录为待确认）和审计记录。"
    "`fields` 为该类记录的其他字段，字段名和代码值与读取时相同；有误时 422，`location` 指出字段。"
    "请求头 `Idempotency-Key` 同上。权限：写入加减分依据。",
)
def push_record(
    request: HttpRequest,
    kind: str,
    payload: RecordIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status[Any]:
    client = require_scope(request, scopes.write("records"))
    record_kind = KINDS.get(kind)
    if record_kind is None:
        raise ApiError(404, "not_found", f"没有这类记录：{kind[:50]}")

    def write() -> tuple[int, Any]:
        created = record_push(client=client, kind=record_kind, data=payload)
        return 201, json.loads(json.dumps(record_out(kind, created), cls=DjangoJSONEncoder))

    status, body = idempotent(
        client=client,
        key=idempotency_key,
        method="POST",
        path=request.path,
        body=payload.model_dump(mode="json"),
        write=write,
    )
    return Status(status, body)


@api.post(
    "/meetings",
    response={201: MeetingOut, **WRITE_ERRORS},
    tags=["组织生活"],
    summary="登记一次组织生活会议",
    description="一次支部会议及其出席情况（按党员编号：出席、请假并写明事由、缺席），与网页登记相同的校验"
    "（召开日期不能晚于今天，参会人员须为本支部党员，同一党员不能登记两次）和审计记录。"
    '有误时 422，`location` 指出字段，如 `["body", "held_on"]`、`["body", "attendance", 序号, "member_id"]`。'
    "附件（照片、扫描件）不在 JSON 写入之内，请在网页上传。请求头 `Idempotency-Key` 同上。权限：写入组织生活。",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "一次主题党日": {
                            "value": {
                                "organization_id": 3,
                                "kind": "theme_day",
                                "held_on": "2026-11-20",
                                "place": "局机关三楼会议室",
                                "host": "张三",
                                "topic": "学习党的二十届四中全会精神",
                                "minutes": "会议传达学习了……",
                                "attendance": [
                                    {"member_id": 12, "status": "present"},
                                    {"member_id": 13, "status": "leave", "reason": "出差"},
                                ],
                            }
                        }
                    }
                }
            }
        }
    },
)
def push_meeting(
    request: HttpRequest,
    payload: MeetingIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status[Any]:
    client = require_scope(request, scopes.write("branchwork"))

    def write() -> tuple[int, Any]:
        created = meeting_push(client=client, data=payload)
        counted = selectors.meetings(client.user, under=None, date_from=None, date_to=None).get(pk=created.pk)
        return 201, json.loads(json.dumps(meeting_out(counted), cls=DjangoJSONEncoder))

    status, body = idempotent(
        client=client,
        key=idempotency_key,
        method="POST",
        path=request.path,
        body=payload.model_dump(mode="json"),
        write=write,
    )
    return Status(status, body)


@api.post(
    "/members/updates",
    response={200: MembersUpdatedOut, **WRITE_ERRORS},
    tags=["党员"],
    summary="批量修改党员信息",
    description="一批党员信息的修改，按顺序全部写入或全部不写入，与网页“编辑党员”相同的校验"
    "（入党日期不能晚于今天，一个组织只有一名书记，转入的组织须未撤销等）和审计记录（每名党员一条“修改党员”）。"
    "每条以 `member_id` 指明党员，只修改给出的字段，未给出的保持不变；`organization_id` 改为其他组织即组织关系转接。"
    "党员或组织不在令牌的组织范围内时，与不存在相同，按条目报错。"
    '任何一条有误时返回 422，`details` 的 `location` 为 `["body", "items", 序号, 字段]`。'
    "应答 `updated` 为修改后的信息，`changed` 列出实际修改了的字段。请求头 `Idempotency-Key` 同上。"
    "权限：写入党员；修改联系电话另需个人信息权限（否则 403）。",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "换届后的班子职务和一名党员的转接": {
                            "value": {
                                "items": [
                                    {"member_id": 12, "leadership_position": "secretary"},
                                    {"member_id": 13, "leadership_position": "committee_member"},
                                    {"member_id": 14, "organization_id": 5, "status": "full"},
                                ]
                            }
                        },
                        "更正联系电话（需个人信息权限）": {
                            "value": {"items": [{"member_id": 12, "phone": "13812345678"}]}
                        },
                    }
                }
            }
        }
    },
)
def push_member_updates(
    request: HttpRequest,
    payload: MembersUpdateIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status[Any]:
    client = require_scope(request, scopes.write("members"))

    def write() -> tuple[int, Any]:
        updated = members_update_push(client=client, data=payload)
        personal = client.has_scope(scopes.PERSONAL)
        answer = {
            "updated": [{**member_out(item.member, personal=personal), "changed": item.changed} for item in updated]
        }
        return 200, json.loads(json.dumps(answer, cls=DjangoJSONEncoder))

    status, body = idempotent(
        client=client,
        key=idempotency_key,
        method="POST",
        path=request.path,
        body=payload.model_dump(mode="json", exclude_unset=True),
        write=write,
    )
    return Status(status, body)
