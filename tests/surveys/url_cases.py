"""The URL walk's cases for xingji.surveys (see tests/web/test_url_auth.py)."""


def cases(Case) -> dict:
    return {}
