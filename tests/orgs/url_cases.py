"""The URL walk's cases for the organization history pages (see tests/web/test_url_auth.py)."""

FORM = {"get": "write", "post": "write"}


def cases(Case) -> dict:
    return {
        # Merging and dissolving are a superior's: the organization's own secretary gets 403, the inspector
        # 403 (read-only), outside the subtree 404. An empty POST shows the form again with its errors.
        "orgs:merge": Case(target="organization", who="superior", **FORM),
        "orgs:dissolve": Case(target="organization", who="superior", **FORM),
    }
