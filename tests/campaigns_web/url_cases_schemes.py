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
        # Uploading a scheme (the campaign is open, never scored): its office only. The preview without an
        # upload waiting sends back to the upload page; confirming without one is refused back to it.
        "campaigns:campaign_scheme_upload": Case(target="campaign", who="office", get="write", post="write"),
        "campaigns:campaign_scheme_preview": Case(
            target="campaign", who="office", get="write", get_answers=frozenset({302})
        ),
        "campaigns:campaign_scheme_confirm": Case(
            target="campaign", who="office", get="none", post="write", post_answers=frozenset({302})
        ),
        "campaigns:campaign_scheme_cancel": Case(
            target="campaign", who="office", get="none", post="write", post_answers=frozenset({302})
        ),
    }
