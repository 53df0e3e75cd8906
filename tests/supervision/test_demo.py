"""The demo's supervision data, loaded on the test tree through the services."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.supervision.conftest import rate
from xingji.campaigns.selectors import current_level
from xingji.demo.supervision import load
from xingji.records.models import CriticismNotice
from xingji.supervision.models import ChangeState, FocusGuide, InspectionVisit, LevelChange, Recheck

pytestmark = pytest.mark.django_db


def test_the_demo_records_rechecks_a_downgrade_guides_and_visits_once(tree, office_user, reviewer):
    rate(tree.finance_2, 3, approver=office_user)
    today = timezone.localdate()

    counts = load(root=tree.root, today=today, seed=1)

    assert counts == {"rechecks": 3, "changes": 2, "guides": 2, "visits": 2}
    assert Recheck.objects.count() == 3
    assert current_level(tree.finance_2) == 2
    assert LevelChange.objects.get(state=ChangeState.PROPOSED).organization == tree.finance_1
    assert FocusGuide.objects.count() == 2 and InspectionVisit.objects.count() == 2
    assert CriticismNotice.objects.get().organization == tree.finance_1
    assert load(root=tree.root, today=today, seed=1) == {}


def test_every_list_and_page_shows_the_demo_data(client, tree, office_user, reviewer):
    from django.urls import reverse

    rate(tree.finance_2, 3, approver=office_user)
    load(root=tree.root, today=timezone.localdate(), seed=1)
    client.force_login(office_user)
    pages = {
        "supervision:change_list": "降",
        "supervision:recheck_list": "财政局第一支部",
        "supervision:visit_list": "检查验收",
        "supervision:focus_list": "待批准",
    }
    for name, text in pages.items():
        response = client.get(reverse(name))
        assert response.status_code == 200 and text in response.content.decode(), name
    for change in LevelChange.objects.all():
        assert client.get(reverse("supervision:change_detail", args=[change.pk])).status_code == 200
    visit = InspectionVisit.objects.filter(criticisms__isnull=False).get()
    page = client.get(reverse("supervision:visit_detail", args=[visit.pk])).content.decode()
    assert "星级创建活动开展不积极" in page
