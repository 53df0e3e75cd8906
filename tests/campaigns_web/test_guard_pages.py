"""Guard rails on the pages: deadlines, the scope page, the quota mode page, the withdraw buttons."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.campaigns.steps import YEAR, actions, evaluate, evaluation_of, rated_campaign, self_evaluate
from tests.factories import OrganizationFactory
from xingji.campaigns import services
from xingji.campaigns.models import Campaign, CampaignState, EvaluationState, QuotaMode

E = EvaluationState


def create_data(tree, **changes) -> dict:
    data = {
        "root": tree.root.pk,
        "year": timezone.localdate().year,
        "kind": "year_end",
        "scheme": "anyang-2017",
        "quota_mode": "warn",
        "notice_days": "",
        "deadline": "",
        "name": "",
    }
    return {**data, **changes}


def draft(tree, office_user, **kwargs) -> Campaign:
    return services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user, **kwargs)


# --- deadlines ---------------------------------------------------------------------------------------------------


def test_the_create_form_refuses_a_past_deadline_and_creates_nothing(client, tree, office_user):
    client.force_login(office_user)
    yesterday = timezone.localdate() - timedelta(days=1)

    response = client.post(reverse("campaigns:create"), create_data(tree, deadline=yesterday.isoformat()))

    assert response.status_code == 200
    assert response.context["form"].errors["deadline"] == [
        f"截止日期{yesterday:%Y-%m-%d}已过（今天是{timezone.localdate():%Y-%m-%d}），请改为今天或以后的日期"
    ]
    assert not Campaign.objects.exists()
    assert actions("campaign.") == []


def test_the_create_form_keeps_the_kinds_deadline_while_it_is_ahead(client, tree, office_user):
    client.force_login(office_user)
    year = timezone.localdate().year + 1

    response = client.post(reverse("campaigns:create"), create_data(tree, year=year, kind="mid_year"))

    assert response.status_code == 302
    assert Campaign.objects.get().deadline.isoformat() == f"{year}-06-05"


def test_the_edit_form_refuses_a_past_deadline(client, tree, office_user):
    created = draft(tree, office_user)
    client.force_login(office_user)
    response = client.post(
        reverse("campaigns:edit", args=[created.pk]),
        {
            "name": "新名称",
            "deadline": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "quota_mode": "warn",
            "notice_days": "7",
            "founded_cutoff": f"{YEAR}-01-01",
        },
    )
    assert response.status_code == 200
    assert "已过" in response.context["form"].errors["deadline"][0]
    created.refresh_from_db()
    assert created.name != "新名称"
    assert actions("campaign.") == ["campaign.created"]


def test_it_refuses_to_open_a_campaign_whose_deadline_has_passed(client, tree, office_user):
    # given a draft whose deadline (the kind's, of a past year) has passed
    created = draft(tree, office_user)
    assert created.deadline < timezone.localdate()
    client.force_login(office_user)
    assert "deadline-past" in client.get(reverse("campaigns:detail", args=[created.pk])).content.decode()

    # when the office presses 开展评定, then it is refused with the dates, and nothing opened
    response = client.post(reverse("campaigns:open", args=[created.pk]), follow=True)

    assert f"截止日期{created.deadline:%Y-%m-%d}已过" in response.content.decode()
    created.refresh_from_db()
    assert (created.state, created.evaluations.count()) == (CampaignState.DRAFT, 0)
    assert actions("campaign.") == ["campaign.created"]


# --- the scope page ----------------------------------------------------------------------------------------------


def scope_codes(response) -> list[str]:
    return [row["organization"].code for row in response.context["rows"]]


def test_the_scope_page_lists_before_opening_exactly_the_organizations_that_open_rates(client, tree, office_user):
    # given a draft, with an inactive branch that does not take part
    OrganizationFactory(name="财政局已撤销支部", code="FIN-X", parent=tree.finance, is_active=False)
    created = draft(tree, office_user, deadline=timezone.localdate() + timedelta(days=30))
    client.force_login(office_user)
    url = reverse("campaigns:scope", args=[created.pk])

    # when the office reads the scope page
    response = client.get(url)

    # then it lists the five organizations, counted, without problems
    content = response.content.decode()
    assert scope_codes(response) == ["FIN", "FIN-1", "FIN-2", "EDU", "EDU-1"]
    assert response.context["count"] == 5 and "<strong>5</strong>" in content
    assert "财政局已撤销支部" not in content and response.context["problems"] == []
    # and opening creates an evaluation for exactly those
    client.post(reverse("campaigns:open", args=[created.pk]))
    assert sorted(created.evaluations.values_list("organization__code", flat=True)) == sorted(scope_codes(response))
    assert scope_codes(client.get(url)) == ["FIN", "FIN-1", "FIN-2", "EDU", "EDU-1"]


def test_the_scope_page_searches_and_pages_a_large_scope(client, tree, office_user):
    for number in range(30):
        OrganizationFactory(name=f"教育局第{number + 10}支部", code=f"EDU-{number + 10}", parent=tree.education)
    created = draft(tree, office_user)
    client.force_login(office_user)
    url = reverse("campaigns:scope", args=[created.pk])

    first = client.get(url)
    assert first.context["count"] == 35
    assert len(first.context["rows"]) == 25 and "第 1 / 2 页" in first.content.decode()
    assert len(client.get(url, {"page": 2}).context["rows"]) == 10

    found = client.get(url, {"q": "财政局"})
    assert scope_codes(found) == ["FIN", "FIN-1", "FIN-2"]
    assert found.context["count"] == 35 and found.context["listed_count"] == 3


def test_the_scope_page_says_what_opening_would_refuse(client, tree, office_user):
    created = draft(tree, office_user)  # the kind's deadline of a past year
    client.force_login(office_user)
    response = client.get(reverse("campaigns:scope", args=[created.pk]))
    assert [problem.split("（")[0] for problem in response.context["problems"]] == [
        f"截止日期{created.deadline:%Y-%m-%d}已过"
    ]


def test_the_scope_page_lists_only_what_the_user_sees(client, tree, office_user, reviewer):
    created = draft(tree, office_user)
    client.force_login(reviewer)
    response = client.get(reverse("campaigns:scope", args=[created.pk]))
    assert scope_codes(response) == ["FIN", "FIN-1", "FIN-2"]
    assert response.context["problems"] == []


# --- the quota mode page -----------------------------------------------------------------------------------------


def test_the_office_changes_the_quota_mode_of_an_open_campaign(client, campaign, office_user):
    client.force_login(office_user)
    url = reverse("campaigns:quota_mode", args=[campaign.pk])
    detail = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert f'href="{url}"' in detail

    response = client.post(url, {"quota_mode": "enforce"})

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.quota_mode == QuotaMode.ENFORCE
    assert actions("campaign.")[-1] == "campaign.quota_mode_changed"


def test_the_quota_mode_is_shown_locked_after_the_first_rating_run(
    client, campaign, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    client.force_login(office_user)
    url = reverse("campaigns:quota_mode", args=[campaign.pk])
    assert f'href="{url}"' not in client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()

    page = client.get(url)
    field = page.context["form"]["quota_mode"]
    assert field.field.disabled and field.help_text == "已运行全面评定，比例控制方式不能再修改"
    assert 'type="submit"' not in page.content.decode()

    response = client.post(url, {"quota_mode": "enforce"})
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.quota_mode == QuotaMode.WARN
    assert "campaign.quota_mode_changed" not in actions("campaign.")


def test_the_rating_page_names_the_quota_mode_in_chinese(
    client, campaign, office_user, django_capture_on_commit_callbacks
):
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    client.force_login(office_user)
    content = client.get(reverse("campaigns:rating", args=[campaign.pk])).content.decode()
    assert "星级分布与比例（仅提示）" in content
    assert "warn" not in content


# --- the withdraw buttons ----------------------------------------------------------------------------------------


def test_the_branch_withdraws_its_self_evaluation_with_the_button_offered_until_the_superior_acts(
    client, campaign, tree, secretary, reviewer
):
    fin_1 = evaluation_of(campaign, tree.finance_1)
    page_url = reverse("campaigns:self_evaluation", args=[fin_1.pk])
    withdraw_url = reverse("campaigns:self_withdraw", args=[fin_1.pk])
    client.force_login(secretary)
    # a draft offers no withdrawal
    assert withdraw_url not in client.get(page_url).content.decode()

    # submitted: the page and the evaluation page offer it, and pressing it makes a draft again
    self_evaluate(fin_1, secretary)
    assert withdraw_url in client.get(page_url).content.decode()
    assert withdraw_url in client.get(reverse("campaigns:evaluation", args=[fin_1.pk])).content.decode()
    response = client.post(withdraw_url, follow=True)
    assert "自评已撤回" in response.content.decode()
    fin_1.refresh_from_db()
    assert fin_1.state == E.SELF_DRAFT

    # evaluated by the superior: no more button, and a forged press is refused
    evaluate(fin_1, secretary, reviewer, score=8)
    assert withdraw_url not in client.get(page_url).content.decode()
    response = client.post(withdraw_url, follow=True)
    assert "不能撤回自评" in response.content.decode()
    fin_1.refresh_from_db()
    assert fin_1.state == E.EVALUATED


def test_the_superior_withdraws_its_evaluation_with_the_button_offered_until_the_rating_run(
    client, campaign, tree, secretary, reviewer, office_user, django_capture_on_commit_callbacks
):
    fin_1 = evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=8)
    page_url = reverse("campaigns:superior_evaluation", args=[fin_1.pk])
    withdraw_url = reverse("campaigns:superior_withdraw", args=[fin_1.pk])
    client.force_login(secretary)
    assert withdraw_url not in client.get(reverse("campaigns:evaluation", args=[fin_1.pk])).content.decode()

    client.force_login(reviewer)
    assert withdraw_url in client.get(page_url).content.decode()
    response = client.post(withdraw_url, follow=True)
    assert "考评已撤回" in response.content.decode()
    fin_1.refresh_from_db()
    assert (fin_1.state, fin_1.level) == (E.SELF_SUBMITTED, None)

    # once rated campaign-wide, no more button
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks)
    assert withdraw_url not in client.get(page_url).content.decode()


def test_the_scope_page_costs_the_same_queries_for_five_organizations_and_for_thirty(client, tree, office_user):
    created = draft(tree, office_user)
    client.force_login(office_user)
    url = reverse("campaigns:scope", args=[created.pk])
    client.get(url)  # the session and the user, read once
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(25):
        OrganizationFactory(name=f"教育局第{number + 10}支部", code=f"EDU-{number + 10}", parent=tree.education)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).context["rows"]) == 25
    assert len(many.captured_queries) == len(few.captured_queries)
