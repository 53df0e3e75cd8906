"""Evidence files (证明材料) per criterion of the self-evaluation: who adds, who deletes, who downloads."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.campaigns.steps import CODES, actions, audit_count, evaluation_of, force_state, self_evaluate
from tests.records.conftest import PDF, stored_files
from xingji.campaigns import services
from xingji.campaigns.models import CriterionScore, EvaluationState, ScorePart
from xingji.records.models import Attachment


@pytest.fixture(autouse=True)
def attachments_root(settings, tmp_path):
    """Evidence files go to a scratch folder, never the user's data directory."""
    root = tmp_path / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": root, "base_url": None}},
    }
    return root


def _upload(client, evaluation, *, code=CODES[0], name="会议记录.pdf", content=PDF):
    return client.post(reverse("campaigns:criterion_attachment_upload", args=[evaluation.pk]),
                       {"criterion": code, "file": SimpleUploadedFile(name, content)}, follow=True)


def _nothing_written(root, count_before) -> None:
    assert Attachment.objects.count() == 0
    assert stored_files(root) == []
    assert audit_count() == count_before


def test_the_secretary_adds_evidence_to_a_criterion(client, campaign, tree, secretary, attachments_root):
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)
    response = _upload(client, evaluation)
    assert "已上传证明材料“会议记录.pdf”" in response.content.decode()

    attachment = Attachment.objects.get()
    row = CriterionScore.objects.get(evaluation=evaluation, part=ScorePart.SELF, criterion_code=CODES[0])
    assert attachment.record == row and row.score is None
    assert attachment.file_type == "pdf" and attachment.uploaded_by == secretary and len(attachment.sha256) == 64
    assert len(stored_files(attachments_root)) == 1
    assert actions("attachment.") == ["attachment.created"]

    # The page lists it with its download link and a delete button while the draft is open.
    content = client.get(reverse("campaigns:self_evaluation", args=[evaluation.pk])).content.decode()
    download = reverse("campaigns:criterion_attachment", args=[evaluation.pk, attachment.pk])
    delete = reverse("campaigns:criterion_attachment_delete", args=[evaluation.pk, attachment.pk])
    assert download in content and delete in content and 'enctype="multipart/form-data"' in content

    # Scores saved later keep the evidence.
    services.self_evaluation_save_draft(evaluation=evaluation, scores={CODES[0]: {"score": 8, "comment": ""}},
                                        actor=secretary)
    assert row.attachments.count() == 1

    client.post(delete)
    assert Attachment.objects.count() == 0
    assert actions("attachment.") == ["attachment.created", "attachment.deleted"]


def test_it_refuses_evidence_after_submit_and_for_the_reviewer(
    client, campaign, tree, secretary, reviewer, attachments_root
):
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = audit_count()
    client.force_login(reviewer)
    response = client.post(reverse("campaigns:criterion_attachment_upload", args=[evaluation.pk]),
                           {"criterion": CODES[0], "file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.criterion_attachment_add(evaluation=evaluation, criterion_code=CODES[0], upload=SimpleUploadedFile(
            "a.pdf", PDF), name="a.pdf", size=len(PDF), actor=reviewer)
    _nothing_written(attachments_root, before)
    assert not CriterionScore.objects.filter(evaluation=evaluation).exists()

    self_evaluate(evaluation, secretary)
    before = audit_count()
    scores_before = CriterionScore.objects.filter(evaluation=evaluation).count()
    client.force_login(secretary)
    response = _upload(client, evaluation)
    assert "不能添加或删除证明材料" in response.content.decode()
    _nothing_written(attachments_root, before)
    assert CriterionScore.objects.filter(evaluation=evaluation).count() == scores_before
    content = client.get(reverse("campaigns:self_evaluation", args=[evaluation.pk])).content.decode()
    assert 'enctype="multipart/form-data"' not in content


def test_it_refuses_deleting_evidence_once_submitted(client, campaign, tree, secretary, attachments_root):
    evaluation = evaluation_of(campaign, tree.finance_1)
    attachment = services.criterion_attachment_add(evaluation=evaluation, criterion_code=CODES[1], upload=(
        SimpleUploadedFile("a.pdf", PDF)), name="a.pdf", size=len(PDF), actor=secretary)
    force_state(evaluation, EvaluationState.SELF_SUBMITTED)
    before = audit_count()
    client.force_login(secretary)
    response = client.post(reverse("campaigns:criterion_attachment_delete", args=[evaluation.pk, attachment.pk]),
                           follow=True)
    assert "不能添加或删除证明材料" in response.content.decode()
    assert Attachment.objects.filter(pk=attachment.pk).exists() and audit_count() == before
    assert len(stored_files(attachments_root)) == 1


def test_superiors_download_evidence_and_outsiders_do_not(
    client, campaign, tree, secretary, reviewer, office_user, secretary_2
):
    evaluation = evaluation_of(campaign, tree.finance_1)
    attachment = services.criterion_attachment_add(evaluation=evaluation, criterion_code=CODES[0], upload=(
        SimpleUploadedFile("会议记录.pdf", PDF)), name="会议记录.pdf", size=len(PDF), actor=secretary)
    url = reverse("campaigns:criterion_attachment", args=[evaluation.pk, attachment.pk])
    for user in (reviewer, office_user, secretary):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
    client.force_login(secretary_2)
    assert client.get(url).status_code == 404
    # An evidence file is reached only through its own evaluation.
    other = evaluation_of(campaign, tree.finance_2)
    client.force_login(office_user)
    assert client.get(reverse("campaigns:criterion_attachment", args=[other.pk, attachment.pk])).status_code == 404


@pytest.mark.parametrize(("name", "content", "message"), [
    ("脚本.exe", b"MZ\x90\x00", "只能上传 PDF、JPG、PNG、DOCX、XLSX 文件"),
    ("伪装.pdf", b"<html>", "文件内容与扩展名不符"),
    ("大文件.pdf", PDF + b"0" * 2048, "附件不能超过 1.0 KB"),
])
def test_it_refuses_a_wrong_or_oversized_file(
    client, settings, campaign, tree, secretary, attachments_root, name, content, message
):
    settings.XINGJI_ATTACHMENT_MAX_BYTES = 1024
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = audit_count()
    client.force_login(secretary)
    response = _upload(client, evaluation, name=name, content=content)
    assert message in response.content.decode()
    _nothing_written(attachments_root, before)
    assert not CriterionScore.objects.filter(evaluation=evaluation).exists()


def test_it_refuses_an_unknown_criterion(campaign, tree, secretary, attachments_root):
    evaluation = evaluation_of(campaign, tree.finance_1)
    with pytest.raises(ValidationError, match="没有编号为“99”的评定内容"):
        services.criterion_attachment_add(evaluation=evaluation, criterion_code="99", upload=(
            SimpleUploadedFile("a.pdf", PDF)), name="a.pdf", size=len(PDF), actor=secretary)
    assert Attachment.objects.count() == 0


def test_the_records_service_takes_only_holders_of_attachments(tree):
    from xingji.records.services import attachment_add

    with pytest.raises(TypeError):
        attachment_add(record=tree.finance_1, upload=SimpleUploadedFile("a.pdf", PDF), name="a.pdf",
                       size=len(PDF), actor=None)


def test_the_superior_sees_the_evidence_beside_the_self_score(client, campaign, tree, secretary, reviewer):
    # given a self-evaluation submitted with one evidence file on the first criterion
    evaluation = evaluation_of(campaign, tree.finance_1)
    attachment = services.criterion_attachment_add(evaluation=evaluation, criterion_code=CODES[0], upload=(
        SimpleUploadedFile("会议记录.pdf", PDF)), name="会议记录.pdf", size=len(PDF), actor=secretary)
    self_evaluate(evaluation, secretary)

    # when the reviewer opens the superior evaluation page
    client.force_login(reviewer)
    content = client.get(reverse("campaigns:superior_evaluation", args=[evaluation.pk])).content.decode()

    # then the file is linked in the criterion's row, through the access-checked download
    download = reverse("campaigns:criterion_attachment", args=[evaluation.pk, attachment.pk])
    assert f'<a href="{download}">会议记录.pdf</a>' in content
