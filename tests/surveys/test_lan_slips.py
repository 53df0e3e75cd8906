"""The survey slips point at the site's configured address (``XINGJI_BASE_URL``, which ``xingji demo --lan`` sets
to the LAN one), whatever address the issuing page was opened at: phones on the network reach the ballot."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from xingji.common.pdf import font_path
from xingji.ops.server import demo_environment
from xingji.surveys import codes

LAN_ORIGIN = demo_environment({}, data_dir=".", lan_address="192.168.1.23", port=8000)["XINGJI_BASE_URL"]


def issue(client, session, output: str):
    form = {"member_tokens": "2", "public_tokens": "1", "output": output}
    # Opened on the demo machine itself, at the loopback address.
    return client.post(reverse("surveys:issue", args=[session.pk]), form, HTTP_HOST="127.0.0.1:8000")


def test_the_links_carry_the_lan_address(client, session, secretary, settings):
    settings.XINGJI_BASE_URL = LAN_ORIGIN
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    client.force_login(secretary)

    response = issue(client, session, "csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert len(rows) == 3
    for _, _kind, code, link in rows:
        assert link == f"http://192.168.1.23:8000/ballot/#t={codes.normalize(code)}"


@pytest.mark.skipif(font_path() is None, reason="no Chinese TrueType font (fonts-wqy-zenhei)")
def test_the_printed_slips_carry_the_lan_address(client, session, secretary, settings):
    settings.XINGJI_BASE_URL = LAN_ORIGIN
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    client.force_login(secretary)

    response = issue(client, session, "pdf")

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "http://192.168.1.23:8000/ballot/" in text
    assert "127.0.0.1" not in text


def test_without_a_configured_address_the_links_use_the_page_address(client, session, secretary, settings):
    settings.XINGJI_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    client.force_login(secretary)

    response = issue(client, session, "csv")

    links = [row[3] for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))][1:]
    assert all(link.startswith("http://127.0.0.1:8000/ballot/#t=") for link in links)
