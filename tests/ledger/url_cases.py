"""The URL walk's cases for xingji.ledger (see tests/web/test_url_auth.py).

Targets: a self-found item (opened by the organization itself, with one
evidence file), a draft plan of this year, and a milestone of last year's
acknowledged plan, made once per organization and world. POST actions refused by the state (confirming an open item,
acknowledging a draft) answer with a redirect and a message.
"""

import io
from datetime import timedelta

from django.utils import timezone

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _item(world, organization):
    from xingji.ledger.models import ItemSource, RectificationItem
    from xingji.records.services import attachment_add

    key = ("ledger_item", organization.pk)
    if key not in world.objects:
        item = RectificationItem.objects.create(
            organization=organization,
            problem="会议记录不全",
            source=ItemSource.SELF,
            target="完整",
            measures="补记",
            responsible="张三",
            deadline=timezone.localdate() + timedelta(days=30),
        )
        attachment = attachment_add(record=item, upload=io.BytesIO(PDF), name="证明.pdf", size=len(PDF), actor=None)
        world.objects[key] = (item, attachment)
    return world.objects[key]


def item(world, organization, where):
    return {"pk": _item(world, organization)[0].pk}


def item_attachment(world, organization, where):
    found, attachment = _item(world, organization)
    return {"pk": found.pk, "attachment_pk": attachment.pk}


def plan(world, organization, where):
    from xingji.ledger.models import ImprovementPlan

    key = ("ledger_plan", organization.pk)
    if key not in world.objects:
        world.objects[key] = ImprovementPlan.objects.create(
            organization=organization,
            year=timezone.localdate().year,
            target_level=3,
            measures="加强",
            responsible="张三",
        )
    return {"pk": world.objects[key].pk}


def milestone(world, organization, where):
    """A milestone of last year's acknowledged plan (this year's draft is ``plan``'s)."""
    from xingji.ledger.models import ImprovementPlan, PlanMilestone, PlanState

    key = ("ledger_milestone", organization.pk)
    if key not in world.objects:
        today = timezone.localdate()
        acknowledged = ImprovementPlan.objects.create(
            organization=organization,
            year=today.year - 1,
            target_level=3,
            measures="加强",
            responsible="张三",
            state=PlanState.ACKNOWLEDGED,
        )
        world.objects[key] = PlanMilestone.objects.create(plan=acknowledged, due_on=today, description="自查")
    found = world.objects[key]
    return {"pk": found.plan_id, "milestone_pk": found.pk}


def cases(Case) -> dict:
    form = {"get": "write", "post": "write"}
    action = {"get": "none", "post": "write", "post_answers": frozenset({302})}
    either = frozenset({200, 302})
    return {
        "ledger:item_list": Case(),
        "ledger:item_create": Case(**form),
        "ledger:item_export": Case(),
        "ledger:item_template": Case(),
        "ledger:item_import": Case(**form),
        "ledger:item_detail": Case(target=item),
        "ledger:item_edit": Case(target=item, who="self_or_superior", **form),
        "ledger:item_request_close": Case(target=item, who="self", **form),
        "ledger:item_confirm": Case(target=item, who="superior", **action),
        "ledger:item_refuse": Case(target=item, who="superior", **action),
        "ledger:item_attachment_upload": Case(target=item, who="self", **action),
        "ledger:item_attachment": Case(target=item_attachment),
        "ledger:item_attachment_delete": Case(target=item_attachment, who="self", **action),
        "ledger:plan_list": Case(),
        # An existing plan of the year is opened instead (302), else the form (200).
        "ledger:plan_create": Case(
            target="organization", who="self", get="write", post="write", get_answers=either, post_answers=either
        ),
        "ledger:plan_detail": Case(target=plan),
        "ledger:plan_edit": Case(target=plan, who="self", **form),
        "ledger:plan_submit": Case(target=plan, who="self", **action),
        "ledger:plan_acknowledge": Case(target=plan, who="superior", **action),
        "ledger:plan_return": Case(target=plan, who="superior", **action),
        "ledger:plan_docx": Case(target=plan),
        # Without a date the form is refused, an undone milestone cannot be reopened: a redirect and a message.
        "ledger:milestone_done": Case(target=milestone, who="self", **action),
        "ledger:milestone_reopen": Case(target=milestone, who="self", **action),
    }
