"""Every URL of the project, for an anonymous client and for each role, inside and outside its subtree.

The walk iterates the resolver, so a new URL pattern that is not in
``CASES`` fails ``test_it_has_a_case_for_every_url_name``: a new view cannot
land without saying who may use it. Expectations:

* anonymous: a redirect to the login page, except the public pages;
* a method the view does not take: 405 (after the login check);
* an office-only page (audit, user management) for another role: 403;
* an object outside the user's subtree: 404, like a missing one;
* a write (a form page or a POST) by the read-only inspector: 403;
* otherwise 200 for GET, 200 (form errors) or 302 (done) for POST.

Each request runs in a transaction rolled back afterwards, so that a POST
which deletes or changes something leaves the world the same for the next.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.factories import MemberFactory, OrganizationFactory, UserFactory
from tests.records.factories import CommendationFactory
from xingji.accounts.models import Role
from xingji.campaigns import services as campaign_services
from xingji.campaigns.models import Campaign, Notice
from xingji.campaigns.services import campaign_create
from xingji.orgs.models import OrganizationType
from xingji.records.services import attachment_add

# The JSON API answers tokens, not sessions: tests/api proves its access.
EXCLUDED_NAMESPACES = {"admin", "api"}
LOGIN_PATH = "/accounts/login/"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def walk(patterns, namespace: str = "") -> list[str]:
    """The qualified names of every URL pattern, recursively; an unnamed pattern is an error."""
    names = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in EXCLUDED_NAMESPACES:
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names.extend(walk(pattern.url_patterns, inner))
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"URL pattern {pattern.pattern} has no name, so no test can name it"
            names.append(f"{namespace}{pattern.name}")
    return names


URL_NAMES = walk(get_resolver().url_patterns)


@dataclass(frozen=True)
class Case:
    """How a URL is reached and who may use it.

    ``target``: the object named by ``pk`` (None: no object), or a function
    ``(world, organization, where) -> kwargs`` that makes (once per world, in
    ``world.objects``) what the URL names for that organization. ``get`` and
    ``post``: ``"read"`` (any logged-in user who may see the object),
    ``"write"`` (the writing roles; the inspector gets 403), ``"none"`` (405).
    ``office_only``: the committee office and superusers; 403 for other roles.
    ``public``: open to anonymous clients too.
    """

    target: str | Callable | None = None
    get: str = "read"
    post: str = "none"
    office_only: bool = False
    public: bool = False
    #: Who may use it among the users who see the object (``WHO``): the organization's own user
    #: ("self"), its superiors ("superior"), either ("self_or_superior"), the campaign's office
    #: ("office"); the others get 403 (after the 404 outside the subtree).
    who: str | None = None
    kwargs: dict = field(default_factory=dict)
    #: What an allowed POST without data answers (a form page again, or a redirect when done).
    post_answers: frozenset = frozenset({200, 302})
    #: What an allowed GET answers (a page; or a redirect when the state refuses it, or a 503 when a
    #: converter is not installed).
    get_answers: frozenset = frozenset({200})


FORM = {"get": "write", "post": "write"}
KIND = {"kind": "commendations"}

CASES: dict[str, Case] = {
    "web:home": Case(),
    "accounts:login": Case(public=True, post="read"),
    "accounts:logout": Case(public=True, get="none", post="read"),
    "accounts:password_change": Case(post="read"),
    "accounts:otp_setup": Case(post="read"),
    "accounts:user_list": Case(office_only=True),
    "accounts:user_create": Case(office_only=True, post="read"),
    "accounts:user_edit": Case(target="user", office_only=True, post="read"),
    "accounts:user_unlock": Case(target="user", office_only=True, get="none", post="read"),
    "orgs:tree": Case(),
    "orgs:export": Case(),
    "orgs:import": Case(kwargs={"kind": "members"}, **FORM),
    "orgs:import_template": Case(kwargs={"kind": "organizations"}),
    "orgs:detail": Case(target="organization"),
    "orgs:create": Case(target="organization", **FORM),
    "orgs:edit": Case(target="organization", **FORM),
    # Moved by a superior with somewhere to move it: the reviewer's FIN holds no second committee or general
    # branch to take FIN-1, the secretary never re-parents its own branch.
    "orgs:move": Case(target="organization", who="office", **FORM),
    "orgs:election": Case(target="organization", **FORM),
    "orgs:member_list": Case(target="organization"),
    "orgs:member_export": Case(target="organization"),
    "orgs:member_create": Case(target="organization", **FORM),
    "orgs:member_edit": Case(target="member", **FORM),
    "orgs:member_delete": Case(target="member", **FORM),
    "audit:entry_list": Case(office_only=True),
    "audit:export": Case(office_only=True),
    "audit:verify": Case(office_only=True, get="none", post="read"),
    # Evidence records (xingji.records): kind slug in the URL, records reached by their organization.
    "records:index": Case(),
    "records:facts": Case(),
    "records:list": Case(kwargs=KIND),
    "records:export": Case(kwargs=KIND),
    "records:template": Case(kwargs=KIND),
    "records:create": Case(kwargs=KIND, **FORM),
    "records:import": Case(kwargs=KIND, **FORM),
    "records:detail": Case(target="record", kwargs=KIND),
    # The world's commendations are confirmed: only a superior of the branch changes them (the branch itself
    # only claims its own, which stay its to change until confirmed).
    "records:edit": Case(target="record", kwargs=KIND, who="superior", **FORM),
    "records:delete": Case(target="record", kwargs=KIND, who="superior", **FORM),
    # An empty upload is refused back on the record page (a redirect with an error message).
    "records:attachment_upload": Case(
        target="record", kwargs=KIND, who="superior", get="none", post="write", post_answers=frozenset({302})
    ),
    "records:attachment": Case(target="attachment", kwargs=KIND),
    "records:attachment_delete": Case(target="attachment", kwargs=KIND, who="superior", get="none", post="write"),
    # A superior confirms or sends back a claim; a confirmed record is refused back on its page.
    "records:confirm": Case(
        target="record", kwargs=KIND, who="superior", get="none", post="write", post_answers=frozenset({302})
    ),
    "records:reject": Case(
        target="record", kwargs=KIND, who="superior", get="none", post="write", post_answers=frozenset({302})
    ),
    # Public notices (公示) and objections: no login; a notice has no inside or outside.
    "public:notice_list": Case(public=True),
    "public:notice_detail": Case(target="notice", public=True),
    "public:objection_create": Case(target="notice", public=True, post="read"),
    "public:objection_receipt": Case(public=True),
    "public:objection_lookup": Case(public=True, post="read"),
}

# Campaigns (xingji.campaigns): the campaign over the tree's root, opened; its evaluation of the role's
# organization (an organization of another campaign outside). POST actions refused by the state redirect.
OFFICE_POST = {"get": "none", "post": "write", "who": "office", "post_answers": frozenset({302})}
CASES.update(
    {
        "campaigns:list": Case(),
        "campaigns:create": Case(office_only=True, post="read"),
        "campaigns:detail": Case(target="campaign"),
        # The campaign is opened, no longer a draft: its edit page is refused with a redirect.
        "campaigns:edit": Case(
            target="campaign", who="office", **FORM, get_answers=frozenset({302}), post_answers=frozenset({302})
        ),
        "campaigns:open": Case(target="campaign", **OFFICE_POST),
        "campaigns:scope": Case(target="campaign"),
        # Open, never rated: the quota mode may still change (an empty POST shows the form again).
        "campaigns:quota_mode": Case(target="campaign", who="office", **FORM),
        "campaigns:evaluation_list": Case(target="campaign"),
        "campaigns:export": Case(target="campaign"),
        "campaigns:rating": Case(target="campaign"),
        "campaigns:rating_status": Case(target="campaign"),
        "campaigns:rating_start": Case(target="campaign", **OFFICE_POST),
        "campaigns:tie_decide": Case(target="campaign", **OFFICE_POST),
        "campaigns:notice_publish": Case(target="campaign", who="office", **FORM),
        "campaigns:notice_close": Case(target="campaign", **OFFICE_POST),
        "campaigns:objections": Case(target="campaign", who="office", get="write"),
        "campaigns:objection_answer": Case(target="campaign", **OFFICE_POST),
        "campaigns:approve": Case(target="campaign", who="office", **FORM),
        "campaigns:municipal_send": Case(target="campaign", who="office", **FORM),
        "campaigns:municipal_return": Case(target="campaign", who="office", **FORM),
        "campaigns:evaluation": Case(target="evaluation"),
        "campaigns:self_evaluation": Case(target="evaluation", who="self", **FORM),
        "campaigns:self_evaluation_docx": Case(target="evaluation"),
        # LibreOffice is made absent for the walk (``no_libreoffice``): the PDF page says so, as a 503.
        "campaigns:self_evaluation_pdf": Case(target="evaluation", get_answers=frozenset({503})),
        "campaigns:self_return": Case(
            target="evaluation", who="superior", get="none", post="write", post_answers=frozenset({302})
        ),
        # Evidence files of the self-evaluation: added and deleted through the self-evaluation form (its own
        # user only), downloaded by anyone who sees the evaluation.
        "campaigns:criterion_attachment": Case(target="criterion_attachment"),
        "campaigns:superior_evaluation": Case(target="evaluation", who="superior", **FORM),
        # Withdrawals: a draft has nothing to withdraw, refused back on the page (a redirect with a message).
        "campaigns:self_withdraw": Case(
            target="evaluation", who="self", get="none", post="write", post_answers=frozenset({302})
        ),
        "campaigns:superior_withdraw": Case(
            target="evaluation", who="superior", get="none", post="write", post_answers=frozenset({302})
        ),
        "campaigns:review": Case(target="evaluation", who="office", **FORM),
        "campaigns:direct_check": Case(target="evaluation", who="office", **FORM),
        "campaigns:ledger": Case(target="organization"),
        "campaigns:ledger_import": Case(office_only=True, post="read"),
        "campaigns:ledger_import_template": Case(office_only=True),
    }
)

# The apps after the campaign keep their cases beside their tests: ``tests/<app>/url_cases.py`` defines
# ``cases(Case) -> dict`` (given this module's ``Case``, so that it imports nothing from here).
CASE_MODULES = [
    "tests.surveys.url_cases",
    "tests.ledger.url_cases",
    "tests.branchwork.url_cases",
    "tests.supervision.url_cases",
    "tests.reports.url_cases",
    "tests.dues.url_cases",
    "tests.web.url_cases_due",
    "tests.campaigns_web.url_cases_sandbox",
    "tests.campaigns_web.url_cases_guidance",
    "tests.campaigns_web.url_cases_schemes",
    "tests.api.url_cases",
    "tests.orgs.url_cases",
]
for module_name in CASE_MODULES:
    CASES.update(import_module(module_name).cases(Case))

WHO = {
    "self": {"secretary", "superuser"},
    "superior": {"office", "reviewer", "superuser"},
    "self_or_superior": {"secretary", "office", "reviewer", "superuser"},
    "office": {"office", "superuser"},
    # Supervision visits: the superiors and the inspection group (督导组).
    "inspecting": {"office", "reviewer", "inspector", "superuser"},
}

ROLES = ["anonymous", "office", "reviewer", "secretary", "inspector", "superuser"]


@dataclass
class World:
    users: dict
    #: role → (organization inside its subtree, organization outside it or None)
    places: dict
    members: dict
    accounts: dict
    records: dict
    attachments: dict
    #: "inside": the opened campaign over the tree's root; "outside": one over another root.
    campaigns: dict = field(default_factory=dict)
    #: organization id → its evaluation (in the outside campaign for the other root's branch).
    evaluations: dict = field(default_factory=dict)
    #: A published notice, made on first use (``notice_of``).
    notices: dict = field(default_factory=dict)
    #: organization id → an evidence file of its self-evaluation, made on first use (``evidence_of``).
    evidence: dict = field(default_factory=dict)
    #: What the callable targets of other apps' cases made, by their own keys.
    objects: dict = field(default_factory=dict)


@pytest.fixture(autouse=True)
def attachments_root(attachments_root):
    """Every test here uploads into the scratch folder of ``tests/conftest.py``."""
    return attachments_root


@pytest.fixture(autouse=True)
def no_libreoffice(monkeypatch):
    """No LibreOffice, whatever the machine has: the PDF export answers its 503 page, quickly."""
    monkeypatch.setattr("xingji.common.documents.soffice_path", lambda: None)


@pytest.fixture
def world(tree, office_user, reviewer, secretary, inspector, superuser) -> World:
    other_root = OrganizationFactory(name="另一工委", code="OTHER", org_type=OrganizationType.PARTY_COMMITTEE)
    other_1 = OrganizationFactory(name="另一支部", code="OTHER-1", parent=other_root)
    organizations = [tree.finance_1, tree.finance_2, tree.education_1, other_1]
    members = {organization.pk: MemberFactory(organization=organization) for organization in organizations}
    accounts = {
        "inside": UserFactory(username="branch-2", organization=tree.finance_2, role=Role.BRANCH_SECRETARY),
        "outside": UserFactory(username="other-1", organization=other_1, role=Role.BRANCH_SECRETARY),
    }
    records = {organization.pk: CommendationFactory(organization=organization) for organization in organizations}
    attachments = {
        pk: attachment_add(record=record, upload=io.BytesIO(PDF), name="证明.pdf", size=len(PDF), actor=None)
        for pk, record in records.items()
    }
    places = {
        "office": (tree.finance_1, other_1),
        "reviewer": (tree.finance_1, tree.education_1),
        "secretary": (tree.finance_1, tree.finance_2),
        "inspector": (tree.finance_1, tree.education_1),
        "superuser": (tree.finance_1, None),
        "anonymous": (tree.finance_1, other_1),
    }
    users = {
        "office": office_user,
        "reviewer": reviewer,
        "secretary": secretary,
        "inspector": inspector,
        "superuser": superuser,
        "anonymous": None,
    }
    world = World(
        users=users, places=places, members=members, accounts=accounts, records=records, attachments=attachments
    )
    inside = campaign_services.campaign_create(root=tree.root, year=2025, kind="mid_year", actor=office_user)
    outside = campaign_services.campaign_create(root=other_root, year=2025, kind="mid_year", actor=superuser)
    for campaign in (inside, outside):
        campaign_services.campaign_open(campaign=campaign, actor=superuser)
    world.campaigns = {"inside": inside, "outside": outside}
    world.evaluations = {
        evaluation.organization_id: evaluation
        for campaign in (inside, outside)
        for evaluation in campaign.evaluations.all()
    }
    return world


def notice_of(world: World) -> Notice:
    """A published notice (no entries) of a campaign over the office's tree, made once per world."""
    if "notice" not in world.notices:
        office = world.users["office"]
        campaign = Campaign.objects.filter(root=office.organization).first() or campaign_create(
            root=office.organization, year=2024, kind="year_end", actor=office
        )
        today = timezone.localdate()
        world.notices["notice"] = Notice.objects.create(
            campaign=campaign,
            title="评定结果公示",
            starts_on=today,
            ends_on=today + timedelta(days=6),
            published_by=office,
        )
    return world.notices["notice"]


def evidence_of(world: World, organization):
    """An evidence file on the first criterion of the organization's self-evaluation, made once per world."""
    if organization.pk not in world.evidence:
        evaluation = world.evaluations[organization.pk]
        code = evaluation.campaign.scheme.criteria_for(organization.category)[0].code
        world.evidence[organization.pk] = campaign_services.criterion_attachment_add(
            evaluation=evaluation,
            criterion_code=code,
            upload=io.BytesIO(PDF),
            name="材料.pdf",
            size=len(PDF),
            actor=world.users["superuser"],
        )
    return world.evidence[organization.pk]


def url_for(name: str, case: Case, world: World, role: str, where: str) -> str:
    kwargs = dict(case.kwargs)
    inside, outside = world.places[role]
    organization = inside if where == "inside" else outside
    if callable(case.target):
        kwargs.update(case.target(world, organization, where))
    elif case.target == "organization":
        kwargs["pk"] = organization.pk
    elif case.target == "member":
        kwargs["pk"] = world.members[organization.pk].pk
    elif case.target == "record":
        kwargs["pk"] = world.records[organization.pk].pk
    elif case.target == "attachment":
        kwargs["pk"] = world.records[organization.pk].pk
        kwargs["attachment_pk"] = world.attachments[organization.pk].pk
    elif case.target == "user":
        kwargs["pk"] = world.accounts[where].pk
    elif case.target == "campaign":
        kwargs["pk"] = world.campaigns[where].pk
    elif case.target == "evaluation":
        kwargs["pk"] = world.evaluations[organization.pk].pk
    elif case.target == "criterion_attachment":
        kwargs["pk"] = world.evaluations[organization.pk].pk
        kwargs["attachment_pk"] = evidence_of(world, organization).pk
    elif case.target == "notice":
        kwargs["pk"] = notice_of(world).pk
    return reverse(name, kwargs=kwargs)


def expected(case: Case, role: str, where: str, method: str) -> set[int]:
    mode = case.get if method == "get" else case.post
    if role == "anonymous":
        if case.public:
            return {405} if mode == "none" else {200, 302}
        return {302}
    if mode == "none":
        return {405}
    if case.office_only and role not in {"office", "superuser"}:
        return {403}
    if where == "outside":
        return {404}
    if case.who is not None and role not in WHO[case.who]:
        return {403}
    if mode == "write" and role == "inspector":
        return {403}
    return set(case.get_answers) if method == "get" else set(case.post_answers)


def test_it_has_a_case_for_every_url_name():
    assert sorted(set(URL_NAMES) - set(CASES)) == [], "add these URL names to CASES"
    assert sorted(set(CASES) - set(URL_NAMES)) == [], "these CASES name no URL any more"


@pytest.mark.parametrize("name", sorted(set(URL_NAMES) & set(CASES)))
def test_it_guards_the_url(client, world, name):
    case = CASES[name]
    wrong = []
    for role in ROLES:
        client.logout()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        places = (
            ["inside", "outside"]
            if case.target and not case.public and world.places[role][1] is not None
            else ["inside"]
        )
        for where in places:
            url = url_for(name, case, world, role, where)
            for method in ("get", "post"):
                with transaction.atomic():
                    response = getattr(client, method)(url)
                    if response.streaming:
                        # Read to the end: the test client then closes the file of a download.
                        b"".join(response.streaming_content)
                    transaction.set_rollback(True)
                allowed = expected(case, role, where, method)
                redirect_ok = True
                if role == "anonymous" and not case.public and response.status_code == 302:
                    redirect_ok = response["Location"].startswith(f"{LOGIN_PATH}?next=")
                if response.status_code not in allowed or not redirect_ok:
                    location = response.get("Location", "")
                    wrong.append(
                        f"{role} {where} {method.upper()} {url}: {response.status_code} {location}"
                        f" (expected {sorted(allowed)})"
                    )
    assert wrong == []
