"""The URL walk's cases for the scheme pages (see tests/web/test_url_auth.py)."""


def cases(Case) -> dict:
    shipped = {"scheme_id": "anyang-2017"}
    return {
        # The shipped schemes: any logged-in user reads them; there is nothing inside or outside.
        "campaigns:schemes": Case(),
        "campaigns:scheme": Case(kwargs=shipped),
        "campaigns:scheme_toml": Case(kwargs=shipped),
        # A campaign's own scheme: whoever sees the campaign.
        "campaigns:campaign_scheme": Case(target="campaign"),
        "campaigns:campaign_scheme_toml": Case(target="campaign"),
    }
