"""Every page names the site's icon, served from the package (no /favicon.ico 404 in the browser's console)."""

from django.contrib.staticfiles import finders
from django.urls import reverse

ICON = "xingji/favicon.svg"


def test_the_icon_is_a_static_file_of_the_package():
    path = finders.find(ICON)
    assert path is not None
    with open(path, encoding="utf-8") as icon:
        assert icon.read().startswith("<svg")


def test_the_login_page_and_the_ballot_name_the_icon(client, db):
    for url in (reverse("accounts:login"), reverse("ballot:start")):
        page = client.get(url).content.decode()
        assert f'<link rel="icon" href="/static/{ICON}" type="image/svg+xml">' in page, url
