"""The URL walk's case for the what-if sandbox (see tests/web/test_url_auth.py)."""


def cases(Case) -> dict:
    return {
        # The evaluation's evaluators and its organization's secretary; the read-only inspector gets 403. Nothing is
        # saved, but the page is a form of the writing roles; an empty POST shows the comparison (200).
        "campaigns:sandbox": Case(target="evaluation", who="self_or_superior", get="write", post="write"),
    }
