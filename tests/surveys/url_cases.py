"""The URL walk's cases for xingji.surveys (see tests/web/test_url_auth.py).

Each organization's evaluation gets, once per world, a closed session (no ballot: invalid) and an open one
with a member code and a public code issued.
"""

from datetime import date, timedelta

from django.utils import timezone


def sessions_of(world, organization) -> dict:
    from xingji.surveys import services

    key = ("surveys", organization.pk)
    if key not in world.objects:
        evaluation = world.evaluations[organization.pk]
        actor = world.users["superuser"]
        today = timezone.localdate()
        closed = services.session_open(
            evaluation=evaluation, meeting_on=date(2025, 5, 20), expires_on=today + timedelta(days=3), actor=actor
        )
        closed = services.session_close(session=closed, actor=actor)
        opened = services.session_open(
            evaluation=evaluation, meeting_on=today, expires_on=today + timedelta(days=3), actor=actor
        )
        services.tokens_issue(session=opened, member_tokens=1, public_tokens=1, actor=actor)
        world.objects[key] = {"open": opened, "closed": closed}
    return world.objects[key]


def open_session(world, organization, where) -> dict:
    return {"pk": sessions_of(world, organization)["open"].pk}


def closed_session(world, organization, where) -> dict:
    return {"pk": sessions_of(world, organization)["closed"].pk}


def closed_public_id(world, organization, where) -> dict:
    return {"public_id": sessions_of(world, organization)["closed"].public_id}


def cases(Case) -> dict:
    form = {"get": "write", "post": "write"}
    return {
        "surveys:evaluation": Case(target="evaluation"),
        "surveys:open": Case(target="evaluation", who="self", **form),
        "surveys:session": Case(target=open_session),
        "surveys:settings": Case(target=open_session, who="self", **form),
        "surveys:issue": Case(target=open_session, who="self", **form),
        "surveys:close": Case(
            target=open_session, who="self_or_superior", get="none", post="write", post_answers=frozenset({302})
        ),
        "surveys:export": Case(target=closed_session),
        # The ballot: no login; a refusal is a page (200), a GET of the submission goes back to the start.
        "ballot:start": Case(public=True, post="read"),
        "ballot:submit": Case(public=True, post="read", get_answers=frozenset({302})),
        "ballot:receipts": Case(target=closed_public_id, public=True),
    }
