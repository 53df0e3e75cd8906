"""The demo's records obey the rule that the rated do not score themselves."""

from __future__ import annotations

from datetime import date

from xingji.accounts.models import User
from xingji.demo.data import SMALL, load_demo, record_year
from xingji.records import due
from xingji.records.models import RECORD_MODELS, Commendation, RecordStatus
from xingji.records.selectors import engine_facts


def test_the_demo_secretary_claims_a_commendation_that_waits_for_the_reviewer(db):
    today = date(2026, 6, 30)
    load_demo(size=SMALL, today=today, with_campaign=False)
    secretary, reviewer = User.objects.get(username="secretary"), User.objects.get(username="reviewer")

    # one claim, of the secretary's branch, entered by the secretary with its certificate
    [claim] = Commendation.objects.filter(status=RecordStatus.CLAIMED)
    assert (claim.organization_id, claim.entered_by, claim.attachments.count()) == (
        secretary.organization_id,
        secretary,
        1,
    )
    # every other record was entered by the system or a superior, and is confirmed
    for model in RECORD_MODELS:
        others = model.objects.exclude(pk=claim.pk) if model is Commendation else model.objects.all()
        assert set(others.values_list("status", flat=True)) == {RecordStatus.CONFIRMED}, model.__name__
    # the claim does not count yet, and the reviewer has it to confirm
    confirmed = Commendation.objects.filter(
        organization_id=claim.organization_id, status=RecordStatus.CONFIRMED, date__year=record_year(today)
    ).count()
    assert len(engine_facts(claim.organization, record_year(today))["commendations"]) == confirmed
    assert [item.kind for item in due.due_items(reviewer, today)] == ["加分申报待确认"]
