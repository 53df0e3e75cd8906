"""Evidence files (证明材料) per criterion of the self-evaluation: who adds, who deletes, who downloads."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.campaigns.steps import CODES, actions, audit_count, evaluation_of, force_state, self_evaluate
from tests.records.conftest import PDF, stored_files
from tests.web.test_form_markup import dangling_descriptions
from xingji.campaigns import services
from xingji.campaigns.models import CriterionScore, EvaluationState, ScorePart
from xingji.common.errors import TransitionRefused
from xingji.records.models import Attachment


@pytest.fixture(autouse=True)
def attachments_root(attachments_root):
    """Every test here uploads into the scratch folder of ``tests/conftest.py``."""
    return attachments_root


def _page(evaluation) -> str:
    return reverse("campaigns:self_evaluation", args=[evaluation.pk])


def _typed(value="", comment: str = "") -> dict:
    """What the self-evaluation form sends for its score fields: ``value`` and ``comment`` on every criterion."""
    return {**{f"score_{code}": str(value) for code in CODES}, **{f"comment_{code}": comment for code in CODES}}


def _upload(client, evaluation, *, code=CODES[0], name="会议记录.pdf", content=PDF, data=None, follow=True):
    """The upload button of ``code``'s row pressed, with a file chosen there and the form's fields (``data``)."""
    return client.post(
        _page(evaluation),
        {**_typed(), **(data or {}), "upload": code, f"file_{code}": SimpleUploadedFile(name, content)},
        follow=follow,
    )


def _nothing_written(root, count_before) -> None:
    assert Attachment.objects.count() == 0
    assert stored_files(root) == []
    assert audit_count() == count_before


def test_the_secretary_adds_evidence_to_a_criterion(client, campaign, tree, secretary, attachments_root):
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)
    response = _upload(client, evaluation)
    assert response.redirect_chain == [(f"{_page(evaluation)}#evidence-{CODES[0]}", 302)]
    assert "已上传证明材料“会议记录.pdf”；自评草稿已保存" in response.content.decode()

    attachment = Attachment.objects.get()
    row = CriterionScore.objects.get(evaluation=evaluation, part=ScorePart.SELF, criterion_code=CODES[0])
    assert attachment.record == row and row.score is None
    assert attachment.file_type == "pdf" and attachment.uploaded_by == secretary and len(attachment.sha256) == 64
    assert len(stored_files(attachments_root)) == 1
    assert actions("attachment.") == ["attachment.created"]

    # The page lists it with its download link and a delete button while the draft is open.
    content = client.get(_page(evaluation)).content.decode()
    download = reverse("campaigns:criterion_attachment", args=[evaluation.pk, attachment.pk])
    delete = f'<button type="submit" name="delete" value="{attachment.pk}" class="link">删除</button>'
    assert download in content and delete in content and 'enctype="multipart/form-data"' in content

    # Scores saved later keep the evidence.
    services.self_evaluation_save_draft(
        evaluation=evaluation, scores={CODES[0]: {"score": 8, "comment": ""}}, actor=secretary
    )
    assert row.attachments.count() == 1

    response = client.post(_page(evaluation), {**_typed(), "score_1": "8", "delete": attachment.pk})
    assert response["Location"] == f"{_page(evaluation)}#evidence-{CODES[0]}"
    assert Attachment.objects.count() == 0
    assert actions("attachment.") == ["attachment.created", "attachment.deleted"]


def test_it_refuses_evidence_after_submit_and_for_the_reviewer(
    client, campaign, tree, secretary, reviewer, attachments_root
):
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = audit_count()
    client.force_login(reviewer)
    response = _upload(client, evaluation, follow=False)
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.criterion_attachment_add(
            evaluation=evaluation,
            criterion_code=CODES[0],
            upload=SimpleUploadedFile("a.pdf", PDF),
            name="a.pdf",
            size=len(PDF),
            actor=reviewer,
        )
    _nothing_written(attachments_root, before)
    assert not CriterionScore.objects.filter(evaluation=evaluation).exists()

    self_evaluate(evaluation, secretary)
    before = audit_count()
    scores_before = CriterionScore.objects.filter(evaluation=evaluation).count()
    client.force_login(secretary)
    response = _upload(client, evaluation)
    assert "自评已提交，不能修改" in response.content.decode()
    _nothing_written(attachments_root, before)
    assert CriterionScore.objects.filter(evaluation=evaluation).count() == scores_before
    content = client.get(_page(evaluation)).content.decode()
    assert 'enctype="multipart/form-data"' not in content and 'name="upload"' not in content
    with pytest.raises(ValidationError, match="不能添加或删除证明材料"):
        services.criterion_attachment_add(
            evaluation=evaluation,
            criterion_code=CODES[0],
            upload=SimpleUploadedFile("a.pdf", PDF),
            name="a.pdf",
            size=len(PDF),
            actor=secretary,
        )


def test_it_refuses_deleting_evidence_once_submitted(client, campaign, tree, secretary, attachments_root):
    evaluation = evaluation_of(campaign, tree.finance_1)
    attachment = services.criterion_attachment_add(
        evaluation=evaluation,
        criterion_code=CODES[1],
        upload=(SimpleUploadedFile("a.pdf", PDF)),
        name="a.pdf",
        size=len(PDF),
        actor=secretary,
    )
    force_state(evaluation, EvaluationState.SELF_SUBMITTED)
    before = audit_count()
    client.force_login(secretary)
    response = client.post(_page(evaluation), {**_typed(), "delete": attachment.pk}, follow=True)
    assert "自评已提交，不能修改" in response.content.decode()
    assert 'name="delete"' not in response.content.decode()
    assert Attachment.objects.filter(pk=attachment.pk).exists() and audit_count() == before
    assert len(stored_files(attachments_root)) == 1
    with pytest.raises(ValidationError, match="不能添加或删除证明材料"):
        services.criterion_attachment_delete(evaluation=evaluation, attachment=attachment, actor=secretary)


def test_superiors_download_evidence_and_outsiders_do_not(
    client, campaign, tree, secretary, reviewer, office_user, secretary_2
):
    evaluation = evaluation_of(campaign, tree.finance_1)
    attachment = services.criterion_attachment_add(
        evaluation=evaluation,
        criterion_code=CODES[0],
        upload=(SimpleUploadedFile("会议记录.pdf", PDF)),
        name="会议记录.pdf",
        size=len(PDF),
        actor=secretary,
    )
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


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("脚本.exe", b"MZ\x90\x00", "只能上传 PDF、JPG、PNG、DOCX、XLSX 文件"),
        ("伪装.pdf", b"<html>", "文件内容与扩展名不符"),
        ("大文件.pdf", PDF + b"0" * 2048, "附件不能超过 1.0 KB"),
    ],
)
def test_it_refuses_a_wrong_or_oversized_file(
    client, settings, campaign, tree, secretary, attachments_root, name, content, message
):
    settings.XINGJI_ATTACHMENT_MAX_BYTES = 1024
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = audit_count()
    client.force_login(secretary)
    response = _upload(client, evaluation, name=name, content=content, data=_typed(7, "已整改"))
    assert response.status_code == 200
    [error] = response.context["form"].errors[f"file_{CODES[0]}"]
    assert message in error
    # Nothing is written, the scores neither (all or nothing), and they are shown again as typed.
    _nothing_written(attachments_root, before)
    assert not CriterionScore.objects.filter(evaluation=evaluation).exists()
    assert response.context["form"]["score_5"].value() == "7"
    assert "所选的证明材料没有上传：请改正错误后重新选择文件" in response.content.decode()


def test_it_refuses_an_unknown_criterion(campaign, tree, secretary, attachments_root):
    evaluation = evaluation_of(campaign, tree.finance_1)
    with pytest.raises(ValidationError, match="没有编号为“99”的评定内容"):
        services.criterion_attachment_add(
            evaluation=evaluation,
            criterion_code="99",
            upload=(SimpleUploadedFile("a.pdf", PDF)),
            name="a.pdf",
            size=len(PDF),
            actor=secretary,
        )
    assert Attachment.objects.count() == 0


def test_the_records_service_takes_only_holders_of_attachments(tree):
    from xingji.records.services import attachment_add

    with pytest.raises(TypeError):
        attachment_add(
            record=tree.finance_1, upload=SimpleUploadedFile("a.pdf", PDF), name="a.pdf", size=len(PDF), actor=None
        )


def test_the_superior_sees_the_evidence_beside_the_self_score(client, campaign, tree, secretary, reviewer):
    # given a self-evaluation submitted with one evidence file on the first criterion
    evaluation = evaluation_of(campaign, tree.finance_1)
    attachment = services.criterion_attachment_add(
        evaluation=evaluation,
        criterion_code=CODES[0],
        upload=(SimpleUploadedFile("会议记录.pdf", PDF)),
        name="会议记录.pdf",
        size=len(PDF),
        actor=secretary,
    )
    self_evaluate(evaluation, secretary)

    # when the reviewer opens the superior evaluation page
    client.force_login(reviewer)
    content = client.get(reverse("campaigns:superior_evaluation", args=[evaluation.pk])).content.decode()

    # then the file is linked in the criterion's row, through the access-checked download
    download = reverse("campaigns:criterion_attachment", args=[evaluation.pk, attachment.pk])
    assert f'<a href="{download}">会议记录.pdf</a>' in content


# --- what was typed is never lost to an upload or a deletion ------------------------------------------------


def test_an_upload_saves_the_scores_typed_before_it(client, campaign, tree, secretary, attachments_root):
    # given a secretary who has typed scores, comments and a level, never saved, then chose a file for criterion 3
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)

    # when they press the upload button of criterion 3
    response = _upload(client, evaluation, code=CODES[2], data={**_typed(8, "有记录"), "claimed_level": "4"})

    # then the draft and the file are both stored, and the page comes back at criterion 3
    assert response.redirect_chain == [(f"{_page(evaluation)}#evidence-{CODES[2]}", 302)]
    assert "已上传证明材料“会议记录.pdf”；自评草稿已保存" in response.content.decode()
    rows = CriterionScore.objects.filter(evaluation=evaluation, part=ScorePart.SELF)
    assert sorted(rows.values_list("criterion_code", "score", "comment")) == sorted(
        (code, 8, "有记录") for code in CODES
    )
    evaluation.refresh_from_db()
    assert evaluation.claimed_level == 4
    attachment = Attachment.objects.get()
    assert attachment.record == rows.get(criterion_code=CODES[2])
    assert len(stored_files(attachments_root)) == 1
    assert actions("evaluation.") + actions("attachment.") == ["evaluation.self_saved", "attachment.created"]
    # and the page shows the saved values
    form = response.context["form"]
    assert (form["score_1"].value(), form["comment_1"].value()) == (8, "有记录")


def test_invalid_scores_with_an_upload_store_nothing_and_keep_what_was_typed(
    client, campaign, tree, secretary, attachments_root
):
    # given typed scores of which one exceeds its maximum (10), and a file chosen for criterion 2
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = audit_count()
    client.force_login(secretary)

    # when the upload button is pressed
    response = _upload(client, evaluation, code=CODES[1], data={**_typed(6, "见附件"), "score_1": "11"}, follow=False)

    # then the form comes back with the error and the typed values, and asks for the file again
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["score_1"] == ["确保该值小于或等于10.00。"]
    assert form.errors[f"file_{CODES[1]}"] == ["请重新选择文件"]
    assert "所选的证明材料没有上传：请改正错误后重新选择文件" in form.non_field_errors()
    content = response.content.decode()
    assert 'name="score_1" value="11"' in content and 'name="score_2" value="6"' in content
    assert content.count("见附件</textarea>") == len(CODES)
    # and nothing is stored: no score, no file, no audit entry
    _nothing_written(attachments_root, before)
    assert not CriterionScore.objects.filter(evaluation=evaluation).exists()


def test_a_refused_file_rolls_back_the_draft_saved_with_it(
    client, campaign, tree, secretary, attachments_root, monkeypatch
):
    # given valid typed scores and a file the attachment service refuses
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = audit_count()

    def refuse(**arguments):
        raise TransitionRefused("证明材料已达上限", code="too_many")

    monkeypatch.setattr(services, "criterion_attachment_add", refuse)
    client.force_login(secretary)

    # when the upload button is pressed
    response = _upload(client, evaluation, data=_typed(9), follow=False)

    # then the refusal shows in the criterion's row, the typed scores are shown again and none is saved
    assert response.status_code == 200
    assert response.context["form"].errors[f"file_{CODES[0]}"] == ["证明材料已达上限"]
    assert response.context["form"]["score_1"].value() == "9"
    _nothing_written(attachments_root, before)
    assert not CriterionScore.objects.filter(evaluation=evaluation).exists()


def test_the_upload_button_without_a_file_asks_for_one(client, campaign, tree, secretary, attachments_root):
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = audit_count()
    client.force_login(secretary)

    response = client.post(_page(evaluation), {**_typed(5), "upload": CODES[3]})

    assert response.status_code == 200
    assert response.context["form"].errors[f"file_{CODES[3]}"] == ["请选择要上传的证明材料文件"]
    assert response.context["form"]["score_4"].value() == "5"
    _nothing_written(attachments_root, before)


def test_saving_the_draft_stores_the_files_chosen_too(client, campaign, tree, secretary, attachments_root):
    # given files chosen for two criteria, and the draft saved rather than an upload button pressed
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)
    response = client.post(
        _page(evaluation),
        {
            **_typed(7),
            "action": "save",
            f"file_{CODES[0]}": SimpleUploadedFile("一.pdf", PDF),
            f"file_{CODES[4]}": SimpleUploadedFile("五.pdf", PDF),
        },
        follow=True,
    )

    # then both files are stored on their criteria with the draft
    assert response.redirect_chain == [(_page(evaluation), 302)]
    assert "已上传证明材料“一.pdf”、“五.pdf”；自评草稿已保存" in response.content.decode()
    assert sorted(
        (attachment.record.criterion_code, attachment.display_name) for attachment in Attachment.objects.all()
    ) == [(CODES[0], "一.pdf"), (CODES[4], "五.pdf")]
    assert CriterionScore.objects.filter(evaluation=evaluation, part=ScorePart.SELF, score=7).count() == len(CODES)


def test_a_deletion_saves_the_scores_typed_before_it(client, campaign, tree, secretary, attachments_root):
    # given a file on criterion 2, and scores typed but not saved
    evaluation = evaluation_of(campaign, tree.finance_1)
    attachment = services.criterion_attachment_add(
        evaluation=evaluation,
        criterion_code=CODES[1],
        upload=(SimpleUploadedFile("a.pdf", PDF)),
        name="a.pdf",
        size=len(PDF),
        actor=secretary,
    )
    client.force_login(secretary)

    # when its delete button is pressed
    response = client.post(_page(evaluation), {**_typed(6, "已补充"), "delete": attachment.pk}, follow=True)

    # then the file is gone, the scores are saved, and the page comes back at criterion 2
    assert response.redirect_chain == [(f"{_page(evaluation)}#evidence-{CODES[1]}", 302)]
    assert "已删除证明材料“a.pdf”；自评草稿已保存" in response.content.decode()
    assert not Attachment.objects.exists()
    assert CriterionScore.objects.filter(
        evaluation=evaluation, part=ScorePart.SELF, score=6, comment="已补充"
    ).count() == len(CODES)


def test_a_deletion_of_another_evaluations_file_is_not_found(client, campaign, tree, secretary, secretary_2):
    other = evaluation_of(campaign, tree.finance_2)
    attachment = services.criterion_attachment_add(
        evaluation=other,
        criterion_code=CODES[0],
        upload=(SimpleUploadedFile("a.pdf", PDF)),
        name="a.pdf",
        size=len(PDF),
        actor=secretary_2,
    )
    evaluation = evaluation_of(campaign, tree.finance_1)
    before = audit_count()
    client.force_login(secretary)

    response = client.post(_page(evaluation), {**_typed(6), "delete": attachment.pk})

    assert response.status_code == 404
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert audit_count() == before and not CriterionScore.objects.filter(evaluation=evaluation).exists()


def test_the_self_evaluation_page_points_at_nothing_missing(client, campaign, tree, secretary):
    evaluation = evaluation_of(campaign, tree.finance_1)
    client.force_login(secretary)
    html = client.get(_page(evaluation)).content.decode()
    assert 'name="score_1"' in html and 'accept=".pdf,' in html
    assert dangling_descriptions(html) == set()
