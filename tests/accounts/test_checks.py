"""The start-up check of the roles that must use the second factor."""

from xingji.accounts.checks import otp_required_roles


def test_known_roles_pass(settings):
    settings.XINGJI_OTP_REQUIRED_ROLES = ["committee_office", "reviewer"]
    assert otp_required_roles() == []


def test_an_unknown_role_stops_the_start_naming_it(settings):
    settings.XINGJI_OTP_REQUIRED_ROLES = ["committee_office", "comittee_office"]
    [error] = otp_required_roles()
    assert error.id == "xingji.accounts.E001" and error.is_serious()
    assert "comittee_office" in error.msg and "committee_office" in error.hint
