"""The URL walk's cases for xingji.reports (see tests/web/test_url_auth.py)."""


def cases(Case) -> dict:
    return {}
