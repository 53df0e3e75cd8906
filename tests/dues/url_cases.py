"""The URL walk's cases for xingji.dues (see tests/web/test_url_auth.py).

Targets: the organization's member of the world (with a dues account), and a
reduction proposed for that member, made once per organization and world.
A reduction is proposed by the member's own branch and decided by a superior.
"""

from datetime import date
from decimal import Decimal


def _member(world, organization):
    from xingji.dues.models import DuesAccount

    found = world.members[organization.pk]
    DuesAccount.objects.get_or_create(
        member=found, defaults={"category": "employed", "base": Decimal(4000), "since": date(2025, 1, 1)}
    )
    return found


def member(world, organization, where):
    return {"pk": _member(world, organization).pk}


def reduction(world, organization, where):
    from xingji.dues.models import DuesReduction

    key = ("dues_reduction", organization.pk)
    if key not in world.objects:
        world.objects[key] = DuesReduction.objects.create(
            member=_member(world, organization), amount=Decimal(1), reason="困难"
        )
    return {"pk": world.objects[key].pk}


def cases(Case) -> dict:
    form = {"get": "write", "post": "write"}
    action = {"get": "none", "post": "write", "post_answers": frozenset({302})}
    return {
        "dues:index": Case(),
        "dues:export": Case(),
        "dues:branch": Case(target="organization"),
        "dues:payment_import": Case(target="organization", **form),
        "dues:import_template": Case(target="organization"),
        "dues:member": Case(target=member),
        "dues:account_edit": Case(target=member, **form),
        "dues:payment_create": Case(target=member, **form),
        "dues:reduction_propose": Case(target=member, who="self", **form),
        "dues:reduction_approve": Case(target=reduction, who="superior", **action),
        "dues:reduction_reject": Case(target=reduction, who="superior", **action),
    }
