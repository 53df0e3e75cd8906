"""The survey pages: issuing slips (PDF read back), the live counter, closing, and the ballot without JavaScript."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.surveys.conftest import answers
from xingji.audit.models import AuditEntry
from xingji.common.pdf import font_path
from xingji.surveys import codes, services
from xingji.surveys.models import Ballot, SessionState, SurveyToken, TokenKind

CODE_PATTERN = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}")


def issue_page(client, session, **data):
    form = {"member_tokens": "0", "public_tokens": "0", "output": "pdf", **data}
    return client.post(reverse("surveys:issue", args=[session.pk]), form)


@pytest.mark.skipif(font_path() is None, reason="no Chinese TrueType font (fonts-wqy-zenhei)")
def test_it_prints_every_issued_code_on_the_slips(client, session, secretary):
    client.force_login(secretary)
    response = issue_page(client, session, member_tokens="10", public_tokens="3")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2  # 13 slips, 10 per page
    text = "".join(page.extract_text() for page in reader.pages)
    printed = CODE_PATTERN.findall(text)
    assert len(printed) == len(set(printed)) == 13
    stored = set(SurveyToken.objects.filter(session=session).values_list("digest", flat=True))
    assert {codes.digest(code) for code in printed} == stored
    assert "党员测评码" in text and "群众测评码" in text and "/ballot/" in text


def test_it_lists_the_links_with_the_code_in_the_fragment(client, session, secretary):
    client.force_login(secretary)
    response = issue_page(client, session, member_tokens="2", public_tokens="1", output="csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "类别", "测评码", "测评链接"]
    assert len(rows) == 4
    for _, _kind, code, link in rows[1:]:
        assert link == f"http://testserver/ballot/#t={codes.normalize(code)}"
        assert SurveyToken.objects.filter(digest=codes.digest(code)).exists()


def test_without_a_chinese_font_the_issued_codes_come_as_links_rather_than_being_lost(
    client, session, secretary, monkeypatch
):
    from xingji.common.pdf import PdfFontMissing

    def no_font():
        raise PdfFontMissing("未找到中文字体")

    monkeypatch.setattr("xingji.surveys.slips.cjk_font", no_font)
    client.force_login(secretary)
    response = issue_page(client, session, member_tokens="2", public_tokens="0")
    assert response["Content-Type"] == "text/csv; charset=utf-8" and response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert {codes.digest(code) for _, _, code, _ in rows} == set(SurveyToken.objects.values_list("digest", flat=True))


def test_it_shows_the_issue_form_again_with_the_refusal(client, session, secretary):
    client.force_login(secretary)
    response = issue_page(client, session, member_tokens="11")
    assert response.status_code == 200
    assert "党员测评码最多10个" in response.content.decode()
    assert SurveyToken.objects.count() == 0


def test_it_refuses_the_issue_page_to_a_superior(client, session, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("surveys:issue", args=[session.pk])).status_code == 403
    assert issue_page(client, session, member_tokens="1").status_code == 403


def test_the_counter_shows_participation_and_no_answer_before_closing(client, session, secretary, reviewer):
    issued = services.tokens_issue(session=session, member_tokens=10, public_tokens=0, actor=secretary)
    for _, code in issued.codes[:3]:
        services.ballot_cast(code=code, data=answers("unsatisfied", session=session))
    client.force_login(reviewer)
    page = client.get(reverse("surveys:session", args=[session.pk])).content.decode()
    assert "3 / 10" in page and "有效线 80%" in page
    assert 'http-equiv="refresh"' in page
    assert "不满意" not in page and "满意率" not in page
    assert "结束测评" in page and "发放测评码" not in page  # the superior may close, not issue
    # closing cannot be undone: without the tick that voting is over, nothing closes
    unconfirmed = client.post(reverse("surveys:close", args=[session.pk]), follow=True)
    assert "请先勾选“已确认本次测评会投票结束”" in unconfirmed.content.decode()
    session.refresh_from_db()
    assert session.state == SessionState.OPEN and not AuditEntry.objects.filter(action="survey.closed").exists()
    response = client.post(reverse("surveys:close", args=[session.pk]), {"confirm": "on"})
    assert response.status_code == 302
    page = client.get(reverse("surveys:session", args=[session.pk])).content.decode()
    assert "测评无效" in page and "不满意" in page and "survey-chart-data" in page
    # The frozen figures as percentages: 3 of 10 members, none satisfied.
    assert '<span class="tile-label">参与率</span><strong class="tile-value">30.00%</strong>' in page
    assert '<span class="tile-label">满意率</span><strong class="tile-value">0.00%</strong>' in page


def test_the_inspector_reads_but_cannot_close(client, session, inspector):
    client.force_login(inspector)
    page = client.get(reverse("surveys:session", args=[session.pk])).content.decode()
    assert "结束测评" not in page
    assert client.post(reverse("surveys:close", args=[session.pk])).status_code == 403


def test_the_secretary_opens_a_session_from_the_evaluations_survey_page(client, evaluation, secretary):
    client.force_login(secretary)
    page = client.get(reverse("surveys:evaluation", args=[evaluation.pk])).content.decode()
    assert "组织测评" in page
    response = client.post(
        reverse("surveys:open", args=[evaluation.pk]),
        {"meeting_on": "2025-05-20", "expires_on": "2099-01-01", "public_tokens_allowed": "on"},
    )
    assert response.status_code == 302
    session = evaluation.survey_sessions.get()
    assert response["Location"] == reverse("surveys:issue", args=[session.pk])
    assert (session.public_tokens_allowed, session.comments_collected) == (True, False)


# --- the ballot without JavaScript ----------------------------------------------------------------


def test_a_voter_types_the_code_votes_and_gets_a_receipt(client, session, secretary):
    code = services.tokens_issue(session=session, member_tokens=1, public_tokens=0, actor=secretary).codes[0][1]
    start = client.get(reverse("ballot:start"))
    assert start.status_code == 200 and "no-store" in start["Cache-Control"]
    assert 'name="code"' in start.content.decode()
    questions = client.post(reverse("ballot:start"), {"code": codes.grouped(code).lower()})
    page = questions.content.decode()
    assert "财政局第一支部" in page and "总体评价" in page and f'value="{code}"' in page
    assert SurveyToken.objects.get().used is False
    incomplete = client.post(reverse("ballot:submit"), {"code": code, "overall": "satisfied"})
    assert "请完成所有带*的评价后再提交" in incomplete.content.decode()
    receipt_page = client.post(reverse("ballot:submit"), {"code": code, **answers(session=session)})
    receipt = Ballot.objects.get().receipt
    assert receipt in receipt_page.content.decode()
    again = client.post(reverse("ballot:start"), {"code": code})
    assert "该测评码已使用，您的测评票已计入" in again.content.decode()
    resubmitted = client.post(reverse("ballot:submit"), {"code": code, **answers(session=session)})
    assert "该测评码已使用，您的测评票已计入" in resubmitted.content.decode()
    assert Ballot.objects.count() == 1


def test_a_wrong_or_missing_code_gets_a_page_in_chinese(client, session):
    assert "请输入测评票上的测评码" in client.post(reverse("ballot:start"), {"code": " "}).content.decode()
    page = client.post(reverse("ballot:start"), {"code": "ZZZZ-ZZZZ-ZZZZZ"}).content.decode()
    assert "测评码无效" in page
    assert client.get(reverse("ballot:submit")).status_code == 302


def test_it_publishes_the_receipts_only_after_closing(client, session, secretary):
    issued = services.tokens_issue(session=session, member_tokens=10, public_tokens=0, actor=secretary)
    receipts = [services.ballot_cast(code=code, data=answers(session=session)) for _, code in issued.codes[:8]]
    url = reverse("ballot:receipts", args=[session.public_id])
    assert client.get(url).status_code == 404
    services.session_close(session=session, actor=secretary)
    page = client.get(url).content.decode()
    assert all(receipt in page for receipt in receipts)
    assert session.tokens.filter(kind=TokenKind.MEMBER, used=True).count() == 8
