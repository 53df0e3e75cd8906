"""Chinese names for what the audit log stores as codes.

An entry stores its action as ``<entity>.<past tense>`` (``member.created``)
and its object type as the model's label (``orgs.member``); the committee
office reads them as 新建党员 and 党员. The codes stay in the log, the
export and the pages' hover text: they are the evidence, the names are for
reading.

An action is named from its namespace's model (``level_change`` names
``supervision.levelchange``, 星级调整) and a verb for its suffix (``proposed``,
提出), giving 提出星级调整; ``ACTION_LABELS`` names the actions for which that
reads badly. ``tests/audit/test_labels.py`` checks that every action written
in ``src`` gets a Chinese name.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

#: Namespaces whose model is not found by dropping the underscores (``rectification_item`` →
#: ``rectificationitem``).
NAMESPACE_MODELS = {
    "recommendation": "reports.commendationrecommendation",
    "results": "reports.resultpublication",
    "star_ledger": "campaigns.starledgerentry",
    "survey": "surveys.surveysession",
}

#: The verb for an action's suffix, put before the object's name: ``created`` → 新建党员.
VERBS = {
    "created": "新建",
    "imported": "导入",
    "opened": "登记",
    "recorded": "记录",
    "proposed": "提出",
    "filed": "提出",
    "requested": "发起",
    "assigned": "指定",
    "updated": "修改",
    "submitted": "提交",
    "acknowledged": "备案",
    "answered": "答复",
    "approved": "批准",
    "confirmed": "确认",
    "rejected": "驳回",
    "returned": "退回",
    "withdrawn": "撤回",
    "published": "发布",
    "done": "完成",
    "closed": "结束",
    "revoked": "撤销",
    "deleted": "删除",
}

#: Actions whose generic name (verb + object) reads badly, or that name no object.
ACTION_LABELS = {
    "organization.moved": "调整党组织隶属关系",
    "organization.merged": "合并党组织",
    "election.recorded": "登记换届情况",
    "user.role_changed": "调整用户角色",
    "user.second_factor_enrolled": "绑定动态验证码",
    "user.unlocked": "解除登录锁定",
    "attachment.created": "上传附件",
    "campaign.opened": "启动评定活动",
    "evaluation.self_saved": "保存自评",
    "evaluation.self_submitted": "提交自评",
    "evaluation.self_returned": "退回自评",
    "evaluation.self_withdrawn": "撤回自评",
    "evaluation.superior_withdrawn": "撤回上级考评",
    "campaign.quota_mode_changed": "修改比例控制方式",
    "campaign.scheme_uploaded": "上传评定方案",
    "evaluation.survey_recorded": "录入测评结果",
    "evaluation.superior_evaluated": "提交上级考评",
    "evaluation.five_star_approved": "五星级审核通过",
    "evaluation.five_star_returned": "五星级审核退回",
    "evaluation.direct_checked": "记录直接核查情况",
    "evaluation.rated": "得出建议星级",
    "evaluation.quota_moved": "按比例线调整星级",
    "evaluation.tie_decided": "并列裁定调整星级",
    "evaluation.noticed": "列入公示",
    "evaluation.objection_upheld": "异议成立调整星级",
    "evaluation.notice_passed": "公示期满",
    "evaluation.approved": "批准评定星级",
    "evaluation.municipal_sent": "报送市委组织部复审",
    "evaluation.municipal_returned": "登记市委组织部复审结果",
    "rating_run.interrupted": "全面评定中断",
    "rating_run.resumed": "全面评定重新排队（工作进程中断）",
    "rating_run.failed": "全面评定失败",
    "rating_run.finished": "全面评定完成",
    "quota_tie.decided": "裁定比例线并列",
    "approval.recorded": "工委会批准评定结果",
    "municipal_review.sent": "报送市委组织部复审",
    "municipal_review.returned": "登记市委组织部复审结果",
    "star_ledger.recorded": "记入星级管理台账",
    "survey.opened": "开启测评会",
    "survey.settings_changed": "修改测评匿名设置",
    "survey.tokens_issued": "发放测评码",
    "meeting.recorded": "登记组织生活会议",
    "meeting.deleted": "删除组织生活会议",
    "appraisal.recorded": "登记民主评议党员",
    "appraisal.updated": "修改民主评议党员",
    "appraisal.follow_up_opened": "不合格党员组织处置",
    "rectification_item.close_requested": "申请整改事项销账",
    "rectification_item.closed": "整改事项销账",
    "rectification_item.close_refused": "退回销账申请",
    "plan_milestone.reopened": "时间节点改为未完成",
    "recheck.items_opened": "复检核星追加整改事项",
    "inspection_visit.recorded": "记录督导情况",
    "plaque.issued": "授牌",
    "plaque.withdrawal_due": "牌匾待撤销（星级降低）",
    "plaque.withdrawal_lifted": "牌匾恢复有效（星级恢复）",
    "plaque.withdrawn": "撤牌",
    "demonstration_site.chosen": "确定示范点",
    "demonstration_site.withdrawal_due": "示范点待撤销（星级降低）",
    "demonstration_site.withdrawal_lifted": "示范点恢复有效（星级恢复）",
    "recommendation.decided": "登记推荐表彰结果",
    "results.published": "公布评定结果",
    "results.corrected": "更正评定结果（公布新版本）",
    "evaluation.level_corrected": "更正批准星级",
    "dues_account.created": "设置党费基数",
    "dues_account.updated": "修改党费基数",
    "dues_payment.recorded": "登记党费缴纳",
    "dues_payment.imported": "导入党费缴纳",
    "dues_reduction.proposed": "提出党费减免",
    "dues_reduction.approved": "批准党费减免",
    "dues_reduction.rejected": "不批准党费减免",
}


# The names below are cached with a bound: they are asked for codes read from the log, but also for
# whatever a query string holds.


@cache
def _models_by_name() -> dict[str, str]:
    return {str(model._meta.model_name): model._meta.label_lower for model in apps.get_models()}


@lru_cache(maxsize=1024)
def object_type_label(object_type: str) -> str:
    """The model's Chinese name for a stored label (``orgs.member`` → 党员); the label itself if unknown."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)


@lru_cache(maxsize=1024)
def namespace_object_type(namespace: str) -> str | None:
    """The model label an action namespace is about (``level_change`` → ``supervision.levelchange``)."""
    return NAMESPACE_MODELS.get(namespace) or _models_by_name().get(namespace.replace("_", ""))


@lru_cache(maxsize=1024)
def namespace_label(namespace: str) -> str:
    """The Chinese name of an action namespace (``member`` → 党员); the namespace itself if unknown."""
    object_type = namespace_object_type(namespace)
    return object_type_label(object_type) if object_type else namespace


@lru_cache(maxsize=1024)
def action_label(action: str) -> str:
    """The Chinese name of an action code (``member.created`` → 新建党员); the code itself if unknown."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    namespace, _, suffix = action.rpartition(".")
    object_type = namespace_object_type(namespace)
    if suffix not in VERBS or object_type is None:
        return action
    return f"{VERBS[suffix]}{object_type_label(object_type)}"


def action_sort_key(action: str) -> tuple[int, str]:
    """Order the actions of one namespace as a life runs: created first, deleted last."""
    suffix = action.rpartition(".")[2]
    verbs = list(VERBS)
    return (verbs.index(suffix) if suffix in verbs else len(verbs), action)


def model_order() -> dict[str, int]:
    """Each model label's place in the app registry (apps as settings list them): the order of the filters."""
    return {label: index for index, label in enumerate(_models_by_name().values())}


@lru_cache(maxsize=1024)
def _field(object_type: str, name: str):
    try:
        field = apps.get_model(object_type)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None
    # A reverse relation (``organization.members``) has a name but no label: kept as stored.
    return field if hasattr(field, "verbose_name") else None


def _value_text(field, value) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    choices = dict(field.flatchoices) if field is not None and getattr(field, "flatchoices", None) else {}
    if not isinstance(value, dict | list) and value in choices:
        return str(choices[value])
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes(object_type: str, before, after) -> list[tuple[str, str, str]]:
    """An entry's before and after as rows a reader follows: (what, before, after), in Chinese where the model says.

    A key that is a field of the entry's model is named by the field's
    ``verbose_name`` and its coded values by their choices' labels (``state``
    ``self_submitted`` → 状态 自评已提交); anything else stays as stored. A
    side that is not a mapping (an entry written before a change existed) is
    one row of its own.
    """
    before = before if isinstance(before, dict) else ({} if before is None else {"": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"": after})
    rows = []
    for key in [*before, *(key for key in after if key not in before)]:
        field = _field(object_type, key) if key else None
        label = str(field.verbose_name) if field is not None else (key or "内容")
        rows.append(
            (
                label,
                _value_text(field, before.get(key)) if key in before else "",
                _value_text(field, after.get(key)) if key in after else "",
            )
        )
    return rows
