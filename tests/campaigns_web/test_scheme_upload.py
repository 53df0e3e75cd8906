"""An office uploads a scheme for its campaign: refused with the line and the reason, previewed, then confirmed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.campaigns.steps import YEAR, actions, audit_count, rated_campaign, self_evaluate
from tests.factories import OrganizationFactory, UserFactory
from xingji.accounts.models import Role
from xingji.audit.models import AuditEntry
from xingji.campaigns import services
from xingji.campaigns.models import Campaign
from xingji.campaigns.services import scheme_upload
from xingji.orgs.models import OrganizationType
from xingji.rules.scheme import scheme_path

ANYANG = scheme_path("anyang-2017").read_text(encoding="utf-8")
#: anyang-2017 with the four-star band raised from 80 to 85: an organization with 80 points drops to three stars.
STRICTER = (
    ANYANG.replace('id = "anyang-2017"', 'id = "anyang-strict"')
    .replace('name = "安阳市直机关基层服务型党组织星级创建（2017）"', 'name = "安阳（四星级85分）"')
    .replace("min_score = 70\nmax_score = 80", "min_score = 70\nmax_score = 85")
    .replace("min_score = 80\nmax_score = 90", "min_score = 85\nmax_score = 90")
)


def _file(text: str | bytes, name: str = "strict.toml") -> SimpleUploadedFile:
    content = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="application/toml")


@pytest.fixture
def draft(tree, office_user) -> Campaign:
    """Next year's campaign over the same root, a draft: it may take another scheme."""
    return services.campaign_create(root=tree.root, year=YEAR + 1, kind="mid_year", actor=office_user)


@pytest.fixture
def last_year(campaign, office_user, django_capture_on_commit_callbacks) -> Campaign:
    """The fixture's campaign rated: FIN-1 with 95 points, everyone else 80 (four stars by anyang-2017)."""
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, {"FIN-1": "9.5"})
    return campaign


def _upload(client, campaign, upload):
    return client.post(reverse("campaigns:campaign_scheme_upload", args=[campaign.pk]), {"scheme_file": upload})


def _unchanged(campaign: Campaign) -> tuple:
    campaign = Campaign.objects.get(pk=campaign.pk)
    return campaign.scheme_code, campaign.scheme_origin, campaign.scheme_text


def test_a_good_upload_previews_last_years_results_then_confirms_and_the_rating_uses_it(
    client, office_user, last_year, draft, django_capture_on_commit_callbacks
):
    stored = dict(last_year.evaluations.values_list("organization__code", "level"))
    assert stored["FIN-1"] == 5 and {level for code, level in stored.items() if code != "FIN-1"} == {4}
    client.force_login(office_user)
    before = _unchanged(draft)

    response = _upload(client, draft, _file(STRICTER))
    preview_url = reverse("campaigns:campaign_scheme_preview", args=[draft.pk])
    assert response.status_code == 302 and response["Location"] == preview_url
    assert _unchanged(draft) == before

    page = client.get(preview_url)
    assert page.status_code == 200
    preview = page.context["preview"]
    assert preview.previous == last_year and preview.compared == len(stored)
    counts = {name: (old, new) for name, old, new in preview.counts}
    four = len(stored) - 1
    assert counts["五星级"] == (1, 1) and counts["四星级"] == (four, 0) and counts["三星级"] == (0, four)
    assert sorted(row.code for row in preview.changed) == sorted(code for code in stored if code != "FIN-1")
    assert {(row.old_level, row.new_level, row.up) for row in preview.changed} == {("四星级", "三星级", False)}
    assert all(row.reason for row in preview.changed)
    assert "安阳（四星级85分）" in page.content.decode()
    assert page.context["description"].sections[0].rows[1] == ("四星级", "85.00 分及以上", "90.00 分以下")
    # Searchable: one organization by its code.
    searched = client.get(preview_url, {"q": "FIN-2"})
    assert [row.code for row in searched.context["page_obj"]] == ["FIN-2"]
    assert _unchanged(draft) == before

    entries = audit_count()
    confirmed = client.post(reverse("campaigns:campaign_scheme_confirm", args=[draft.pk]), {"sha256": preview.sha256})
    assert confirmed.status_code == 302
    draft.refresh_from_db()
    assert (draft.scheme_code, draft.scheme_name) == ("anyang-strict", "安阳（四星级85分）")
    assert draft.scheme_origin == "上传：strict.toml" and draft.scheme_text == STRICTER
    assert audit_count() == entries + 1
    entry = AuditEntry.objects.get(action="campaign.scheme_uploaded")
    assert entry.actor == office_user and entry.after["scheme_code"] == "anyang-strict"
    assert entry.before["scheme_code"] == "anyang-2017"

    # End to end: the campaign, opened and rated, rates with the uploaded scheme (80 points: three stars).
    opened = services.campaign_open(campaign=draft, actor=office_user)
    rated_campaign(opened, office_user, django_capture_on_commit_callbacks, {"FIN-1": "9.5"})
    levels = dict(opened.evaluations.values_list("organization__code", "level"))
    assert levels["FIN-1"] == 5 and {level for code, level in levels.items() if code != "FIN-1"} == {3}


def test_without_an_earlier_rated_campaign_the_preview_says_so_and_still_confirms(client, office_user, draft):
    client.force_login(office_user)
    _upload(client, draft, _file(STRICTER))
    page = client.get(reverse("campaigns:campaign_scheme_preview", args=[draft.pk]))
    assert "没有上一年度的评定结果可供对比" in page.content.decode()
    client.post(
        reverse("campaigns:campaign_scheme_confirm", args=[draft.pk]), {"sha256": page.context["preview"].sha256}
    )
    assert Campaign.objects.get(pk=draft.pk).scheme_code == "anyang-strict"
    assert actions("campaign.scheme_uploaded") == ["campaign.scheme_uploaded"]


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        # A TOML syntax error: the line and column.
        (_file(ANYANG.replace("weights = {", "weights = {{")), "第17行第12列"),
        # A validation error: the key and its line.
        (_file(ANYANG.replace("full_marks = 100", 'full_marks = "满分"')), "第10行，键 full_marks"),
        (_file(ANYANG.replace('name = "四星级"', 'name = "四星级"\nstars = 4')), "键 levels[4].stars：未知的键"),
        # Not UTF-8 text, binary, not .toml, empty, too big.
        (_file(ANYANG.encode("gbk")), "不是 UTF-8 编码"),
        (_file(b"id = 1\x00\x01\x02"), "不是文本文件"),
        (_file(ANYANG, name="scheme.xlsx"), "应为 .toml 文件"),
        (_file(b""), "空文件"),
        (_file(b"  \n"), "评定方案文件是空的"),
        (_file(ANYANG + "#" * (scheme_upload.MAX_SCHEME_BYTES + 1)), "不能超过256KB"),
    ],
)
def test_a_bad_file_is_refused_with_its_line_and_reason_and_nothing_is_kept(
    client, office_user, draft, upload, expected
):
    client.force_login(office_user)
    before, entries = _unchanged(draft), audit_count()
    response = _upload(client, draft, upload)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get("scheme_file", []))
    assert expected in errors, errors
    assert expected in response.content.decode()
    assert _unchanged(draft) == before and audit_count() == entries
    assert not any(key.startswith("scheme_upload:") for key in client.session.keys())  # noqa: SIM118 (a session is not iterable)


def test_a_campaign_already_rated_is_refused(client, office_user, last_year):
    client.force_login(office_user)
    page = client.get(reverse("campaigns:campaign_scheme_upload", args=[last_year.pk]))
    assert "已有评定结果，不能再更换评定方案" in page.content.decode()
    assert "上传并预览" not in page.content.decode()
    before = _unchanged(last_year)
    _upload(client, last_year, _file(STRICTER))
    assert _unchanged(last_year) == before
    with pytest.raises(Exception, match="已有评定结果"):
        scheme_upload.campaign_scheme_upload(
            campaign=last_year,
            text=STRICTER,
            filename="strict.toml",
            sha256=scheme_upload.sha256_of(STRICTER),
            actor=office_user,
        )
    assert _unchanged(last_year) == before


def test_an_opened_campaign_with_scores_entered_is_refused(client, office_user, campaign, secretary, tree):
    self_evaluate(campaign.evaluations.get(organization=tree.finance_1), secretary)
    with pytest.raises(Exception, match="录入了评分"):
        scheme_upload.scheme_upload_check(campaign)


def test_another_office_and_other_roles_cannot_upload(client, draft, reviewer):
    other_root = OrganizationFactory(name="另一工委", code="OTHER", org_type=OrganizationType.PARTY_COMMITTEE)
    other_office = UserFactory(username="other-office", organization=other_root, role=Role.COMMITTEE_OFFICE)
    upload_url = reverse("campaigns:campaign_scheme_upload", args=[draft.pk])
    confirm_url = reverse("campaigns:campaign_scheme_confirm", args=[draft.pk])
    before = _unchanged(draft)
    client.force_login(other_office)
    assert client.get(upload_url).status_code == 404
    assert _upload(client, draft, _file(STRICTER)).status_code == 404
    assert client.post(confirm_url, {"sha256": scheme_upload.sha256_of(STRICTER)}).status_code == 404
    client.force_login(reviewer)
    assert client.get(upload_url).status_code == 403
    assert _upload(client, draft, _file(STRICTER)).status_code == 403
    assert _unchanged(draft) == before


def test_a_tampered_confirmation_is_refused(client, office_user, draft):
    client.force_login(office_user)
    confirm_url = reverse("campaigns:campaign_scheme_confirm", args=[draft.pk])
    before, entries = _unchanged(draft), audit_count()
    # Nothing uploaded: nothing to confirm.
    response = client.post(confirm_url, {"sha256": scheme_upload.sha256_of(STRICTER)})
    assert response["Location"] == reverse("campaigns:campaign_scheme_upload", args=[draft.pk])
    # Uploaded, then confirmed with another text's hash (or none): refused, the upload still waits.
    _upload(client, draft, _file(STRICTER))
    for posted in ({"sha256": scheme_upload.sha256_of(ANYANG)}, {"sha256": "0" * 64}, {}):
        response = client.post(confirm_url, posted, follow=True)
        assert "与预览的不一致" in response.content.decode()
    assert _unchanged(draft) == before and audit_count() == entries
    # The service refuses a text that is not the one previewed, whoever calls it.
    with pytest.raises(Exception, match="与预览的不一致"):
        scheme_upload.campaign_scheme_upload(
            campaign=draft, text=STRICTER, filename="x.toml", sha256=scheme_upload.sha256_of(ANYANG), actor=office_user
        )
    assert _unchanged(draft) == before and audit_count() == entries


def test_cancelling_drops_the_upload(client, office_user, draft):
    client.force_login(office_user)
    _upload(client, draft, _file(STRICTER))
    client.post(reverse("campaigns:campaign_scheme_cancel", args=[draft.pk]))
    response = client.get(reverse("campaigns:campaign_scheme_preview", args=[draft.pk]))
    assert response["Location"] == reverse("campaigns:campaign_scheme_upload", args=[draft.pk])
    assert Campaign.objects.get(pk=draft.pk).scheme_code == "anyang-2017"


def test_the_scheme_and_setup_pages_link_to_the_upload(client, office_user, draft, reviewer):
    client.force_login(office_user)
    upload_url = reverse("campaigns:campaign_scheme_upload", args=[draft.pk])
    assert upload_url in client.get(reverse("campaigns:campaign_scheme", args=[draft.pk])).content.decode()
    assert upload_url in client.get(reverse("campaigns:detail", args=[draft.pk])).content.decode()
    assert client.get(upload_url).status_code == 200
    client.force_login(reviewer)
    assert upload_url not in client.get(reverse("campaigns:campaign_scheme", args=[draft.pk])).content.decode()


def test_the_key_line_finds_a_key_in_its_table():
    text = 'id = "x"\n[composite]\nweights = { self = 1 }\n[[levels]]\nvalue = 0\n[[levels]]\nvalue = 1\nname = "一"\n'
    assert scheme_upload.key_line(text, "id") == 1
    assert scheme_upload.key_line(text, "composite.weights") == 3
    assert scheme_upload.key_line(text, "levels[1].name") == 8
    assert scheme_upload.key_line(text, "levels[1].missing") == 6
    assert scheme_upload.key_line(text, "nowhere") is None
