"""The records pages: login, scoping (404 outside the subtree, 403 for writes by inspectors), forms,
attachments, Excel export and import, and a fixed number of queries per list page."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.records.conftest import PDF, stored_files
from tests.records.factories import FACTORIES, AbsenceFactory, CommendationFactory, CriticismNoticeFactory
from xingji.audit.models import AuditEntry
from xingji.records.kinds import KINDS
from xingji.records.models import Attachment, Commendation, CriticismNotice, RecordStatus
from xingji.records.services import attachment_add

COMMENDATION_POST = {
    "date": "2025-06-01",
    "kind": "commendation",
    "recipient": "organization",
    "level": "province",
    "title": "全省先进基层党组织",
    "issuer": "中共河南省委",
    "document_number": "豫发〔2025〕3号",
}


def url(name: str, *args) -> str:
    return reverse(f"records:{name}", args=args)


def record_urls(kind: str, pk: int, attachment_pk: int) -> dict[str, tuple[str, str]]:
    """Every page of one record, with the method that changes something (GET for the reading ones)."""
    return {
        "detail": ("get", url("detail", kind, pk)),
        "edit": ("post", url("edit", kind, pk)),
        "delete": ("post", url("delete", kind, pk)),
        "attachment": ("get", url("attachment", kind, pk, attachment_pk)),
        "attachment_upload": ("post", url("attachment_upload", kind, pk)),
        "attachment_delete": ("post", url("attachment_delete", kind, pk, attachment_pk)),
    }


@pytest.fixture
def foreign_record(tree, secretary):
    """A criticism notice of 教育局第一支部, outside the finance subtree, with an attachment."""
    record = CriticismNoticeFactory(organization=tree.education_1)
    attachment = attachment_add(record=record, upload=io.BytesIO(PDF), name="通报.pdf", size=len(PDF), actor=None)
    return record, attachment


# --- login and scoping ---------------------------------------------------------------


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, tree, foreign_record):
    record, attachment = foreign_record
    pages = [
        url("index"),
        url("facts"),
        *(url(name, "criticisms") for name in ("list", "create", "export", "import", "template")),
    ]
    pages += [address for _, address in record_urls("criticisms", record.pk, attachment.pk).values()]

    for page in pages:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("accounts:login")), page


def test_it_answers_a_record_outside_the_subtree_like_a_missing_one(login, reviewer, foreign_record):
    record, attachment = foreign_record
    client = login(reviewer)
    entries = AuditEntry.objects.count()

    for name, (method, address) in record_urls("criticisms", record.pk, attachment.pk).items():
        foreign = getattr(client, method)(address)
        missing = getattr(client, method)(address.replace(f"/{record.pk}/", f"/{record.pk + 1000}/"))
        assert (name, foreign.status_code, missing.status_code) == (name, 404, 404)

    assert CriticismNotice.objects.filter(pk=record.pk).exists()
    assert (Attachment.objects.count(), AuditEntry.objects.count()) == (1, entries)


def test_it_does_not_serve_an_attachment_through_another_record(login, office_user, tree, foreign_record):
    _, attachment = foreign_record
    own = CriticismNoticeFactory(organization=tree.finance_1)

    response = login(office_user).get(url("attachment", "criticisms", own.pk, attachment.pk))

    assert response.status_code == 404


def test_it_lets_an_inspector_read_but_refuses_every_write(login, inspector, tree, attachments_root):
    record = CriticismNoticeFactory(organization=tree.finance_1)
    attachment = attachment_add(record=record, upload=io.BytesIO(PDF), name="通报.pdf", size=len(PDF), actor=None)
    client = login(inspector)
    entries = AuditEntry.objects.count()

    assert client.get(url("list", "criticisms")).status_code == 200
    assert client.get(url("detail", "criticisms", record.pk)).status_code == 200
    assert client.get(url("attachment", "criticisms", record.pk, attachment.pk)).status_code == 200
    assert client.get(url("export", "criticisms")).status_code == 200
    writes = {
        "create (form)": client.get(url("create", "criticisms")),
        "create": client.post(
            url("create", "criticisms"),
            {"organization": tree.finance_1.pk, "date": "2025-01-01", "issuer": "working_committee", "reason": "x"},
        ),
        "edit (form)": client.get(url("edit", "criticisms", record.pk)),
        "edit": client.post(url("edit", "criticisms", record.pk), {"reason": "改"}),
        "delete": client.post(url("delete", "criticisms", record.pk)),
        "import (form)": client.get(url("import", "criticisms")),
        "upload": client.post(
            url("attachment_upload", "criticisms", record.pk), {"file": SimpleUploadedFile("a.pdf", PDF)}
        ),
        "delete attachment": client.post(url("attachment_delete", "criticisms", record.pk, attachment.pk)),
    }

    assert {name: response.status_code for name, response in writes.items()} == dict.fromkeys(writes, 403)
    assert CriticismNotice.objects.count() == 1
    assert (Attachment.objects.count(), len(stored_files(attachments_root))) == (1, 1)
    assert AuditEntry.objects.count() == entries


def test_it_answers_an_unknown_kind_with_404(login, office_user):
    assert login(office_user).get("/records/awards/").status_code == 404


# --- lists ------------------------------------------------------------------------------


def test_it_lists_only_the_subtree_with_search_and_filters(login, reviewer, tree):
    CommendationFactory(organization=tree.finance_1, title="优秀党支部", level="city")
    CommendationFactory(organization=tree.finance_2, title="优秀党支部", level="province")
    CommendationFactory(organization=tree.education_1, title="优秀党支部", level="province")
    client = login(reviewer)

    everything = client.get(url("list", "commendations"))
    province = client.get(url("list", "commendations"), {"q": "优秀", "level": "province", "year": 2025})
    foreign_filter = client.get(url("list", "commendations"), {"organization": tree.education_1.pk})

    def codes(response):
        return sorted(record.organization.code for record, *_ in response.context["rows"])

    assert codes(everything) == ["FIN-1", "FIN-2"]
    assert codes(province) == ["FIN-2"]
    assert codes(foreign_filter) == ["FIN-1", "FIN-2"]  # a filter outside the subtree is ignored
    assert "省级" in province.content.decode()


def test_it_narrows_to_the_organization_itself_on_request(login, reviewer, tree):
    # What an evaluation's facts link to: the records its rating reads, not its branches' too.
    CommendationFactory(organization=tree.finance, title="机关党委的表彰")
    CommendationFactory(organization=tree.finance_1, title="支部的表彰")
    client = login(reviewer)

    subtree = client.get(url("list", "commendations"), {"organization": tree.finance.pk})
    own = client.get(url("list", "commendations"), {"organization": tree.finance.pk, "scope": "own"})

    assert sorted(record.title for record, *_ in subtree.context["rows"]) == ["支部的表彰", "机关党委的表彰"]
    assert [record.title for record, *_ in own.context["rows"]] == ["机关党委的表彰"]
    assert '<option value="own" selected>仅本组织</option>' in own.content.decode()


def test_a_year_without_records_still_filters_the_list(login, reviewer, tree):
    # A link from an evaluation's facts names the campaign's year, which may have no record of this kind.
    CommendationFactory(organization=tree.finance_1, title="优秀党支部", level="city")
    client = login(reviewer)

    empty_year = client.get(url("list", "commendations"), {"year": 2011})
    nonsense = client.get(url("list", "commendations"), {"year": 1066})
    huge = client.get(url("list", "commendations"), {"year": "9" * 5000})

    assert list(empty_year.context["rows"]) == []
    assert 'value="2011" selected' in empty_year.content.decode()
    assert len(list(nonsense.context["rows"])) == 1  # outside 2000–2100: ignored, as any invalid filter
    assert huge.status_code == 200 and len(list(huge.context["rows"])) == 1


def test_it_pages_a_list_by_twenty_five(login, office_user, tree):
    Commendation.objects.bulk_create(
        CommendationFactory.build(organization=tree.finance_1, title=f"表彰{index}") for index in range(26)
    )

    first = login(office_user).get(url("list", "commendations"))
    second = login(office_user).get(url("list", "commendations"), {"page": 2})

    assert (len(first.context["rows"]), len(second.context["rows"])) == (25, 1)


def list_queries(client, kind: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url("list", kind), {"year": 2025})
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("kind", list(KINDS))
def test_it_lists_ten_or_a_thousand_records_in_the_same_number_of_queries(login, office_user, tree, kind):
    factory = FACTORIES[KINDS[kind].model]
    organizations = [tree.finance_1, tree.finance_2, tree.education_1]
    client = login(office_user)

    def add(count: int) -> None:
        records = [factory.build(organization=organizations[index % 3]) for index in range(count)]
        KINDS[kind].model.objects.bulk_create(records)

    add(10)
    list_queries(client, kind)  # warm the caches (content types, sessions)
    with_ten = list_queries(client, kind)
    add(990)
    with_a_thousand = list_queries(client, kind)

    assert KINDS[kind].model.objects.count() == 1000
    assert with_ten == with_a_thousand


# --- forms ------------------------------------------------------------------------------


def test_it_creates_a_record_from_the_form(login, secretary, tree):
    response = login(secretary).post(
        url("create", "commendations"), {**COMMENDATION_POST, "organization": tree.finance_1.pk}
    )

    record = Commendation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", "commendations", record.pk)
    assert (record.organization, record.level, record.title) == (tree.finance_1, "province", "全省先进基层党组织")
    assert [entry.action for entry in AuditEntry.objects.all()] == ["commendation.created"]


def test_it_shows_validation_messages_in_chinese_and_writes_nothing(login, secretary, tree):
    response = login(secretary).post(
        url("create", "commendations"),
        {
            **COMMENDATION_POST,
            "organization": tree.finance_1.pk,
            "date": "2099-01-01",
            "level": "county",
            "title": "",
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["date"] == ["日期不能晚于今天"]
    assert errors["title"] == ["这个字段是必填项。"]
    assert errors["level"] == ["选择一个有效的选项。 county 不在可用的选项中。"]
    assert (Commendation.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_it_refuses_an_organization_outside_the_subtree_in_the_form(login, secretary, tree):
    response = login(secretary).post(
        url("create", "commendations"), {**COMMENDATION_POST, "organization": tree.finance_2.pk}
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["organization"]
    assert (Commendation.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_it_shows_a_service_refusal_on_the_form(login, secretary, tree):
    client = login(secretary)
    data = {**COMMENDATION_POST, "organization": tree.finance_1.pk}
    client.post(url("create", "commendations"), data)

    response = client.post(url("create", "commendations"), data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["已有一条完全相同的记录"]
    assert Commendation.objects.count() == 1


def test_it_edits_and_deletes_a_record(login, reviewer, tree):
    # an absence of the branch, changed by its superior (the branch only reads its deductions)
    record = AbsenceFactory(organization=tree.finance_1, description="季度会议")
    client = login(reviewer)
    form = client.get(url("edit", "absences", record.pk)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update({"is_excused": "on", "excuse_reason": "出差，已请假", "date": "2025-05-20"})

    edited = client.post(url("edit", "absences", record.pk), data)
    deleted = client.post(url("delete", "absences", record.pk))

    assert edited.status_code == 302 and deleted.status_code == 302
    entries = list(AuditEntry.objects.all())
    assert [entry.action for entry in entries] == ["absence.updated", "absence.deleted"]
    assert entries[0].after == {"is_excused": True, "excuse_reason": "出差，已请假"}
    assert not type(record).objects.exists()


# --- attachments ----------------------------------------------------------------------


def own_claim(tree, **fields):
    """A commendation the secretary's branch claimed (申报): the branch may still change it and add its proofs."""
    return CommendationFactory(
        organization=tree.finance_1, status=RecordStatus.CLAIMED, entered_by_organization=tree.finance_1, **fields
    )


def test_it_uploads_and_downloads_an_attachment(login, secretary, tree, attachments_root):
    record = own_claim(tree)
    client = login(secretary)

    uploaded = client.post(
        url("attachment_upload", "commendations", record.pk),
        {"file": SimpleUploadedFile("表彰决定.pdf", PDF, content_type="application/pdf")},
    )
    attachment = Attachment.objects.get()
    downloaded = client.get(url("attachment", "commendations", record.pk, attachment.pk))

    assert uploaded.status_code == 302
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PDF
    assert downloaded["Content-Type"] == "application/pdf"
    assert downloaded["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E8%A1%A8%E5%BD%B0%E5%86%B3%E5%AE%9A.pdf" in downloaded["Content-Disposition"]
    assert len(stored_files(attachments_root)) == 1


def page_messages(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


def test_it_refuses_an_upload_of_the_wrong_type_back_on_the_record_page(login, secretary, tree, attachments_root):
    record = own_claim(tree)

    response = login(secretary).post(
        url("attachment_upload", "commendations", record.pk),
        {"file": SimpleUploadedFile("证书.pdf", b"<html>not a pdf</html>")},
        follow=True,
    )

    # A reload of the page shown must not repeat a POST, nor land on the POST-only upload URL (405).
    assert response.redirect_chain == [(url("detail", "commendations", record.pk), 302)]
    assert response.status_code == 200
    assert page_messages(response) == [("error", "附件未上传：文件内容与扩展名不符，不是有效的 PDF 文件")]
    assert (Attachment.objects.count(), AuditEntry.objects.count(), stored_files(attachments_root)) == (0, 0, [])


def test_it_asks_for_a_file_when_the_upload_has_none(login, secretary, tree, attachments_root):
    record = own_claim(tree)

    response = login(secretary).post(url("attachment_upload", "commendations", record.pk), {}, follow=True)

    assert response.redirect_chain == [(url("detail", "commendations", record.pk), 302)]
    assert page_messages(response) == [("error", "请选择要上传的附件文件")]
    assert (Attachment.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_it_refuses_an_upload_over_the_limit_back_on_the_page(login, secretary, tree, settings, attachments_root):
    settings.XINGJI_ATTACHMENT_MAX_BYTES = 100
    record = own_claim(tree)

    response = login(secretary).post(
        url("attachment_upload", "commendations", record.pk),
        {"file": SimpleUploadedFile("证书.pdf", PDF + b"0" * 100)},
        follow=True,
    )

    assert response.redirect_chain == [(url("detail", "commendations", record.pk), 302)]
    [(level, text)] = page_messages(response)
    assert level == "error"
    assert text.startswith("附件未上传：附件不能超过 100 字节")
    assert (Attachment.objects.count(), AuditEntry.objects.count(), stored_files(attachments_root)) == (0, 0, [])


# --- Excel ------------------------------------------------------------------------------


def test_it_exports_the_filtered_list_to_excel(login, reviewer, tree):
    CommendationFactory(organization=tree.finance_1, date=date(2025, 3, 1), title="甲", level="city")
    CommendationFactory(organization=tree.finance_2, date=date(2024, 3, 1), title="乙", level="city")
    CommendationFactory(organization=tree.education_1, date=date(2025, 3, 1), title="丙", level="city")

    response = login(reviewer).get(url("export", "commendations"), {"year": 2025})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [
        ("组织编号", "党组织名称", "日期", "类型", "对象", "级别", "名称", "颁发机关或刊发媒体", "文号", "附件数"),
        (
            "FIN-1",
            "财政局第一支部",
            datetime(2025, 3, 1),  # noqa: DTZ001 - Excel has no time zone
            "表彰",
            "党组织",
            "市级",
            "甲",
            "中共安阳市委",
            rows[1][8],
            0,
        ),
    ]
    assert rows[1][8].startswith("安发〔2025〕")


def test_it_downloads_the_import_template(login, inspector):
    response = login(inspector).get(url("template", "absences"))

    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == [
        "组织编号",
        "党组织名称",
        "日期",
        "类型",
        "事项",
        "有正当理由",
        "请假或延期事由",
    ]


def xlsx_upload(rows: list[list]) -> SimpleUploadedFile:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("导入.xlsx", buffer.getvalue())


def test_it_shows_the_import_errors_row_by_row_and_writes_nothing(login, reviewer, tree):
    rows = [
        ["组织编号", "日期", "通报单位", "文号", "事由"],
        ["FIN-1", "2025-02-01", "市直工委", "安直工〔2025〕1号", "迟报材料"],
        ["EDU-1", "2025-02-01", "市直工委", "安直工〔2025〕1号", "迟报材料"],
        ["FIN-2", "2025-02-01", "省委", "", "迟报材料"],
    ]

    response = login(reviewer).post(url("import", "criticisms"), {"file": xlsx_upload(rows)})

    assert response.status_code == 200
    assert [(error.row, error.column, error.message) for error in response.context["errors"]] == [
        (3, "组织编号", "找不到编号为“EDU-1”的党组织"),
        (4, "通报单位", "“省委”不是有效的通报单位，可填：市直工委、市委"),
    ]
    page = response.content.decode()
    assert "文件有 2 处错误，未导入任何记录" in page and "第4行" in page
    assert (CriticismNotice.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_it_imports_a_correct_file_and_says_how_many(login, reviewer, tree):
    rows = [
        ["组织编号", "日期", "通报单位", "文号", "事由"],
        ["FIN-1", "2025-02-01", "市直工委", "安直工〔2025〕1号", "迟报材料"],
        ["FIN-2", "2025-02-01", "市委", "", "整改不力"],
    ]

    response = login(reviewer).post(url("import", "criticisms"), {"file": xlsx_upload(rows)}, follow=True)

    assert response.redirect_chain == [(url("list", "criticisms"), 302)]
    assert "已导入 2 条通报批评记录" in response.content.decode()
    assert CriticismNotice.objects.count() == 2


# --- the overview pages -----------------------------------------------------------------


def test_it_shows_the_overview_and_the_facts_of_an_organization(login, reviewer, tree):
    AbsenceFactory(organization=tree.finance_1, date=date(2025, 3, 1))
    client = login(reviewer)

    overview = client.get(url("index"))
    facts = client.get(url("facts"), {"organization": tree.finance_1.pk, "year": 2025})
    foreign = client.get(url("facts"), {"organization": tree.education_1.pk, "year": 2025})

    assert overview.status_code == 200
    assert facts.context["facts"]["absences"] == 1
    assert "<td>无故缺席或未按时完成任务</td><td>1 次</td>" in facts.content.decode()
    assert foreign.status_code == 200 and foreign.context["facts"] is None


def test_it_refuses_an_import_file_over_the_limit_before_reading_it(login, reviewer, tree, settings):
    settings.XINGJI_ATTACHMENT_MAX_BYTES = 1024
    rows = [["组织编号", "日期", "通报单位", "文号", "事由"]] + [
        ["FIN-1", "2025-02-01", "市直工委", f"安直工〔2025〕{index}号", "迟报材料" * 50] for index in range(50)
    ]

    response = login(reviewer).post(url("import", "criticisms"), {"file": xlsx_upload(rows)})

    assert [(error.row, error.column, error.message) for error in response.context["errors"]] == [
        (None, "", "文件不能超过 1.0 KB"),
    ]
    assert CriticismNotice.objects.count() == 0


def test_it_shows_a_record_with_its_attachments_and_asks_before_deleting(login, secretary, tree):
    record = own_claim(tree, title="五好党支部", level="province")
    attachment = attachment_add(record=record, upload=io.BytesIO(PDF), name="证书.pdf", size=len(PDF), actor=None)
    client = login(secretary)

    detail = client.get(url("detail", "commendations", record.pk)).content.decode()
    confirm = client.get(url("delete", "commendations", record.pk)).content.decode()

    assert "省级表彰：五好党支部" in detail
    assert url("attachment", "commendations", record.pk, attachment.pk) in detail
    assert "计入年度" in detail and "2025年" in detail
    assert "其 1 个附件将一并删除" in confirm
    assert Commendation.objects.count() == 1
