"""The records pages under the rule that the rated do not score themselves: status shown, claims confirmed or
sent back by the superior, and only the buttons that work for the viewer."""

from __future__ import annotations

import io

from django.urls import reverse

from tests.records.conftest import PDF
from tests.records.factories import CommendationFactory, CriticismNoticeFactory
from tests.records.test_views import COMMENDATION_POST, xlsx_upload
from xingji.audit.models import AuditEntry
from xingji.records.access import SELF_DEDUCTION
from xingji.records.models import Commendation, CriticismNotice, RecordStatus
from xingji.records.services import attachment_add


def url(name: str, *args) -> str:
    return reverse(f"records:{name}", args=args)


def claim_of(tree, *, title="五好党支部", with_attachment=True):
    record = CommendationFactory(
        organization=tree.finance_1, status=RecordStatus.CLAIMED, entered_by_organization=tree.finance_1, title=title
    )
    if with_attachment:
        attachment_add(record=record, upload=io.BytesIO(PDF), name="证书.pdf", size=len(PDF), actor=None)
    return record


def test_a_branch_reads_its_criticism_notices_without_any_button_to_change_them(login, secretary, tree):
    notice = CriticismNoticeFactory(organization=tree.finance_1)
    client = login(secretary)

    page = client.get(url("list", "criticisms")).content.decode()
    detail = client.get(url("detail", "criticisms", notice.pk)).content.decode()
    create = client.get(url("create", "criticisms"))
    edit = client.get(url("edit", "criticisms", notice.pk))
    delete = client.post(url("delete", "criticisms", notice.pk))

    for text in (url("create", "criticisms"), url("import", "criticisms"), url("edit", "criticisms", notice.pk)):
        assert text not in page and text not in detail
    assert url("delete", "criticisms", notice.pk) not in page + detail
    assert url("attachment_upload", "criticisms", notice.pk) not in detail
    assert (create.status_code, edit.status_code, delete.status_code) == (403, 403, 403)
    assert SELF_DEDUCTION in create.content.decode()
    assert CriticismNotice.objects.filter(pk=notice.pk).exists()
    assert AuditEntry.objects.count() == 0


def test_a_branch_claims_a_commendation_from_the_form(login, secretary, tree):
    response = login(secretary).post(
        url("create", "commendations"), {**COMMENDATION_POST, "organization": tree.finance_1.pk}, follow=True
    )

    record = Commendation.objects.get()
    assert (record.status, record.entered_by, record.entered_by_organization) == (
        RecordStatus.CLAIMED,
        secretary,
        tree.finance_1,
    )
    page = response.content.decode()
    assert "已提交表彰及署名文章申报" in page
    assert "待确认" in page and "确认前须上传证明材料（附件）" in page
    assert url("confirm", "commendations", record.pk) not in page  # the branch does not confirm its own claim


def test_the_list_shows_the_status_and_the_buttons_each_row_allows(login, secretary, tree):
    own_claim = claim_of(tree)
    confirmed = CommendationFactory(organization=tree.finance_1, title="已确认的表彰")
    client = login(secretary)

    response = client.get(url("list", "commendations"))

    page = response.content.decode()
    assert '<span class="badge amber">待确认</span>' in page
    assert '<span class="badge green">已确认</span>' in page
    assert url("edit", "commendations", own_claim.pk) in page
    assert url("edit", "commendations", confirmed.pk) not in page
    assert url("delete", "commendations", confirmed.pk) not in page
    assert client.get(url("edit", "commendations", confirmed.pk)).status_code == 403


def test_the_superior_filters_the_claims_and_confirms_one(login, reviewer, tree):
    waiting = claim_of(tree)
    CommendationFactory(organization=tree.finance_1, title="已确认的表彰")
    client = login(reviewer)

    listed = client.get(url("list", "commendations"), {"status": "claimed"})
    assert [record.title for record, *_ in listed.context["rows"]] == ["五好党支部"]
    assert f"{url('detail', 'commendations', waiting.pk)}#review" in listed.content.decode()
    detail = client.get(url("detail", "commendations", waiting.pk)).content.decode()
    assert (
        url("confirm", "commendations", waiting.pk) in detail and url("reject", "commendations", waiting.pk) in detail
    )

    response = client.post(url("confirm", "commendations", waiting.pk), follow=True)

    waiting.refresh_from_db()
    assert waiting.status == RecordStatus.CONFIRMED and waiting.confirmed_by == reviewer
    assert "已确认“财政局第一支部”的申报，计入评定" in response.content.decode()
    assert url("confirm", "commendations", waiting.pk) not in response.content.decode()
    assert [entry.action for entry in AuditEntry.objects.filter(action__startswith="commendation.")] == [
        "commendation.confirmed"
    ]


def test_the_superior_cannot_confirm_a_claim_without_its_attachment(login, reviewer, tree):
    waiting = claim_of(tree, with_attachment=False)
    client = login(reviewer)

    detail = client.get(url("detail", "commendations", waiting.pk)).content.decode()
    response = client.post(url("confirm", "commendations", waiting.pk), follow=True)

    assert "该申报还没有附件，暂不能确认" in detail and "disabled" in detail
    assert "没有附件：请先上传证明材料（附件）再确认" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == RecordStatus.CLAIMED
    assert AuditEntry.objects.count() == 0


def test_the_superior_sends_a_claim_back_with_a_reason(login, reviewer, tree):
    waiting = claim_of(tree)
    client = login(reviewer)

    empty = client.post(url("reject", "commendations", waiting.pk), {"reason": ""}, follow=True)
    waiting.refresh_from_db()
    assert waiting.status == RecordStatus.CLAIMED
    assert "退回时请填写退回理由" in empty.content.decode()

    response = client.post(url("reject", "commendations", waiting.pk), {"reason": "证书系复印件"}, follow=True)

    waiting.refresh_from_db()
    assert (waiting.status, waiting.review_note) == (RecordStatus.REJECTED, "证书系复印件")
    assert "上级党组织未予确认（不计入评定）：证书系复印件" in response.content.decode()


def test_a_branch_cannot_confirm_its_own_claim_by_posting(login, secretary, tree):
    waiting = claim_of(tree)

    response = login(secretary).post(url("confirm", "commendations", waiting.pk))

    assert response.status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == RecordStatus.CLAIMED


def test_the_form_offers_a_deduction_only_for_the_organizations_below(login, reviewer, tree):
    form = login(reviewer).get(url("create", "criticisms")).context["form"]

    offered = list(form.fields["organization"].queryset.values_list("code", flat=True))

    assert offered == ["FIN-1", "FIN-2"]


def test_the_overview_counts_the_claims_waiting(login, reviewer, tree):
    claim_of(tree)

    page = login(reviewer).get(url("index")).content.decode()

    assert f'{url("list", "commendations")}?status=claimed">待确认申报 1 项</a>' in page


def test_an_import_enters_deductions_only_below_and_commendations_of_the_branch_as_claims(
    login, reviewer, secretary, tree
):
    criticisms = [
        ["组织编号", "日期", "通报单位", "文号", "事由"],
        ["FIN", "2025-02-01", "市直工委", "安直工〔2025〕1号", "迟报材料"],
        ["FIN-1", "2025-02-01", "市直工委", "安直工〔2025〕2号", "迟报材料"],
    ]
    refused = login(reviewer).post(url("import", "criticisms"), {"file": xlsx_upload(criticisms)})
    assert [(error.row, error.column, error.message) for error in refused.context["errors"]] == [
        (2, "组织编号", "找不到编号为“FIN”的党组织"),
    ]
    assert CriticismNotice.objects.count() == 0

    branch = login(secretary)
    assert branch.get(url("import", "criticisms")).status_code == 403
    commendations = [
        ["组织编号", "日期", "类型", "对象", "级别", "名称", "颁发机关或刊发媒体", "文号"],
        ["FIN-1", "2025-03-01", "表彰", "党组织", "市级", "五好党支部", "中共安阳市委", ""],
    ]
    imported = branch.post(url("import", "commendations"), {"file": xlsx_upload(commendations)})
    assert imported.status_code == 302
    assert list(Commendation.objects.values_list("status", "entered_by_organization")) == [
        (RecordStatus.CLAIMED, tree.finance_1.pk)
    ]
