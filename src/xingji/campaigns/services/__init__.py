"""Every change of a campaign, its evaluations, notices, objections and the star ledger.

Each service is ``<entity>_<verb>(*, …, actor)``, runs in one transaction,
locks the rows it changes (``select_for_update``, campaign → notice →
objection → evaluation, always in this order), checks the actor's role and
subtree (``xingji.campaigns.access``) and the current state
(``xingji.campaigns.workflow``), and writes its audit entries last, in the
same transaction. A refusal is a ``TransitionRefused`` (state, data) or an
``ActionForbidden`` (role) with a message for the user — or ``Http404`` from
the access functions for an object outside the actor's subtree — and then
nothing has changed and nothing is logged.

One module per topic: ``campaign``, ``self_evaluation``, ``superior``,
``rating``, ``notice``, ``approval``; what they share (audit entries, the
clock ``base._today``, locks, saving) is in ``base``. Callers use this
package: ``from xingji.campaigns import services; services.campaign_open(…)``.

Views stay thin: they fetch the object through ``access_*``, call one
service with the form's cleaned data and show the refusal's message.
"""

from xingji.campaigns.receipts import new_receipt, receipt_digest
from xingji.campaigns.services.approval import (
    COMMITTEE_BODY,
    FINISHED_STATES,
    MUNICIPAL_BODY,
    campaign_approve,
    municipal_review_return,
    municipal_review_send,
)
from xingji.campaigns.services.campaign import (
    CAMPAIGN_UPDATABLE_FIELDS,
    campaign_close,
    campaign_create,
    campaign_open,
    campaign_quota_mode_change,
    campaign_quota_mode_check,
    campaign_update,
    deadline_check,
    default_deadline,
)
from xingji.campaigns.services.notice import (
    CONTACT_MAX_LENGTH,
    DEFAULT_OBJECTIONS_PER_NOTICE_PER_HOUR,
    OBJECTION_MAX_LENGTH,
    FiledObjection,
    notice_close,
    notice_publish,
    objection_answer,
    objection_file,
)
from xingji.campaigns.services.rating import (
    DEFAULT_RATING_RUN_STALE_MINUTES,
    campaign_rate,
    campaign_rate_check,
    quota_tie_decide,
)
from xingji.campaigns.services.self_evaluation import (
    criterion_attachment_add,
    criterion_attachment_delete,
    self_evaluation_return,
    self_evaluation_save_draft,
    self_evaluation_submit,
    self_evaluation_withdraw,
    self_evaluation_withdraw_check,
    survey_figures_record,
)
from xingji.campaigns.services.superior import (
    direct_check_record,
    five_star_review_approve,
    five_star_review_return,
    superior_evaluate,
    superior_evaluation_withdraw,
    superior_evaluation_withdraw_check,
)

__all__ = [
    "CAMPAIGN_UPDATABLE_FIELDS",
    "COMMITTEE_BODY",
    "CONTACT_MAX_LENGTH",
    "DEFAULT_OBJECTIONS_PER_NOTICE_PER_HOUR",
    "DEFAULT_RATING_RUN_STALE_MINUTES",
    "FINISHED_STATES",
    "FiledObjection",
    "MUNICIPAL_BODY",
    "OBJECTION_MAX_LENGTH",
    "campaign_approve",
    "campaign_close",
    "campaign_create",
    "campaign_open",
    "campaign_rate",
    "campaign_quota_mode_change",
    "campaign_quota_mode_check",
    "campaign_rate_check",
    "campaign_update",
    "criterion_attachment_add",
    "criterion_attachment_delete",
    "deadline_check",
    "default_deadline",
    "direct_check_record",
    "five_star_review_approve",
    "five_star_review_return",
    "municipal_review_return",
    "municipal_review_send",
    "new_receipt",
    "notice_close",
    "notice_publish",
    "objection_answer",
    "objection_file",
    "quota_tie_decide",
    "receipt_digest",
    "self_evaluation_return",
    "self_evaluation_save_draft",
    "self_evaluation_submit",
    "self_evaluation_withdraw",
    "self_evaluation_withdraw_check",
    "superior_evaluate",
    "superior_evaluation_withdraw",
    "superior_evaluation_withdraw_check",
    "survey_figures_record",
]
