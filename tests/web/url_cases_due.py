"""The URL walk's cases for what is due (see tests/web/test_url_auth.py)."""


def cases(Case) -> dict:
    return {
        # The user's own list (待办事项): any logged-in user, nothing to reach by id, GET only.
        "web:due": Case(),
    }
