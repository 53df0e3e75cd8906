"""The organization tree: creating, moving, and the moves it refuses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from xingji.audit.models import AuditEntry
from xingji.orgs.models import Organization, OrganizationCategory, OrganizationType
from xingji.orgs.services import organization_create, organization_move


def paths(*codes: str) -> list[str]:
    return [Organization.objects.get(code=code).path for code in codes]


def test_it_creates_a_root_and_children_in_order(db, superuser):
    root = organization_create(
        name="市直工委",
        code="ROOT",
        org_type=OrganizationType.PARTY_COMMITTEE,
        category=OrganizationCategory.GOVERNMENT,
        actor=superuser,
    )
    first = organization_create(
        name="一支部",
        code="B1",
        org_type=OrganizationType.BRANCH,
        category=OrganizationCategory.GOVERNMENT,
        parent=root,
        actor=superuser,
    )
    second = organization_create(
        name="二支部",
        code="B2",
        org_type=OrganizationType.BRANCH,
        category=OrganizationCategory.SCHOOL,
        parent=root,
        actor=superuser,
    )

    root.refresh_from_db()
    assert (root.path, root.depth, root.numchild) == ("0001", 1, 2)
    assert (first.path, first.depth) == ("00010001", 2)
    assert (second.path, second.depth) == ("00010002", 2)
    assert list(Organization.objects.get_children(root)) == [first, second]


def test_it_moves_an_organization_with_its_whole_subtree(tree, superuser):
    moved = organization_move(organization=tree.education, new_parent=tree.finance, actor=superuser)

    tree.refreshed()
    assert Organization.objects.get_parent(moved, update=True) == tree.finance
    assert Organization.objects.get_parent(tree.education_1, update=True) == tree.education
    assert [node.code for node in Organization.objects.get_descendants(tree.finance)] == [
        "FIN-1",
        "FIN-2",
        "EDU",
        "EDU-1",
    ]
    assert (tree.education.depth, tree.education_1.depth) == (3, 4)
    assert (tree.root.numchild, tree.finance.numchild) == (1, 3)
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_it_moves_an_organization_to_the_top_level(tree, superuser):
    organization_move(organization=tree.education, new_parent=None, actor=superuser)

    tree.refreshed()
    assert tree.education.is_root()
    assert Organization.objects.get_parent(tree.education_1, update=True) == tree.education
    assert tree.root.numchild == 1


@pytest.mark.parametrize("target", ["finance", "finance_1"])
def test_it_refuses_to_move_an_organization_into_its_own_subtree(tree, superuser, target):
    before = paths("FIN", "FIN-1", "FIN-2")

    with pytest.raises(ValidationError) as error:
        organization_move(organization=tree.finance, new_parent=getattr(tree, target), actor=superuser)

    assert error.value.code == "move_into_own_subtree"
    assert paths("FIN", "FIN-1", "FIN-2") == before
    assert AuditEntry.objects.count() == 0


def test_it_refuses_to_put_an_organization_under_a_branch(tree, superuser):
    with pytest.raises(ValidationError) as moving:
        organization_move(organization=tree.finance_2, new_parent=tree.finance_1, actor=superuser)
    with pytest.raises(ValidationError) as creating:
        organization_create(
            name="小组",
            code="G1",
            org_type=OrganizationType.BRANCH,
            category=OrganizationCategory.GOVERNMENT,
            parent=tree.finance_1,
            actor=superuser,
        )

    assert moving.value.code == creating.value.code == "branch_has_no_children"
    assert tree.refreshed().finance_1.numchild == 0
    assert AuditEntry.objects.count() == 0


def test_it_refuses_a_child_under_an_inactive_organization(tree, superuser):
    Organization.objects.filter(pk=tree.education.pk).update(is_active=False)

    with pytest.raises(ValidationError) as error:
        organization_create(
            name="新支部",
            code="EDU-9",
            org_type=OrganizationType.BRANCH,
            category=OrganizationCategory.SCHOOL,
            parent=tree.education,
            actor=superuser,
        )

    assert error.value.code == "parent_inactive"
    assert not Organization.objects.filter(code="EDU-9").exists()


def test_it_changes_nothing_when_moving_to_the_current_parent(tree, superuser):
    before = paths("FIN", "FIN-1", "FIN-2", "EDU")

    organization_move(organization=tree.finance_2, new_parent=tree.finance, actor=superuser)

    assert paths("FIN", "FIN-1", "FIN-2", "EDU") == before
    assert AuditEntry.objects.count() == 0


def test_it_refuses_a_duplicate_code(tree, superuser):
    with pytest.raises(ValidationError) as error:
        organization_create(
            name="重复",
            code="FIN-1",
            org_type=OrganizationType.BRANCH,
            category=OrganizationCategory.GOVERNMENT,
            parent=tree.finance,
            actor=superuser,
        )

    assert "code" in error.value.message_dict
    assert Organization.objects.filter(code="FIN-1").count() == 1
