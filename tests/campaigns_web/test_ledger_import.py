"""The star-ledger import page (导入星级管理台账): upload, template, errors per row, who may."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tests.campaigns.test_ledger_import import BODY, HEADERS, LAST_YEAR, YEAR_BEFORE, xlsx
from xingji.audit.models import AuditEntry
from xingji.campaigns.models import StarLedgerEntry
from xingji.campaigns.selectors import current_level

pytestmark = pytest.mark.django_db

PAGE = "campaigns:ledger_import"
TEMPLATE = "campaigns:ledger_import_template"


def upload(client, content: bytes, name: str = "台账.xlsx"):
    return client.post(reverse(PAGE), {"file": SimpleUploadedFile(name, content)})


def test_the_office_imports_a_file_and_reads_the_result(client, tree, office_user):
    client.force_login(office_user)
    page = client.get(reverse(PAGE))
    assert page.status_code == 200
    assert reverse(TEMPLATE) in page.content.decode()

    response = upload(
        client,
        xlsx(
            [
                ("财政局第一支部（FIN-1）", "三星级", YEAR_BEFORE, BODY, "2024年度星级评定"),
                ("FIN-1", "五星级", LAST_YEAR, BODY, "2025年度星级评定"),
                ("FIN-2", 4, LAST_YEAR, BODY, "2025年度星级评定"),
            ]
        ),
    )

    assert response.status_code == 302 and response["Location"] == reverse(PAGE)
    assert "已导入 3 条星级台账记录（2 个党组织）" in client.get(response["Location"]).content.decode()
    assert current_level(tree.finance_1) == 5
    assert StarLedgerEntry.objects.get(organization=tree.finance_1, level=5).previous_level == 3
    assert AuditEntry.objects.filter(action="star_ledger.imported").count() == 3
    ledger = client.get(reverse("campaigns:ledger", args=[tree.finance_1.pk])).content.decode()
    assert "历史台账导入：2025年度星级评定" in ledger


def test_a_refused_file_lists_every_error_by_row_and_writes_nothing(client, tree, office_user):
    client.force_login(office_user)
    audits = AuditEntry.objects.count()

    response = upload(
        client,
        xlsx(
            [
                ("FIN-1", 3, LAST_YEAR, BODY, "2025年度"),
                ("NOPE", 3, LAST_YEAR, BODY, "2025年度"),
                ("FIN-2", "优秀", LAST_YEAR, BODY, "2025年度"),
                ("FIN-1", 4, LAST_YEAR, BODY, "2025年度"),
            ]
        ),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "文件有 3 处错误，未导入任何台账记录" in html
    for text in ("第4行", "找不到编号为“NOPE”的党组织", "第5行", "不是有效的星级", "第6行", "与第3行重复"):
        assert text in html
    assert StarLedgerEntry.objects.count() == 0
    assert AuditEntry.objects.count() == audits


def test_a_file_that_is_not_an_xlsx_is_refused(client, tree, office_user):
    client.force_login(office_user)
    response = upload(client, b"%PDF-1.4 not a sheet", name="台账.pdf")
    assert response.status_code == 200
    assert "文件不是有效的 Excel（.xlsx）文件" in response.content.decode()
    assert StarLedgerEntry.objects.count() == 0


def test_the_template_downloads_with_the_import_headers(client, tree, office_user):
    client.force_login(office_user)
    response = client.get(reverse(TEMPLATE))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [cell.value for cell in sheet[2]] == HEADERS


def test_the_campaign_list_links_to_the_import_for_the_office_only(client, tree, office_user, reviewer):
    client.force_login(office_user)
    assert reverse(PAGE) in client.get(reverse("campaigns:list")).content.decode()
    client.force_login(reviewer)
    assert reverse(PAGE) not in client.get(reverse("campaigns:list")).content.decode()


@pytest.mark.parametrize("who", ["reviewer", "secretary", "inspector"])
def test_other_roles_get_403_and_write_nothing(client, tree, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(PAGE)).status_code == 403
    assert client.get(reverse(TEMPLATE)).status_code == 403
    assert upload(client, xlsx([("FIN-1", 3, LAST_YEAR, BODY, "2025年度")])).status_code == 403
    assert StarLedgerEntry.objects.count() == 0


def test_an_anonymous_client_is_sent_to_log_in(client, tree):
    for response in (
        client.get(reverse(PAGE)),
        client.get(reverse(TEMPLATE)),
        upload(client, xlsx([("FIN-1", 3, LAST_YEAR, BODY, "2025年度")])),
    ):
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]
    assert StarLedgerEntry.objects.count() == 0


def test_a_superuser_may_import(client, tree, superuser):
    client.force_login(superuser)
    assert upload(client, xlsx([("EDU-1", "无星级", LAST_YEAR, BODY, "2025年度")])).status_code == 302
    assert current_level(tree.education_1) == 0
