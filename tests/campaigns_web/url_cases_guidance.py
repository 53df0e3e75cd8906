"""The URL walk's cases for the 晋位争星 pages (see tests/web/test_url_auth.py)."""


def cases(Case) -> dict:
    return {
        # Reading only: any logged-in user; the list and its export hold the user's subtree (no rating yet: a message).
        "campaigns:guidance_list": Case(),
        "campaigns:guidance_export": Case(),
        # One organization's way up: inside the subtree 200 (no rating: a message), outside 404.
        "campaigns:guidance_organization": Case(target="organization"),
    }
