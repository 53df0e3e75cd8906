"""Who sees and who may act on campaigns, evaluations, notices and objections.

Visibility follows ``xingji.accounts.access``: a user sees the evaluations of
the organizations in the subtree of the node it is attached to, and the
campaigns whose scope meets that subtree (a campaign over an ancestor
included). Outside, or missing: ``Http404``, the same answer either way.

Who may act, by role (the services check it again under their lock):

* the committee office (市直工委组织部) whose subtree holds the campaign's
  root: the campaign itself, five-star reviews, direct checks, the rating
  run, notices, objections, approvals and municipal re-reviews;
* the organization's own user (支部书记, or the 机关党委/总支 user for its
  own organization): its self-evaluation and survey figures;
* a superior (a reviewer or the office above the organization, never the
  organization itself): the superior evaluation, returning a self-evaluation,
  survey figures;
* a superuser: everything; an inspector (督导组): reading only.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from xingji.accounts import access as accounts_access
from xingji.accounts.access import (
    NOT_FOUND,
    SELF_ROLES,
    access_organization,
    get_or_404,
    is_active_user,
    visible_organizations,
)
from xingji.accounts.models import Role
from xingji.campaigns.evidence import criterion_attachments
from xingji.campaigns.models import Campaign, Evaluation, Notice, NoticeState, Objection
from xingji.common.errors import ActionForbidden
from xingji.orgs.models import Organization


def _ancestor_paths(path: str) -> list[str]:
    step = Organization.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def visible_campaigns(user) -> QuerySet[Campaign]:
    """Campaigns over the user's subtree or over one of its ancestors."""
    if not is_active_user(user):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    if user.organization_id is None:
        return Campaign.objects.none()
    node = Organization.objects.filter(pk=user.organization_id).values_list("path", flat=True).first()
    if node is None:
        return Campaign.objects.none()
    return Campaign.objects.filter(Q(root__path__startswith=node) | Q(root__path__in=_ancestor_paths(node)))


def visible_evaluations(user) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(organization__in=visible_organizations(user))


def access_campaign(user, campaign_id, *, write: bool = False) -> Campaign:
    """A campaign the user sees; with ``write``, one the user's office runs (else 403)."""
    campaign = get_or_404(visible_campaigns(user).select_related("root"), campaign_id)
    if write:
        require_office(user, campaign)
    return campaign


def access_evaluation(user, evaluation_id) -> Evaluation:
    """An evaluation of an organization in the user's subtree (404 otherwise).

    What the user may do with it is the service's to check (``require_*``):
    the same evaluation is written by the branch, its superior and the office.
    """
    return get_or_404(visible_evaluations(user).select_related("campaign", "organization"), evaluation_id)


def access_objection(user, objection_id) -> Objection:
    """An objection, for the office running its campaign (404 for anyone else)."""
    objection = get_or_404(
        Objection.objects.filter(evaluation__organization__in=visible_organizations(user)).select_related(
            "notice__campaign", "evaluation__organization"
        ),
        objection_id,
    )
    if not is_office_for(user, objection.notice.campaign):
        raise Http404(NOT_FOUND)
    return objection


def public_notice(notice_id) -> Notice:
    """A notice anyone may read (published or closed), without login."""
    return get_or_404(
        Notice.objects.filter(state__in=[NoticeState.PUBLISHED, NoticeState.CLOSED]).select_related("campaign"),
        notice_id,
    )


# --- who may act ---------------------------------------------------------------------


def is_office_for(user, campaign: Campaign) -> bool:
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    return user.role == Role.COMMITTEE_OFFICE and visible_organizations(user).filter(pk=campaign.root_id).exists()


def require_office(user, campaign: Campaign) -> None:
    """The committee office running the campaign: 403 for another role, 404 outside its subtree.

    The role is checked first: telling a reviewer that only the office may act
    reveals nothing it does not know, and says plainly why it was refused.
    """
    if is_active_user(user) and not user.is_superuser and user.role != Role.COMMITTEE_OFFICE:
        raise ActionForbidden("只有市直工委组织部可以进行这项操作")
    access_organization(user, campaign.root_id, write=True)


def require_self(user, evaluation: Evaluation) -> None:
    """The organization's own user: its self-evaluation."""
    access_organization(user, evaluation.organization_id, write=True)
    if user.is_superuser:
        return
    if user.organization_id != evaluation.organization_id or user.role not in SELF_ROLES:
        raise ActionForbidden("只有本组织的书记可以填写本组织的自评")


def is_superior_of(user, evaluation: Evaluation) -> bool:
    return accounts_access.is_superior_of(user, evaluation.organization_id)


def require_superior(user, evaluation: Evaluation) -> None:
    """A reviewer or the office above the organization (never the organization itself)."""
    access_organization(user, evaluation.organization_id, write=True)
    if not is_superior_of(user, evaluation):
        raise ActionForbidden("只有上级党组织可以考评或退回本组织的评定")


def require_self_or_superior(user, evaluation: Evaluation) -> None:
    access_organization(user, evaluation.organization_id, write=True)
    if user.is_superuser or is_superior_of(user, evaluation):
        return
    if user.organization_id != evaluation.organization_id or user.role not in SELF_ROLES:
        raise ActionForbidden("只有本组织或上级党组织可以录入测评结果")


def access_criterion_attachment(user, evaluation: Evaluation, attachment_id):
    """An evidence file of ``evaluation``'s self part (the evaluation from ``access_evaluation``); else 404."""
    return get_or_404(criterion_attachments(evaluation), attachment_id)
