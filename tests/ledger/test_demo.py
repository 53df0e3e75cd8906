"""The demo's plans and ledger: every plan state, every source in every item state, overdue items, once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from xingji.accounts.models import User
from xingji.demo.data import SMALL, demo_root, load_demo
from xingji.demo.ledger import load_demo_ledger
from xingji.ledger.due import due_items
from xingji.ledger.models import ImprovementPlan, ItemSource, ItemState, PlanState, RectificationItem
from xingji.ledger.selectors import item_counts

pytestmark = pytest.mark.django_db


def test_the_demo_fills_plans_and_items_in_every_state(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}}
    load_demo(size=SMALL, with_records=False, with_campaign=False)
    today = timezone.localdate()

    assert set(ImprovementPlan.objects.values_list("state", flat=True)) == set(PlanState.values)
    pairs = set(RectificationItem.objects.values_list("source", "state"))
    assert pairs >= {(source, state) for source in ItemSource.values for state in ItemState.values}
    secretary = User.objects.get(username="secretary")
    assert {item.kind for item in due_items(secretary, today)} >= {"晋位争星方案已退回待修改", "销账申请被退回"}
    assert item_counts(User.objects.get(username="office"), today)["overdue"] == 3

    count = RectificationItem.objects.count()
    assert load_demo_ledger(root=demo_root(), today=today, seed=1)["items"] == count
    assert RectificationItem.objects.count() == count
