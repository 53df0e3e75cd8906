"""The demo's plans and ledger: every plan state, every source in every item state, overdue items, once."""

from __future__ import annotations

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from pypdf import PdfReader

from xingji.accounts.models import User
from xingji.common.pdf import PdfFontMissing
from xingji.demo import ledger as demo_ledger
from xingji.demo.data import SMALL, demo_root, load_demo
from xingji.demo.ledger import evidence_pdf, load_demo_ledger
from xingji.ledger.due import due_items
from xingji.ledger.models import ImprovementPlan, ItemSource, ItemState, PlanState, RectificationItem
from xingji.ledger.selectors import item_counts
from xingji.records.models import Attachment

pytestmark = pytest.mark.django_db


def test_the_demo_fills_plans_and_items_in_every_state(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
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


def test_the_demo_attaches_one_page_pdfs_drawn_once(settings, tmp_path, monkeypatch):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    drawn = []
    monkeypatch.setattr(demo_ledger, "evidence_pdf", lambda: drawn.append(1) or evidence_pdf())

    load_demo(size=SMALL, with_records=False, with_campaign=False)

    attachments = Attachment.objects.filter(content_type=ContentType.objects.get_for_model(RectificationItem))
    assert attachments.count() > 1
    assert len(drawn) == 1
    for attachment in attachments:
        with attachment.file.open("rb") as file:
            reader = PdfReader(io.BytesIO(file.read()))
        assert len(reader.pages) == 1
        assert "整改佐证材料" in reader.pages[0].extract_text()


def test_the_evidence_pdf_falls_back_to_an_english_page_without_a_chinese_font(monkeypatch):
    def missing():
        raise PdfFontMissing("no font")

    monkeypatch.setattr(demo_ledger, "cjk_font", missing)

    reader = PdfReader(io.BytesIO(evidence_pdf()))

    assert len(reader.pages) == 1
    assert "Rectification evidence (demo)" in reader.pages[0].extract_text()
