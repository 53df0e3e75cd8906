"""The back office's records pages: for administrators, writing through services, and still scoped like the rest.

Only superusers enter ``/admin/`` (every other role gets 403: tests/accounts/test_admin_gate.py); the admin
classes keep scoping querysets, choices and permissions by the user's subtree and role all the same, tested
here on the admin classes directly.
"""

from __future__ import annotations

import io

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory

from tests.records.conftest import PDF
from tests.records.factories import AbsenceFactory, CommendationFactory
from xingji.audit.models import AuditEntry
from xingji.records.models import Absence, Attachment, Commendation
from xingji.records.services import attachment_add

COMMENDATIONS = "/admin/records/commendation/"
ABSENCES = "/admin/records/absence/"
ATTACHMENTS = "/admin/records/attachment/"


def model_admin(model):
    return admin.site._registry[model]


def request_of(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_it_scopes_the_records_to_the_subtree(reviewer, tree):
    CommendationFactory(organization=tree.finance_1, title="甲")
    CommendationFactory(organization=tree.education_1, title="乙")

    shown = model_admin(Commendation).get_queryset(request_of(reviewer))

    assert [record.title for record in shown] == ["甲"]


def test_it_answers_a_foreign_and_a_missing_record_alike(reviewer, tree):
    foreign = CommendationFactory(organization=tree.education_1)

    found = [
        model_admin(Commendation).get_object(request_of(reviewer), str(pk)) for pk in (foreign.pk, foreign.pk + 1000)
    ]

    assert found == [None, None]


def test_it_creates_a_record_through_the_service(login, superuser, tree):
    response = login(superuser).post(
        f"{COMMENDATIONS}add/",
        {
            "organization": tree.finance_1.pk,
            "date": "2025-03-02",
            "kind": "commendation",
            "recipient": "secretary",
            "level": "national",
            "title": "全国优秀党务工作者",
            "issuer": "中共中央",
            "document_number": "",
        },
    )

    assert response.status_code == 302
    record = Commendation.objects.get()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_id, entry.actor) == ("commendation.created", str(record.pk), superuser)


def test_it_offers_no_organization_outside_the_subtree(secretary, tree):
    field = model_admin(Commendation).formfield_for_foreignkey(
        Commendation._meta.get_field("organization"), request_of(secretary)
    )

    assert tree.education_1 not in field.queryset


def test_it_refuses_an_inspector_the_pages_and_its_changes(login, inspector, tree):
    absence = AbsenceFactory(organization=tree.finance_1, description="季度会议")
    client = login(inspector)
    url = f"{ABSENCES}{absence.pk}/change/"

    page = client.get(url)
    posted = client.post(
        url,
        {
            "organization": tree.finance_1.pk,
            "date": "2025-05-20",
            "kind": "meeting",
            "description": "改",
            "excuse_reason": "",
        },
    )
    deleted = client.post(f"{ABSENCES}{absence.pk}/delete/", {"post": "yes"})

    assert page.status_code == 403
    assert model_admin(Absence).has_change_permission(request_of(inspector), absence) is False
    assert (posted.status_code, deleted.status_code) == (403, 403)
    assert Absence.objects.get().description == "季度会议"
    assert AuditEntry.objects.count() == 0


def test_it_deletes_a_record_through_the_service(login, superuser, tree):
    absence = AbsenceFactory(organization=tree.finance_1)

    response = login(superuser).post(f"{ABSENCES}{absence.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Absence.objects.exists()
    assert AuditEntry.objects.get().action == "absence.deleted"


def test_it_scopes_the_attachments_to_the_subtree_and_never_adds_one(login, reviewer, superuser, tree):
    for organization in (tree.finance_1, tree.education_1):
        record = CommendationFactory(organization=organization)
        attachment_add(
            record=record, upload=io.BytesIO(PDF), name=f"{organization.code}.pdf", size=len(PDF), actor=None
        )

    scoped = model_admin(Attachment).get_queryset(request_of(reviewer))
    add = login(superuser).get(f"{ATTACHMENTS}add/")

    assert [attachment.original_name for attachment in scoped] == ["FIN-1.pdf"]
    assert add.status_code == 403
    assert Attachment.objects.count() == 2


def test_it_filters_attachments_by_the_kinds_of_record_only_in_chinese(login, superuser, tree):
    record = CommendationFactory(organization=tree.finance_1)
    attachment = attachment_add(record=record, upload=io.BytesIO(PDF), name="决定.pdf", size=len(PDF), actor=None)
    client = login(superuser)

    listed = client.get(ATTACHMENTS)
    detail = client.get(f"{ATTACHMENTS}{attachment.pk}/change/")

    [record_type] = [spec for spec in listed.context["cl"].filter_specs if spec.title == "记录类型"]
    assert [label for _, label in record_type.lookup_choices] == [
        "表彰及署名文章",
        "党建创新",
        "通报批评",
        "党纪处分",
        "一般党员违法违纪",
        "缺席及未按时完成任务",
    ]
    html = listed.content.decode()
    for foreign in ("会话", "TOTP device", "access attempt", "内容类型"):
        assert foreign not in html
    assert '<td class="field-record_type">表彰及署名文章</td>' in html
    assert "表彰及署名文章" in detail.content.decode()


def test_it_lists_the_attachments_of_the_chosen_kind_of_record(login, superuser, tree):
    for factory, name in ((CommendationFactory, "表彰.pdf"), (AbsenceFactory, "缺席.pdf")):
        attachment_add(
            record=factory(organization=tree.finance_1), upload=io.BytesIO(PDF), name=name, size=len(PDF), actor=None
        )
    absence_type = ContentType.objects.get_for_model(Absence)

    listed = login(superuser).get(ATTACHMENTS, {"content_type__id__exact": absence_type.pk})

    assert [attachment.original_name for attachment in listed.context["cl"].result_list] == ["缺席.pdf"]
