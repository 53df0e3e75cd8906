"""Correcting a published result: a new version, the changed rows only, the old one kept, a fresh notice
for the changed rows, the star ledger and plaques following, the office of the publication's tree only.

The ``approved`` fixture (tests/reports/conftest.py): FIN-1 and EDU-1 five stars, FIN, FIN-2 and EDU four;
``published`` publishes the whole tree (version 1) and gives FIN-1 and EDU-1 their plaques.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404
from django.urls import reverse

from tests.campaigns.steps import audit_count, evaluation_of
from xingji.audit.chain import verify_chain
from xingji.audit.models import AuditEntry
from xingji.campaigns import selectors as campaign_selectors
from xingji.campaigns.models import Evaluation, ObjectionState, StarLedgerEntry
from xingji.common.confirmation import CONFIRMATION_PHRASE
from xingji.common.errors import ActionForbidden, TransitionRefused
from xingji.reports import corrections, selectors, services
from xingji.reports.corrections import ResultChange
from xingji.reports.models import CorrectionKind, CorrectionObjection, Plaque, PublishedResult, ResultPublication

YEAR = 2025
TODAY = date(2026, 7, 1)


@pytest.fixture
def today(monkeypatch, clock):
    """The correction's today: after the approval (the campaigns' clock stays where it is)."""
    monkeypatch.setattr(corrections, "_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def published(tree, approved, office_user, today) -> ResultPublication:
    publication = services.results_publish(
        root=tree.root, year=YEAR, confirmation=CONFIRMATION_PHRASE, actor=office_user
    )
    services.plaques_issue(year=YEAR, actor=office_user)
    return publication


def _correct(publication, actor, *changes, kind=CorrectionKind.OBJECTION_UPHELD, reason="经核实异议属实"):
    return corrections.result_correct(
        publication=publication,
        changes=[ResultChange(organization=organization, level=level) for organization, level in changes],
        kind=kind,
        reason=reason,
        actor=actor,
        confirmation=CONFIRMATION_PHRASE,
    )


def _written() -> tuple[int, int, int, int, list]:
    return (
        ResultPublication.objects.count(),
        PublishedResult.objects.count(),
        StarLedgerEntry.objects.count(),
        audit_count(),
        sorted(Evaluation.objects.values_list("organization__code", "approved_level")),
    )


def _levels(publication) -> dict[str, tuple[int, bool, int | None]]:
    return {
        line.organization.code: (line.level, line.changed, line.previous_level)
        for line in publication.results.select_related("organization")
    }


# --- the version chain ---------------------------------------------------------------------------------


def test_a_correction_publishes_a_new_version_marking_only_the_changed_rows(tree, published, office_user):
    # when the office lowers FIN-1 to four stars after an upheld objection
    new = _correct(published, office_user, (tree.finance_1, 4))

    # then a second version supersedes the first, with the reason and the fresh notice period
    published.refresh_from_db()
    assert (new.version, new.supersedes, published.successor) == (2, published, new)
    assert new.title == "市直工委2025年度基层服务型党组织星级评定结果（第2版）"
    assert (new.correction_kind, new.correction_reason) == (CorrectionKind.OBJECTION_UPHELD, "经核实异议属实")
    assert (new.notice_starts_on, new.notice_ends_on) == (TODAY, date(2026, 7, 7))  # notice_days 7

    # and every line is carried over, only FIN-1's changed, with its level before
    assert _levels(new) == {
        "FIN-1": (4, True, 5),
        "EDU-1": (5, False, None),
        "FIN": (4, False, None),
        "FIN-2": (4, False, None),
        "EDU": (4, False, None),
    }
    assert [line.organization.code for line in selectors.corrected_lines(new)] == ["FIN-1"]
    fin_1_row = next(row for row in new.rows if row["organization_id"] == tree.finance_1.pk)
    assert (fin_1_row["level_name"], fin_1_row["previous_level_name"]) == ("四星级", "五星级")

    # and the old version keeps its lines as published, no longer current
    assert _levels(published)["FIN-1"] == (5, False, None)
    assert set(published.results.values_list("is_current", flat=True)) == {False}
    assert set(new.results.values_list("is_current", flat=True)) == {True}
    assert next(row for row in published.rows if row["organization_id"] == tree.finance_1.pk)["level"] == 5

    # and the whole correction is in the audit chain, the version's hash its head
    entry = AuditEntry.objects.get(action="results.corrected")
    assert entry.before == {"publication_id": published.pk, "version": 1}
    assert entry.after["changes"] == [{"organization_id": tree.finance_1.pk, "from": 5, "to": 4}]
    assert entry.after["ledger_unchanged"] == []
    assert new.head_hash == entry.hash
    assert verify_chain() is None


def test_a_corrected_version_is_corrected_again_and_the_old_one_is_refused(tree, published, office_user):
    second = _correct(published, office_user, (tree.finance_2, 3))
    third = _correct(second, office_user, (tree.finance_2, 4), kind=CorrectionKind.RECORD_WRONG, reason="台账有误")
    assert (third.version, third.supersedes, third.title) == (
        3,
        second,
        "市直工委2025年度基层服务型党组织星级评定结果（第3版）",
    )
    assert _levels(third)["FIN-2"] == (4, True, 3)
    # the first version's successor is the second; correcting it again is refused, pointing to the newer one
    before = _written()
    with pytest.raises(TransitionRefused, match="已更正，见第2版，请在最新版本上更正"):
        _correct(published, office_user, (tree.finance, 3))
    assert _written() == before


def test_a_publication_corrected_is_left_out_of_the_next_publication(tree, published, office_user):
    _correct(published, office_user, (tree.finance_1, 4))
    preview = selectors.publication_preview(root=tree.root, year=YEAR)
    assert preview.results == []
    assert sorted(line.organization.code for line in preview.published) == ["EDU", "EDU-1", "FIN", "FIN-1", "FIN-2"]
    assert not selectors.publishable_organizations(office_user, YEAR).exists()


# --- the star ledger, the year's result and the plaques follow ----------------------------------------------


def test_a_lowered_result_writes_the_ledger_and_puts_the_plaque_due(tree, published, office_user):
    mark = audit_count()
    new = _correct(published, office_user, (tree.finance_1, 4))

    # then the year's result, the ledger and the plaque follow the correction
    assert evaluation_of(published_campaign(tree), tree.finance_1).approved_level == 4
    entry = campaign_selectors.current_ledger_entry(tree.finance_1)
    assert (entry.level, entry.previous_level, entry.effective_on, entry.approver) == (4, 5, TODAY, office_user)
    assert entry.reason == f"{new.title}更正（异议成立）：由五星级更正为四星级，经核实异议属实"
    result = selectors.year_results(type(tree.root).objects.filter(pk=tree.finance_1.pk), YEAR)[tree.finance_1.pk]
    assert (result.level, result.is_top) == (4, False)
    plaque = Plaque.objects.get(organization=tree.finance_1, year=YEAR)
    assert (plaque.status, plaque.withdrawal_entry, plaque.withdrawal_due_since) == ("待撤销", entry, TODAY)
    assert Plaque.objects.get(organization=tree.education_1, year=YEAR).status == "有效"
    assert _actions_since(mark) == [
        "plaque.withdrawal_due",
        "star_ledger.recorded",
        "evaluation.level_corrected",
        "results.corrected",
    ]


def test_a_raised_result_to_five_stars_may_get_its_plaque(tree, published, office_user):
    _correct(published, office_user, (tree.finance_2, 5), kind=CorrectionKind.RECORD_WRONG, reason="表彰记录漏登")
    assert campaign_selectors.current_level(tree.finance_2) == 5
    [made] = services.plaques_issue(year=YEAR, actor=office_user)
    assert (made.organization, made.level_name) == (tree.finance_2, "五星级")


def test_a_later_decision_stays_the_current_level_and_the_audit_says_so(tree, published, office_user):
    # given FIN-2's ledger moved on after the year (a line of another decision)
    StarLedgerEntry.objects.create(
        organization=tree.finance_2,
        level=2,
        level_name="二星级",
        previous_level=4,
        effective_on=date(2026, 6, 20),
        approving_body="市直工委工委会",
        reason="复检核星降级",
        approver=office_user,
    )
    _correct(published, office_user, (tree.finance_2, 3))
    assert campaign_selectors.current_level(tree.finance_2) == 2
    assert StarLedgerEntry.objects.filter(organization=tree.finance_2).count() == 2
    assert AuditEntry.objects.get(action="results.corrected").after["ledger_unchanged"] == [tree.finance_2.pk]
    assert evaluation_of(published_campaign(tree), tree.finance_2).approved_level == 3


# --- the fresh notice, for the changed rows only ------------------------------------------------------------


def test_objections_are_taken_for_the_changed_rows_during_the_notice_only(tree, published, office_user, monkeypatch):
    new = _correct(published, office_user, (tree.finance_1, 4))
    changed = new.results.get(organization=tree.finance_1)
    unchanged = new.results.get(organization=tree.finance_2)

    # a changed row takes an objection during the notice period
    objection = corrections.correction_objection_file(publication=new, result=changed, content="降级理由不充分")
    assert (objection.state, objection.result, objection.contact) == (ObjectionState.OPEN, changed, "")
    entry = AuditEntry.objects.get(action="correction_objection.filed")
    assert "content" not in entry.after

    # an unchanged row, the old version and a day outside the period are refused, nothing written
    before = (CorrectionObjection.objects.count(), audit_count())
    with pytest.raises(TransitionRefused, match="只能对本次更正的组织提出异议"):
        corrections.correction_objection_file(publication=new, result=unchanged, content="也有问题")
    old_line = published.results.get(organization=tree.finance_1)
    with pytest.raises(TransitionRefused, match="不是更正后的版本"):
        corrections.correction_objection_file(publication=published, result=old_line, content="旧版本")
    with pytest.raises(TransitionRefused, match="请填写异议内容"):
        corrections.correction_objection_file(publication=new, result=changed, content="  ")
    monkeypatch.setattr(corrections, "_today", lambda: date(2026, 7, 8))
    with pytest.raises(TransitionRefused, match="更正公示期为2026年07月01日至2026年07月07日，当前不在公示期内"):
        corrections.correction_objection_file(publication=new, result=changed, content="过期")
    assert (CorrectionObjection.objects.count(), audit_count()) == before


def test_the_office_answers_an_objection_once(tree, published, office_user, reviewer):
    new = _correct(published, office_user, (tree.finance_1, 4))
    objection = corrections.correction_objection_file(
        publication=new, result=new.results.get(organization=tree.finance_1), content="降级理由不充分"
    )
    with pytest.raises(ActionForbidden):
        corrections.correction_objection_answer(objection=objection, upheld=False, answer="不成立", actor=reviewer)
    with pytest.raises(TransitionRefused, match="请填写答复"):
        corrections.correction_objection_answer(objection=objection, upheld=False, answer="", actor=office_user)
    answered = corrections.correction_objection_answer(
        objection=objection, upheld=False, answer="经复核降级依据充分", actor=office_user
    )
    assert (answered.state, answered.answered_by) == (ObjectionState.REJECTED, office_user)
    with pytest.raises(TransitionRefused, match="该异议已经答复"):
        corrections.correction_objection_answer(objection=objection, upheld=True, answer="再答", actor=office_user)
    assert AuditEntry.objects.filter(action="correction_objection.answered").count() == 1


# --- permissions and bad input -------------------------------------------------------------------------------


def test_only_the_office_of_the_publications_tree_corrects(tree, published, reviewer, other_office):
    before = _written()
    with pytest.raises(ActionForbidden):
        _correct(published, reviewer, (tree.finance_1, 4))
    other, _ = other_office
    with pytest.raises(Http404):
        _correct(published, other, (tree.finance_1, 4))
    assert _written() == before


def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(tree, published, office_user, other_office):
    _, stranger = other_office
    before = _written()
    cases = [
        ({"changes": [(tree.finance_1, 4)], "reason": "  "}, "请填写更正理由"),
        ({"changes": [(tree.finance_1, 4)], "kind": "whatever"}, "请选择更正类别（异议成立、记录有误或其他）"),
        ({"changes": []}, "请至少更正一个组织的星级"),
        (
            {"changes": [(stranger, 4)]},
            "另一支部不在《市直工委2025年度基层服务型党组织星级评定结果》的名单中，不能更正",
        ),
        ({"changes": [(tree.root, 4)]}, "市直工委不在《"),
        ({"changes": [(tree.finance_1, 7)]}, "财政局第一支部：更正后的星级“7”不是评定方案中的等级"),
        ({"changes": [(tree.finance_1, 5)]}, "财政局第一支部：更正后的星级与公布的五星级相同"),
        ({"changes": [(tree.finance_1, 4), (tree.finance_1, 3)]}, "财政局第一支部重复出现"),
        ({"changes": [(tree.finance_1, 4)], "confirmation": "确认"}, "请输入“确认发布”"),
    ]
    for given, message in cases:
        arguments = {
            "kind": CorrectionKind.OTHER,
            "reason": "理由",
            "confirmation": CONFIRMATION_PHRASE,
            **given,
            "changes": [ResultChange(organization=o, level=level) for o, level in given["changes"]],
        }
        with pytest.raises(TransitionRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
            corrections.result_correct(publication=published, actor=office_user, **arguments)
    assert _written() == before


def test_a_result_sent_to_the_municipal_re_review_is_not_corrected_here(tree, published, clock, office_user):
    from xingji.campaigns import services as campaign_services

    campaign_services.municipal_review_send(campaign=published_campaign(tree), sent_on=clock.today, actor=office_user)
    before = _written()
    with pytest.raises(TransitionRefused, match="财政局第一支部的评定结果已报送市委组织部复审，以复审结果为准"):
        _correct(published, office_user, (tree.finance_1, 4))
    assert _written() == before


# --- the pages -----------------------------------------------------------------------------------------------


def test_the_public_pages_link_the_versions_and_list_the_changes(client, tree, published, office_user):
    new = _correct(published, office_user, (tree.finance_1, 4))
    old_page = client.get(reverse("results:detail", args=[published.pk])).content.decode()
    link = reverse("results:detail", args=[new.pk])
    assert f'本公示已更正，见<a href="{link}">第2版</a>' in old_page
    new_page = client.get(reverse("results:detail", args=[new.pk])).content.decode()
    assert "第2版（更正）" in new_page
    assert "异议成立：经核实异议属实" in new_page
    assert "由五星级更正为四星级" in new_page
    assert reverse("results:detail", args=[published.pk]) in new_page
    assert reverse("results:correction_objection", args=[new.pk]) in new_page
    listing = client.get(reverse("results:list")).content.decode()
    assert "已更正" in listing and "第2版" in listing


def test_the_public_objection_form_files_for_a_changed_row(client, tree, published, office_user):
    new = _correct(published, office_user, (tree.finance_1, 4))
    url = reverse("results:correction_objection", args=[new.pk])
    page = client.get(url).content.decode()
    assert "财政局第一支部" in page and "财政局第二支部" not in page
    changed = new.results.get(organization=tree.finance_1)
    response = client.post(url, {"result": changed.pk, "content": "降级理由不充分", "contact": ""})
    assert response.status_code == 200
    assert "异议已提交" in response.content.decode()
    assert CorrectionObjection.objects.get().result == changed
    # an unchanged row is not offered: the form refuses it
    unchanged = new.results.get(organization=tree.finance_2)
    response = client.post(url, {"result": unchanged.pk, "content": "也有问题"})
    assert CorrectionObjection.objects.count() == 1
    assert "请选择异议对象" in response.content.decode() or "选择一个有效的选项" in response.content.decode()


def test_the_office_corrects_from_the_page_after_typing_the_phrase(client, tree, published, office_user):
    client.force_login(office_user)
    url = reverse("reports:publication_correct", args=[published.pk])
    assert "更正评定结果" in client.get(url).content.decode()
    line = published.results.get(organization=tree.finance_1)
    data = {"kind": CorrectionKind.OBJECTION_UPHELD, "reason": "经核实异议属实", f"level_{line.pk}": "4"}
    # first the confirmation page: old → new, the typed phrase
    confirm = client.post(url, data).content.decode()
    assert "财政局第一支部" in confirm and "五星级 → 四星级" in confirm
    assert ResultPublication.objects.count() == 1
    # a wrong phrase is refused on the page
    refused = client.post(url, {**data, "confirm": "1", "confirmation": "确认"}).content.decode()
    assert "请输入“确认发布”" in refused
    assert ResultPublication.objects.count() == 1
    response = client.post(url, {**data, "confirm": "1", "confirmation": CONFIRMATION_PHRASE})
    new = ResultPublication.objects.get(version=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("results:detail", args=[new.pk])


def test_the_office_page_without_a_reason_or_a_change_says_what_is_missing(client, tree, published, office_user):
    client.force_login(office_user)
    url = reverse("reports:publication_correct", args=[published.pk])
    page = client.post(url, {"kind": CorrectionKind.OTHER, "reason": ""}).content.decode()
    assert "请填写更正理由" in page
    assert "请至少更正一个组织的星级" in page
    assert ResultPublication.objects.count() == 1


def test_the_office_answers_an_objection_from_its_page(client, tree, published, office_user):
    new = _correct(published, office_user, (tree.finance_1, 4))
    objection = corrections.correction_objection_file(
        publication=new, result=new.results.get(organization=tree.finance_1), content="降级理由不充分"
    )
    client.force_login(office_user)
    year_page = client.get(reverse("reports:year", args=[YEAR])).content.decode()
    assert reverse("reports:correction_objection_answer", args=[objection.pk]) in year_page
    response = client.post(
        reverse("reports:correction_objection_answer", args=[objection.pk]),
        {"upheld": "0", "answer": "经复核降级依据充分"},
    )
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.state == ObjectionState.REJECTED


def published_campaign(tree):
    from xingji.campaigns.models import Campaign

    return Campaign.objects.get(root=tree.root, year=YEAR)


def _actions_since(count: int) -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))[count:]
