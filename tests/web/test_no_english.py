"""The main pages of a campaign, for each role, read in Chinese: no code word (warn, None, True…) left in sight.

A page's visible text is what is left without its scripts, styles, comments
and tags; every Latin word in it must be a name users know (Excel, Word, PDF)
or data the test itself made (organization codes, user names).
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from tests.campaigns.conftest import campaign, clock, immediate_runner  # noqa: F401  (fixtures)
from tests.campaigns.steps import evaluate, evaluation_of, rated_campaign

#: Latin words a page may show: product, file format and unit names users know.
KNOWN_WORDS = {"Excel", "Word", "PDF", "LibreOffice", "TOML", "CSV", "XLSX", "XLS", "ODS", "DOCX", "DOC", "JPG", "JPEG"}
KNOWN_WORDS |= {"PNG", "KB", "MB", "UTF", "QR", "TOTP"}
INVISIBLE = re.compile(r"<(script|style|template)\b.*?</\1>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
WORD = re.compile(r"[A-Za-z][A-Za-z_]*")


def visible_words(content: str) -> set[str]:
    text = html.unescape(TAG.sub(" ", INVISIBLE.sub(" ", content)))
    return set(WORD.findall(text))


def test_it_finds_code_words_in_visible_text_only():
    page = '<p title="warn">仅提示</p><script>var enforce = true;</script><p>None，True</p><!-- off -->'
    assert visible_words(page) == {"None", "True"}


@pytest.fixture
def world(tree, campaign, office_user, reviewer, secretary, inspector, django_capture_on_commit_callbacks):  # noqa: F811
    """FIN-1 evaluated after its survey, the others given as evaluated, the campaign rated: every page has content."""
    evaluate(evaluation_of(campaign, tree.finance_1), secretary, reviewer, score=9)
    rated_campaign(campaign, office_user, django_capture_on_commit_callbacks, scores={"FIN-1": 9})
    return {"campaign": campaign, "fin_1": evaluation_of(campaign, tree.finance_1)}


def page_urls(world) -> list[str]:
    campaign, fin_1 = world["campaign"], world["fin_1"]
    session = fin_1.survey_sessions.order_by("-id").first()
    urls = [
        reverse("web:home"),
        reverse("campaigns:list"),
        reverse("campaigns:create"),
        reverse("campaigns:detail", args=[campaign.pk]),
        reverse("campaigns:scope", args=[campaign.pk]),
        reverse("campaigns:evaluation_list", args=[campaign.pk]),
        reverse("campaigns:rating", args=[campaign.pk]),
        reverse("campaigns:quota_mode", args=[campaign.pk]),
        reverse("campaigns:evaluation", args=[fin_1.pk]),
        reverse("campaigns:self_evaluation", args=[fin_1.pk]),
        reverse("campaigns:superior_evaluation", args=[fin_1.pk]),
        reverse("surveys:evaluation", args=[fin_1.pk]),
    ]
    if session is not None:
        urls.append(reverse("surveys:session", args=[session.pk]))
    return urls


@pytest.mark.parametrize("role", ["office_user", "reviewer", "secretary", "inspector"])
def test_the_main_pages_show_no_code_words(role, request, client, world, tree):
    user = request.getfixturevalue(role)
    allowed = KNOWN_WORDS | {word for node in vars(tree).values() for word in WORD.findall(node.code)}
    allowed |= set(WORD.findall(user.username)) | set(WORD.findall(user.get_full_name()))
    client.force_login(user)
    seen = {}
    for url in page_urls(world):
        response = client.get(url)
        if response.status_code != 200:
            continue  # a page the role may not use (403/404), or one that sends it elsewhere
        stray = visible_words(response.content.decode()) - allowed
        if stray:
            seen[url] = sorted(stray)
    assert seen == {}
