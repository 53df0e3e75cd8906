"""Publishing the year's results on purpose: a preview, a typed confirmation over a broken quota, a scope.

The ``approved`` fixture (tests/reports/conftest.py): FIN-1 and EDU-1 five stars, FIN, FIN-2 and EDU four —
two five-star organizations of five (40 %) against the 10 % ceiling of anyang-2017, and none at one star
against its 10 % floor.
"""

from __future__ import annotations

import pytest

from tests.campaigns.steps import audit_count
from tests.reports.conftest import approve
from xingji.audit.models import AuditEntry
from xingji.campaigns import services as campaign_services
from xingji.campaigns.models import Campaign, QuotaMode
from xingji.common.confirmation import CONFIRMATION_PHRASE
from xingji.common.errors import TransitionRefused
from xingji.reports import selectors, services
from xingji.reports.models import PublishedResult, ResultPublication

YEAR = 2025
CEILING = "五星级不超过10%（五(二)）：5个组织中五星级2个，占40%，超过上限（最多0个）"
FLOOR = "一星级及以下不低于10%（五(二)）：5个组织中一星级、不定星级0个，占0%，低于下限（至少1个）"


def _published() -> tuple[int, int, int]:
    return ResultPublication.objects.count(), PublishedResult.objects.count(), audit_count()


def _codes(preview) -> list[str]:
    return [result.organization.code for result in preview.results]


def test_the_preview_lists_what_would_be_published_with_every_quota_warning(tree, approved):
    preview = selectors.publication_preview(root=tree.root, year=YEAR)
    assert _codes(preview) == ["FIN-1", "EDU-1", "FIN", "FIN-2", "EDU"]
    assert [result.level_name for result in preview.results] == ["五星级", "五星级", "四星级", "四星级", "四星级"]
    assert preview.warning_messages == [CEILING, FLOOR]
    assert (preview.published, preview.unfinished) == ([], [])


def test_it_refuses_to_publish_over_a_broken_quota_without_the_typed_confirmation(tree, approved, office_user):
    before = _published()
    for typed in ("", "确认", "确认公布"):
        with pytest.raises(TransitionRefused, match="有2项比例提示") as refusal:
            services.results_publish(root=tree.root, year=YEAR, confirmation=typed, actor=office_user)
        assert refusal.value.code == "confirmation_required"
        assert CEILING in refusal.value.messages[0]
    assert _published() == before


def test_it_publishes_with_the_typed_confirmation_and_logs_the_warnings(tree, approved, office_user):
    preview = selectors.publication_preview(root=tree.root, year=YEAR)
    publication = services.results_publish(
        root=tree.root,
        year=YEAR,
        confirmation=f" {CONFIRMATION_PHRASE} ",
        preview_digest=preview.digest,
        actor=office_user,
    )
    assert [row["organization_id"] for row in publication.rows] == [
        result.organization.pk for result in preview.results
    ]
    assert sorted(publication.results.values_list("organization__code", flat=True)) == sorted(_codes(preview))
    entry = AuditEntry.objects.get(action="results.published")
    assert entry.after["quota_warnings"] == [CEILING, FLOOR]
    assert entry.after["chosen"] is None


def test_without_a_broken_quota_no_confirmation_is_needed(tree, approved, office_user):
    Campaign.objects.filter(pk=approved.pk).update(quota_mode=QuotaMode.OFF)
    assert selectors.publication_preview(root=tree.root, year=YEAR).warnings == []
    publication = services.results_publish(root=tree.root, year=YEAR, actor=office_user)
    assert len(publication.rows) == 5


def test_a_preview_that_changed_before_the_confirmation_is_refused(tree, approved, office_user):
    # given the office previewed the whole tree, then EDU's results were published: that preview is stale
    stale = selectors.publication_preview(root=tree.root, year=YEAR)
    services.results_publish(root=tree.education, year=YEAR, confirmation=CONFIRMATION_PHRASE, actor=office_user)
    before = _published()
    with pytest.raises(TransitionRefused, match="确认后待发布的内容已发生变化") as refusal:
        services.results_publish(
            root=tree.root, year=YEAR, confirmation=CONFIRMATION_PHRASE, preview_digest=stale.digest, actor=office_user
        )
    assert refusal.value.code == "preview_changed"
    assert _published() == before


def test_publishing_a_subtree_leaves_the_other_organizations_publishable(tree, approved, office_user):
    # given FIN's subtree published
    first = services.results_publish(root=tree.finance, year=YEAR, confirmation=CONFIRMATION_PHRASE, actor=office_user)
    assert [row["organization"] for row in first.rows] == ["财政局第一支部", "财政局机关党委", "财政局第二支部"]
    assert first.title == "财政局机关党委2025年度基层服务型党组织星级评定结果"

    # when the office publishes the whole tree, then only what is not public yet is published
    preview = selectors.publication_preview(root=tree.root, year=YEAR)
    assert _codes(preview) == ["EDU-1", "EDU"]
    assert [line.organization.code for line in preview.published] == ["FIN", "FIN-1", "FIN-2"]
    second = services.results_publish(root=tree.root, year=YEAR, confirmation=CONFIRMATION_PHRASE, actor=office_user)
    assert [row["organization"] for row in second.rows] == ["教育局第一支部", "教育局机关党总支"]
    assert (first.rows[0]["level_name"], second.rows[0]["level_name"]) == ("五星级", "五星级")

    # and once everything is public, a third is refused
    before = _published()
    with pytest.raises(TransitionRefused, match="市直工委2025年度的评定结果已公布，没有尚未公布的组织"):
        services.results_publish(root=tree.root, year=YEAR, confirmation=CONFIRMATION_PHRASE, actor=office_user)
    assert _published() == before


def test_the_second_publication_of_a_scope_is_numbered(tree, approved, office_user):
    services.results_publish(
        root=tree.root, year=YEAR, organizations=[tree.finance_2], confirmation=CONFIRMATION_PHRASE, actor=office_user
    )
    second = services.results_publish(root=tree.root, year=YEAR, confirmation=CONFIRMATION_PHRASE, actor=office_user)
    assert second.title == "市直工委2025年度基层服务型党组织星级评定结果（第2批）"


def test_it_publishes_exactly_the_organizations_chosen(tree, approved, office_user):
    publication = services.results_publish(
        root=tree.root,
        year=YEAR,
        organizations=[tree.education_1, tree.finance_2],
        confirmation=CONFIRMATION_PHRASE,
        actor=office_user,
    )
    assert [row["organization"] for row in publication.rows] == ["教育局第一支部", "财政局第二支部"]
    # the audit names the choice, in tree order
    assert AuditEntry.objects.get(action="results.published").after["chosen"] == [
        tree.finance_2.pk,
        tree.education_1.pk,
    ]
    # the others stay publishable
    assert _codes(selectors.publication_preview(root=tree.root, year=YEAR)) == ["FIN-1", "FIN", "EDU"]


def test_a_chosen_organization_published_already_outside_the_scope_or_unapproved_is_refused_by_name(
    tree, approved, office_user
):
    services.results_publish(
        root=tree.root, year=YEAR, organizations=[tree.finance_1], confirmation=CONFIRMATION_PHRASE, actor=office_user
    )
    before = _published()
    cases = [
        (tree.finance, [tree.finance_2, tree.education_1], "教育局第一支部不在财政局机关党委的范围内，不能一并公布"),
        (tree.root, [tree.finance_2, tree.finance_1], "财政局第一支部2025年度的评定结果已公布（市直工委2025年度"),
        (tree.root, [tree.root], "市直工委没有经批准的2025年度评定结果，不能公布"),
    ]
    for root, chosen, message in cases:
        with pytest.raises(TransitionRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
            services.results_publish(
                root=root, year=YEAR, organizations=chosen, confirmation=CONFIRMATION_PHRASE, actor=office_user
            )
    with pytest.raises(TransitionRefused, match="请选择要公布的组织"):
        services.results_publish(root=tree.root, year=YEAR, organizations=[], actor=office_user)
    assert _published() == before


def test_the_preview_names_the_organizations_still_under_evaluation_this_year(
    tree, approved, clock, office_user, django_capture_on_commit_callbacks
):
    # given the year-end re-check opened over the tree, nothing approved in it yet
    year_end = campaign_services.campaign_create(root=tree.root, year=YEAR, kind="year_end", actor=office_user)
    campaign_services.campaign_open(campaign=year_end, actor=office_user)
    preview = selectors.publication_preview(root=tree.finance, year=YEAR)
    assert [organization.code for organization in preview.unfinished] == ["FIN", "FIN-1", "FIN-2"]
    assert preview.unfinished_ids == {tree.finance.pk, tree.finance_1.pk, tree.finance_2.pk}
    # when it is approved, nothing is under evaluation any more
    approve(year_end, clock, office_user, django_capture_on_commit_callbacks, minutes="工委会纪要〔2026〕9号")
    assert selectors.publication_preview(root=tree.finance, year=YEAR).unfinished == []


def test_the_migration_gives_an_earlier_publication_its_lines_by_name(tree, approved, office_user):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("xingji.reports.migrations.0002_add_withdrawal_and_scoped_publication")
    # given a publication made before publications were scoped: rows by name only, one name unknown now
    earlier = ResultPublication.objects.create(
        year=YEAR,
        root=tree.root,
        title="旧的公布",
        rows=[
            {"organization": "财政局第一支部", "level": 5, "level_name": "五星级"},
            {"organization": "已撤销的支部", "level": 4, "level_name": "四星级"},
        ],
        published_by=office_user,
    )
    migration.lines_of_earlier_publications(apps, None)
    assert list(earlier.results.values_list("organization__code", "level")) == [("FIN-1", 5)]
    # then FIN-1 counts as published: the tree's next publication leaves it out
    assert "FIN-1" not in _codes(selectors.publication_preview(root=tree.root, year=YEAR))
