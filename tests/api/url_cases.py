"""The URL walk's cases for the pages that manage API clients (see tests/web/test_url_auth.py).

The JSON API itself (namespace ``api``) answers tokens, not sessions: its access is proved by
``tests/api/test_scoping.py`` and ``tests/api/test_contract.py``.
"""

from datetime import timedelta


def client_of(world, organization, where):
    """A client at the organization, made once per organization and world (by the superuser)."""
    from django.utils import timezone

    from xingji.api.services import api_client_create

    key = ("api_client", organization.pk)
    if key not in world.objects:
        world.objects[key] = api_client_create(
            name=f"接口{organization.code}",
            organization=organization,
            scopes=["orgs:read"],
            expires_at=timezone.now() + timedelta(days=30),
            actor=world.users["superuser"],
        ).client
    return {"pk": world.objects[key].pk}


def cases(Case) -> dict:
    return {
        "api_clients:client_list": Case(office_only=True),
        "api_clients:client_create": Case(office_only=True, post="read"),
        "api_clients:client_detail": Case(target=client_of, office_only=True),
        "api_clients:client_revoke": Case(
            target=client_of, office_only=True, get="none", post="read", post_answers=frozenset({302})
        ),
    }
