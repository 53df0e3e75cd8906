"""factory_boy factories for the platform's models.

They write rows directly (no services, no audit entries), so that a test
sets up its world without filling the audit chain it may be checking.
"""

from __future__ import annotations

from datetime import date

import factory
from factory.django import DjangoModelFactory, Password

from xingji.accounts.models import Role, User
from xingji.orgs.models import (
    Election,
    Gender,
    LeadershipPosition,
    Member,
    MemberStatus,
    Organization,
    OrganizationCategory,
    OrganizationType,
)

PASSWORD = "Xingji-2026"


class OrganizationFactory(DjangoModelFactory):
    """An organization; ``parent=`` places it as that node's last child, else it is a root."""

    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"第{n}党支部")
    code = factory.Sequence(lambda n: f"ORG-{n:04d}")
    org_type = OrganizationType.BRANCH
    category = OrganizationCategory.GOVERNMENT
    founded = date(2010, 7, 1)
    is_active = True

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        instance = model_class(**kwargs)
        if parent is None:
            return model_class.objects.add_root(instance=instance)
        return model_class.objects.add_child(parent, instance=instance)


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"党员{n}")
    gender = Gender.FEMALE
    birth_year = 1985
    joined = date(2008, 7, 1)
    status = MemberStatus.FULL
    leadership_position = LeadershipPosition.NONE
    phone = "13812345678"


class ElectionFactory(DjangoModelFactory):
    class Meta:
        model = Election

    organization = factory.SubFactory(OrganizationFactory)
    last_election = date(2022, 6, 1)
    term_years = 3


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    organization = factory.SubFactory(OrganizationFactory, org_type=OrganizationType.PARTY_COMMITTEE)
    role = Role.COMMITTEE_OFFICE
    is_staff = True
    password = Password(PASSWORD)


class SuperuserFactory(UserFactory):
    organization = None
    role = ""
    is_superuser = True
