"""The URL walk's cases for xingji.supervision (see tests/web/test_url_auth.py).

Objects are made by the superuser once per world for the organization the role looks at (inside or
outside its subtree): a re-check, a pending change of level (the unrated branch proposed for one star)
and a visit. A decision POSTed without data is refused with a message and a redirect to the change.
"""

from django.utils import timezone


def _superuser(world):
    return world.users["superuser"]


def _recheck(world, organization, where):
    from xingji.supervision import services

    key = ("supervision.recheck", organization.pk)
    if key not in world.objects:
        world.objects[key] = services.recheck_record(
            organization=organization,
            checked_on=timezone.localdate(),
            method="site",
            findings="组织生活不规范",
            actor=_superuser(world),
        )
    return {"pk": world.objects[key].pk}


def _change(world, organization, where):
    from xingji.supervision import services

    key = ("supervision.change", organization.pk)
    if key not in world.objects:
        world.objects[key] = services.level_change_propose(
            organization=organization, to_level=1, reason="首次定级", actor=_superuser(world)
        )
    return {"pk": world.objects[key].pk}


def _visit(world, organization, where):
    from xingji.supervision import services

    key = ("supervision.visit", organization.pk)
    if key not in world.objects:
        world.objects[key] = services.visit_record(
            organizations=[organization],
            visited_on=timezone.localdate(),
            method="research",
            group_members="督导组",
            findings="活动开展不积极",
            actor=_superuser(world),
        )
    return {"pk": world.objects[key].pk}


def cases(Case) -> dict:
    form = {"get": "write", "post": "write"}
    decision = {"get": "none", "post": "write", "who": "office", "post_answers": frozenset({302})}
    return {
        "supervision:focus_list": Case(),
        "supervision:focus_export": Case(),
        "supervision:guide_assign": Case(target="organization", who="superior", **form),
        "supervision:recheck_list": Case(),
        "supervision:recheck_create": Case(target="organization", who="superior", **form),
        "supervision:recheck_detail": Case(target=_recheck),
        "supervision:recheck_items": Case(target=_recheck, who="superior", **form),
        "supervision:change_list": Case(),
        "supervision:change_create": Case(target="organization", who="superior", **form),
        "supervision:change_detail": Case(target=_change),
        "supervision:change_approve": Case(target=_change, **decision),
        "supervision:change_reject": Case(target=_change, **decision),
        # The proposer or the committee office; the proposer here is the superuser.
        "supervision:change_withdraw": Case(target=_change, **decision),
        "supervision:visit_list": Case(),
        # No organization yet: the reviewers, the office and the inspection group (督导组) record visits;
        # the branch secretary may not.
        "supervision:visit_create": Case(who="inspecting", get="read", post="read"),
        "supervision:visit_detail": Case(target=_visit),
    }
