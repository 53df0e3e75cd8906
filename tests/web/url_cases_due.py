"""The URL walk's cases for what is due (see tests/web/test_url_auth.py)."""


def cases(Case) -> dict:
    return {}
