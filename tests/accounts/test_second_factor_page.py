"""The second-factor page: opening it stores nothing; the start button makes the one pending device."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD
from tests.web.test_login import current_token
from xingji.audit.models import AuditEntry
from xingji.common.qr import qr_svg

PAGE = "/accounts/second-factor/"
LOGIN = "/accounts/login/"


def devices(user) -> list[tuple[int, bool]]:
    return list(TOTPDevice.objects.filter(user=user).order_by("pk").values_list("pk", "confirmed"))


def test_it_creates_no_device_when_the_page_is_opened(client, office_user):
    client.force_login(office_user)

    first = client.get(PAGE)
    second = client.get(PAGE)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.context["started"] is False
    assert first.context["secret"] == ""
    assert 'name="start"' in first.content.decode()
    assert "otpauth://" not in first.content.decode()
    assert devices(office_user) == []
    assert AuditEntry.objects.count() == 0


def test_it_creates_the_pending_device_on_the_start_button_and_reuses_it(client, office_user):
    client.force_login(office_user)

    started = client.post(PAGE, {"start": "1"})
    pending = TOTPDevice.objects.get(user=office_user)
    again = client.post(PAGE, {"start": "1"})
    page = client.get(PAGE)

    assert (started.status_code, started["Location"]) == (302, PAGE)
    assert (again.status_code, again["Location"]) == (302, PAGE)
    assert devices(office_user) == [(pending.pk, False)]
    assert page.context["started"] is True
    assert "otpauth://totp/" in page.content.decode()
    # The same link as a QR image drawn in the page (nothing fetched), for the authenticator to scan.
    assert page.context["qr"] == qr_svg(pending.config_url, label="验证器配置二维码")
    assert '<svg class="qr"' in page.content.decode()


def test_it_keeps_a_confirmed_device_while_a_new_one_is_started(client, office_user):
    phone = TOTPDevice.objects.create(user=office_user, name="手机", confirmed=True)
    client.post(LOGIN, {"username": "office", "password": PASSWORD, "otp_token": current_token(phone)})

    opened = client.get(PAGE)
    client.post(PAGE, {"start": "1"})

    assert opened.context["confirmed"] is True
    assert opened.context["started"] is False
    pending = TOTPDevice.objects.get(user=office_user, confirmed=False)
    assert devices(office_user) == [(phone.pk, True), (pending.pk, False)]


def test_it_asks_to_start_first_when_a_token_comes_without_a_pending_device(client, office_user):
    client.force_login(office_user)

    response = client.post(PAGE, {"token": "123456"}, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert [str(message) for message in response.context["messages"]] == ["请先点击“开始绑定”生成密钥，再输入验证码"]
    assert devices(office_user) == []
    assert AuditEntry.objects.count() == 0
