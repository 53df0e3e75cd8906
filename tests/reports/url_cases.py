"""The URL walk's cases for xingji.reports (see tests/web/test_url_auth.py).

Objects are made directly for the walk (no service): a plaque, a demonstration
site and a recommendation of the role's organization (inside: year 2025; the
outside organization's in a year of its own, 1000 + its id, so that nothing of
that year is visible to the role and the year's plaque PDF answers 404 like a
missing object), and one publication over the tree's root.
"""

from __future__ import annotations

from datetime import date

YEAR = 2025


def _year_of(organization, where: str) -> int:
    return YEAR if where == "inside" else 1000 + organization.pk


def _plaque(world, organization, where):
    from xingji.reports.models import Plaque

    key = ("reports.plaque", organization.pk, _year_of(organization, where))
    if key not in world.objects:
        year = _year_of(organization, where)
        number = Plaque.objects.filter(year=year).count() + 1
        world.objects[key] = Plaque.objects.create(
            organization=organization,
            year=year,
            number=number,
            evaluation=world.evaluations[organization.pk],
            level=5,
            level_name="五星级",
            title="五星级服务型党组织",
            organization_name=organization.name,
            issuing_body="市直工委",
            issued_on=date(2026, 1, 5),
            created_by=world.users["superuser"],
        )
    return world.objects[key]


def plaque_target(world, organization, where):
    return {"pk": _plaque(world, organization, where).pk}


def plaques_year_target(world, organization, where):
    _plaque(world, organization, where)
    return {"year": _year_of(organization, where)}


def site_target(world, organization, where):
    from xingji.reports.models import DemonstrationSite

    key = ("reports.site", organization.pk)
    if key not in world.objects:
        world.objects[key] = DemonstrationSite.objects.create(
            organization=organization,
            year=_year_of(organization, where),
            reason="基础扎实",
            chosen_by=world.users["superuser"],
        )
    return {"pk": world.objects[key].pk}


def recommendation_target(world, organization, where):
    from xingji.reports.models import CommendationRecommendation, RecommendationState

    key = ("reports.recommendation", organization.pk)
    if key not in world.objects:
        world.objects[key] = CommendationRecommendation.objects.create(
            organization=organization,
            year=_year_of(organization, where),
            deeds="事迹",
            state=RecommendationState.SUBMITTED,
            created_by=world.users["superuser"],
        )
    return {"pk": world.objects[key].pk}


def publication_target(world, organization, where):
    from xingji.reports.models import ResultPublication

    key = "reports.publication"
    if key not in world.objects:
        root = world.campaigns["inside"].root
        world.objects[key] = ResultPublication.objects.create(
            year=YEAR,
            root=root,
            title="2025年度评定结果",
            head_hash="0" * 64,
            rows=[{"organization": organization.name, "level": 5, "level_name": "五星级"}],
            published_by=world.users["superuser"],
        )
    return {"pk": world.objects[key].pk}


def correction_target(world, organization, where):
    """A publication over the tree's root (inside), or over the outside organization itself."""
    from xingji.reports.models import ResultPublication

    key = ("reports.correction", where, organization.pk if where == "outside" else None)
    if key not in world.objects:
        root = world.campaigns["inside"].root if where == "inside" else organization
        world.objects[key] = ResultPublication.objects.create(
            year=_year_of(organization, where),
            root=root,
            title="评定结果",
            head_hash="0" * 64,
            rows=[],
            published_by=world.users["superuser"],
        )
    return {"pk": world.objects[key].pk}


def correction_objection_target(world, organization, where):
    """An open objection to a corrected line of ``correction_target``'s publication."""
    from xingji.reports.models import CorrectionObjection, PublishedResult, ResultPublication

    key = ("reports.correction_objection", where, organization.pk)
    if key not in world.objects:
        publication = ResultPublication.objects.get(pk=correction_target(world, organization, where)["pk"])
        line = PublishedResult.objects.create(
            publication=publication,
            organization=organization,
            year=publication.year,
            level=4,
            level_name="四星级",
            is_current=False,
            changed=True,
            previous_level=5,
            previous_level_name="五星级",
        )
        world.objects[key] = CorrectionObjection.objects.create(publication=publication, result=line, content="异议")
    return {"pk": world.objects[key].pk}


def cases(Case) -> dict:
    year = {"year": YEAR}
    office_form = {"office_only": True, "post": "read"}
    office_object_form = {"who": "office", "get": "write", "post": "write"}
    return {
        "reports:index": Case(),
        "reports:year": Case(kwargs=year),
        "reports:plaques_issue": Case(kwargs=year, **office_form),
        "reports:plaques_pdf": Case(target=plaques_year_target),
        "reports:plaque_pdf": Case(target=plaque_target),
        "reports:plaque_withdraw": Case(target=plaque_target, **office_object_form),
        "reports:site_list": Case(),
        "reports:site_export": Case(),
        "reports:site_create": Case(kwargs=year, **office_form),
        "reports:site_revoke": Case(target=site_target, **office_object_form),
        "reports:recommendation_list": Case(kwargs=year),
        "reports:recommendation_create": Case(kwargs=year, **office_form),
        # Nothing to submit in the walk's world: refused with a message, back to the list.
        "reports:recommendation_submit": Case(
            kwargs=year, office_only=True, get="none", post="read", post_answers=frozenset({302})
        ),
        "reports:recommendation_xlsx": Case(kwargs=year),
        "reports:recommendation_docx": Case(kwargs=year),
        "reports:recommendation_decide": Case(target=recommendation_target, **office_object_form),
        # The walk's recommendation is submitted, not a draft: refused with a message, back to the list.
        "reports:recommendation_delete": Case(
            target=recommendation_target, who="office", get="none", post="write", post_answers=frozenset({302})
        ),
        "reports:assessment_export": Case(kwargs=year),
        "reports:publish": Case(kwargs=year, **office_form),
        "reports:publication_correct": Case(target=correction_target, office_only=True, post="read"),
        "reports:correction_objection_answer": Case(target=correction_objection_target, office_only=True, post="read"),
        "results:list": Case(public=True),
        "results:correction_objection": Case(target=publication_target, public=True, post="read"),
        "results:detail": Case(target=publication_target, public=True),
    }
