"""Givens of the 晋位争星 tests: a rated evaluation without the workflow, a line of the star ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.campaigns.steps import CODES, YEAR, evaluation_of, force_evaluated
from xingji.campaigns import scoring
from xingji.campaigns.models import Campaign, Evaluation, StarLedgerEntry


def rated(campaign: Campaign, organization, *, score, satisfaction="0.92") -> Evaluation:
    """The organization's evaluation given as rated with ``score`` on every criterion (no workflow, no audit)."""
    evaluation = force_evaluated(evaluation_of(campaign, organization), score=score, satisfaction=satisfaction)
    facts = scoring.organization_facts(campaign, organization)
    data = scoring.engine_input(campaign, evaluation, facts, {code: Decimal(str(score)) for code in CODES})
    stored = scoring.stored_result(campaign, scoring.rate_one(campaign, data))
    fields = scoring.apply_result(evaluation, stored)
    evaluation.facts = data
    evaluation.save(update_fields=[*fields, "facts"])
    return evaluation


def ledger_line(organization, approver, *, level: int, name: str) -> StarLedgerEntry:
    return StarLedgerEntry.objects.create(
        organization=organization,
        level=level,
        level_name=name,
        effective_on=date(YEAR, 7, 1),
        approving_body="市直工委",
        reason=f"{YEAR}年申报创星评定",
        approver=approver,
    )
