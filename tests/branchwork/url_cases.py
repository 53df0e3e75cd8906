"""The URL walk's cases for xingji.branchwork (see tests/web/test_url_auth.py).

Target: an appraisal of last year with the organization's member graded 不合格, and
a meeting of the organization (a branch) with one PDF, made once per organization and world.
Every writing role that sees the branch records its meetings (its secretary, the superiors above it);
the inspector reads only. An empty upload or delete is answered with a redirect and a message.
The pages of a superior's convened meetings send a branch to its own pages (a redirect, after the write
check for the form); their access for superiors is proven in tests/branchwork/test_units.py.
"""

import io
from datetime import timedelta

from django.utils import timezone

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _meeting(world, organization):
    from xingji.branchwork.models import Meeting
    from xingji.records.services import attachment_add

    key = ("branchwork_meeting", organization.pk)
    if key not in world.objects:
        meeting = Meeting.objects.create(
            organization=organization,
            kind="committee",
            held_on=timezone.localdate() - timedelta(days=1),
            place="会议室",
            host="张伟",
            topic="研究工作",
        )
        attachment = attachment_add(
            record=meeting, upload=io.BytesIO(PDF), name="签到表.pdf", size=len(PDF), actor=None
        )
        world.objects[key] = (meeting, attachment)
    return world.objects[key]


def meeting(world, organization, where):
    return {"pk": _meeting(world, organization)[0].pk}


def meeting_attachment(world, organization, where):
    found, attachment = _meeting(world, organization)
    return {"pk": found.pk, "attachment_pk": attachment.pk}


def _appraisal(world, organization):
    """Last year's appraisal of the organization, its member graded 不合格 (no follow-up yet)."""
    from xingji.branchwork.models import Appraisal, AppraisalGrade

    key = ("branchwork_appraisal", organization.pk)
    if key not in world.objects:
        appraisal = Appraisal.objects.create(organization=organization, year=timezone.localdate().year - 1)
        AppraisalGrade.objects.create(appraisal=appraisal, member=world.members[organization.pk], grade="unqualified")
        world.objects[key] = appraisal
    return world.objects[key]


def appraisal(world, organization, where):
    return {"pk": organization.pk, "year": _appraisal(world, organization).year}


def appraisal_member(world, organization, where):
    return {**appraisal(world, organization, where), "member_pk": world.members[organization.pk].pk}


def cases(Case) -> dict:
    form = {"get": "write", "post": "write"}
    action = {"get": "none", "post": "write", "post_answers": frozenset({302})}
    return {
        "branchwork:overview": Case(),
        "branchwork:meeting_import": Case(**form),
        "branchwork:import_template": Case(),
        "branchwork:branch": Case(target="organization"),
        "branchwork:meeting_create": Case(target="organization", **form),
        "branchwork:meeting_detail": Case(target=meeting),
        "branchwork:meeting_edit": Case(target=meeting, **form),
        # A confirmation page, then the deletion and a redirect to the branch's page.
        "branchwork:meeting_delete": Case(target=meeting, get="write", post="write", post_answers=frozenset({302})),
        "branchwork:unit_meetings": Case(target="organization", get_answers=frozenset({302})),
        "branchwork:unit_meeting_create": Case(
            target="organization", **form, get_answers=frozenset({302}), post_answers=frozenset({302})
        ),
        "branchwork:attachment_upload": Case(target=meeting, **action),
        "branchwork:attachment": Case(target=meeting_attachment),
        "branchwork:attachment_delete": Case(target=meeting_attachment, **action),
        # The appraisal: read by whoever sees the branch, recorded by its secretary and superiors; an empty POST
        # saves nothing new (a redirect), an empty follow-up is refused back on the page.
        "branchwork:appraisal_overview": Case(),
        "branchwork:appraisal": Case(target=appraisal, post="write"),
        "branchwork:appraisal_follow_up": Case(target=appraisal_member, **action),
    }
