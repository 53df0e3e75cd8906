"""The demo's campaign: this year's re-rating (年底复核) in progress.

So that the campaign pages have something to show, the demo opens a year-end
campaign over the whole tree and walks part of it through the services, each
step by the user whose step it is: branches of the first 机关党委 have
submitted their self-evaluation and held their survey (a real session: codes
issued, ballots cast, closed — ``xingji.surveys``), about half of them
have been evaluated by the 机关党委. The rest are still filling in.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from xingji.accounts.models import Role, User
from xingji.campaigns import services
from xingji.campaigns.models import Campaign, CampaignKind, Evaluation
from xingji.orgs.models import Organization
from xingji.surveys import services as survey_services


def demo_campaign(root: Organization, year: int) -> Campaign | None:
    return Campaign.objects.filter(root=root, year=year, kind=CampaignKind.YEAR_END).first()


def load_demo_campaign(*, root: Organization, today: date, seed: int) -> Campaign:
    """Open the year-end campaign and fill in part of it, unless it exists already."""
    existing = demo_campaign(root, today.year)
    if existing is not None:
        return existing
    rng = random.Random(seed)
    office = User.objects.get(organization=root, role=Role.COMMITTEE_OFFICE, is_superuser=False, username="office")
    campaign = services.campaign_create(
        root=root,
        year=today.year,
        kind=CampaignKind.YEAR_END,
        name=f"{today.year}年度基层服务型党组织星级年底复核",
        actor=office,
    )
    campaign = services.campaign_open(campaign=campaign, actor=office)
    unit = Organization.objects.filter(depth=root.depth + 1, path__startswith=root.path).order_by("path").first()
    reviewer = User.objects.filter(organization=unit, role=Role.REVIEWER).first()
    evaluations = (
        Evaluation.objects.filter(campaign=campaign, organization__path__startswith=unit.path)
        .exclude(organization=unit)
        .select_related("organization", "campaign")
        .order_by("organization__path")
    )
    for index, evaluation in enumerate(evaluations):
        secretary = User.objects.filter(organization=evaluation.organization, role=Role.BRANCH_SECRETARY).first()
        if secretary is None:
            continue
        criteria = campaign.scheme.criteria_for(evaluation.organization.category)
        level = rng.choice([8.5, 9, 9, 9.5])
        own_scores = {c.code: Decimal(str(min(level + rng.choice([-1, -0.5, 0, 0.5]), 10))) for c in criteria}
        scores = {code: {"score": score, "comment": ""} for code, score in own_scores.items()}
        claimed = 5 if level >= 9 else 4
        services.self_evaluation_save_draft(
            evaluation=evaluation, scores=scores, claimed_level=claimed, actor=secretary
        )
        services.self_evaluation_submit(evaluation=evaluation, actor=secretary)
        _run_survey(evaluation, secretary, rng, today)
        if reviewer is not None and index % 2 == 0:
            superior = {
                code: {"score": score - Decimal("0.5") if score > 8 else score, "comment": ""}
                for code, score in own_scores.items()
            }
            services.superior_evaluate(
                evaluation=evaluation, scores=superior, comment="同意该组织自评意见", actor=reviewer
            )
    return campaign


#: How the demo's voters answer: mostly satisfied.
ANSWER_WEIGHTS = {"satisfied": 70, "basically_satisfied": 22, "unsatisfied": 8}


def _run_survey(evaluation: Evaluation, secretary: User, rng: random.Random, today: date) -> None:
    """A survey meeting of the branch: a code per member and three public codes, 80 % or more vote, closed."""
    members = survey_services.member_count_of(evaluation.organization_id)
    if not members:
        return
    meeting_on = min(date(today.year, 11, 10), today, timezone.localdate())
    session = survey_services.session_open(
        evaluation=evaluation,
        meeting_on=meeting_on,
        expires_on=max(meeting_on, timezone.localdate()) + timedelta(days=7),
        actor=secretary,
    )
    issued = survey_services.tokens_issue(session=session, member_tokens=members, public_tokens=3, actor=secretary)
    # A valid survey: at least 80 % of the members take part.
    participants = max(members - rng.randint(0, 2), -(-members * 4 // 5), 1)
    member_codes = [code for kind, code in issued.codes if kind == "member"][:participants]
    public_codes = [code for kind, code in issued.codes if kind == "public"]
    options, weights = list(ANSWER_WEIGHTS), list(ANSWER_WEIGHTS.values())
    for code in [*member_codes, *public_codes]:
        data = {"overall": rng.choices(options, weights)[0]}
        for criterion in session.questions["criteria"]:
            data[f"criterion_{criterion['code']}"] = rng.choices(options, weights)[0]
        survey_services.ballot_cast(code=code, data=data)
    survey_services.session_close(session=session, actor=secretary)
