"""The demo: a realistic 市直机关 — its organization tree, members, elections and users.

``load_demo()`` writes, through the services and with the system as the
actor (so every row has its audit entry), a working committee
(安阳市直机关工委) with ten 机关党委/党总支 named after municipal bureaus, 73
branches (机关支部, 离退休干部支部, 事业单位支部, 联合党支部, a 临时党支部
and, under the police bureau, a 党总支 with branches of its own), about 1,900
members with their leadership teams, the current term of every
organization (a few overdue: without a request, with an approved
postponement, with a request still pending, more than a year late), and
the users of every role. Evidence records for the year come from
``xingji.demo.records``.

Everything is drawn from one seeded random generator and dated relative to
``today``: the same seed and day give the same demo. The whole load runs in
one transaction, so an interrupted load leaves nothing behind and the next
run starts again.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from xingji.accounts.models import Role, User
from xingji.accounts.services import user_change_role, user_create
from xingji.demo.branchwork import load_demo_branchwork
from xingji.demo.dues import load_demo_dues
from xingji.demo.history import load_demo_history
from xingji.demo.ledger import load_demo_ledger
from xingji.demo.names import person_name
from xingji.demo.records import load_demo_records, record_counts
from xingji.demo.root import DEMO_ROOT_CODE, DEMO_ROOT_NAME, demo_root, loaded_demo_root
from xingji.demo.supervision import load as load_demo_supervision
from xingji.orgs.models import (
    Gender,
    LeadershipPosition,
    Member,
    MemberStatus,
    Organization,
    OrganizationCategory,
    OrganizationType,
)
from xingji.orgs.services import BRANCH_TYPES, election_record, member_create, organization_create

DEFAULT_SEED = 2017

NUMERALS = "一二三四五六七八九十"


# --- the plan of the tree ------------------------------------------------------------


@dataclass(frozen=True)
class BranchPlan:
    """A branch, or (with ``children``) a 党总支 under a 机关党委 with branches of its own."""

    code: str
    name: str
    org_type: str = OrganizationType.BRANCH
    category: str = OrganizationCategory.GOVERNMENT
    #: "staff" (机关在职), "retired" (离退休), "affiliated" (直属事业单位), "police", "temporary"
    kind: str = "staff"
    children: tuple[BranchPlan, ...] = ()


@dataclass(frozen=True)
class UnitPlan:
    """A 机关党委 or 机关党总支 of one municipal bureau, with its branches."""

    code: str
    name: str
    org_type: str
    branches: tuple[BranchPlan, ...]


def staff_branches(bureau: str, count: int, *, kind: str = "staff") -> list[BranchPlan]:
    return [
        BranchPlan(f"{number:02d}", f"{bureau}机关第{NUMERALS[number - 1]}党支部", kind=kind)
        for number in range(1, count + 1)
    ]


def retired(bureau: str) -> BranchPlan:
    return BranchPlan("LT", f"{bureau}离退休干部党支部", kind="retired")


def affiliated(code: str, name: str, *, joint: bool = False) -> BranchPlan:
    org_type = OrganizationType.JOINT_BRANCH if joint else OrganizationType.BRANCH
    category = OrganizationCategory.PUBLIC_INSTITUTION
    return BranchPlan(code, name, org_type=org_type, category=category, kind="affiliated")


PARTY_COMMITTEE = OrganizationType.PARTY_COMMITTEE
GENERAL_BRANCH = OrganizationType.GENERAL_BRANCH

UNITS: tuple[UnitPlan, ...] = (
    UnitPlan(
        "CZ",
        "市财政局机关党委",
        PARTY_COMMITTEE,
        (
            *staff_branches("市财政局", 6),
            retired("市财政局"),
            affiliated("LH", "市财政局下属事业单位联合党支部", joint=True),
        ),
    ),
    UnitPlan(
        "JY",
        "市教育局机关党委",
        PARTY_COMMITTEE,
        (
            *staff_branches("市教育局", 5),
            retired("市教育局"),
            affiliated("LH", "市教育局直属事业单位联合党支部", joint=True),
            affiliated("DJ", "市电化教育馆党支部"),
        ),
    ),
    UnitPlan(
        "WJ",
        "市卫生健康委员会机关党委",
        PARTY_COMMITTEE,
        (
            *staff_branches("市卫生健康委员会", 5),
            affiliated("JK", "市疾病预防控制中心党支部"),
            affiliated("JD", "市卫生健康监督所党支部"),
            retired("市卫生健康委员会"),
        ),
    ),
    UnitPlan(
        "GA",
        "市公安局机关党委",
        PARTY_COMMITTEE,
        (
            *staff_branches("市公安局", 6, kind="police"),
            BranchPlan(
                "JJ",
                "市公安局交通警察支队党总支",
                org_type=GENERAL_BRANCH,
                kind="police",
                children=tuple(
                    BranchPlan(f"{number:02d}", f"市公安局交通警察支队第{NUMERALS[number - 1]}党支部", kind="police")
                    for number in range(1, 4)
                ),
            ),
            retired("市公安局"),
        ),
    ),
    UnitPlan(
        "ZR",
        "市自然资源和规划局机关党委",
        PARTY_COMMITTEE,
        (
            *staff_branches("市自然资源和规划局", 5),
            affiliated("BDC", "市不动产登记中心党支部"),
            affiliated("LH", "市自然资源和规划局下属单位联合党支部", joint=True),
        ),
    ),
    UnitPlan(
        "ZJ",
        "市住房和城乡建设局机关党总支",
        GENERAL_BRANCH,
        (
            *staff_branches("市住房和城乡建设局", 4),
            retired("市住房和城乡建设局"),
        ),
    ),
    UnitPlan("FG", "市发展和改革委员会机关党总支", GENERAL_BRANCH, (*staff_branches("市发展和改革委员会", 4),)),
    UnitPlan(
        "RS",
        "市人力资源和社会保障局机关党委",
        PARTY_COMMITTEE,
        (
            *staff_branches("市人力资源和社会保障局", 5),
            affiliated("SB", "市社会保险中心党支部"),
        ),
    ),
    UnitPlan(
        "JT",
        "市交通运输局机关党委",
        PARTY_COMMITTEE,
        (
            *staff_branches("市交通运输局", 4),
            affiliated("GL", "市公路事业发展中心党支部"),
            retired("市交通运输局"),
        ),
    ),
    UnitPlan(
        "SJ",
        "市市场监督管理局机关党委",
        PARTY_COMMITTEE,
        (
            *staff_branches("市市场监督管理局", 5),
            BranchPlan("ZF", "市市场监管综合行政执法支队党支部", kind="police"),
        ),
    ),
)

#: Branches directly under the working committee, checked by the office itself.
DIRECT_BRANCHES: tuple[BranchPlan, ...] = (
    BranchPlan("JG", "市直工委机关党支部"),
    affiliated("DAG", "市档案馆党支部"),
    affiliated("SZ", "市地方史志研究室党支部"),
    BranchPlan("XDW", "市直机关小单位联合党支部", org_type=OrganizationType.JOINT_BRANCH),
    BranchPlan("ZC", "市直机关驻村工作队临时党支部", org_type=OrganizationType.TEMPORARY_BRANCH, kind="temporary"),
)

#: Members per branch (low, high) by kind of branch.
MEMBER_RANGES = {
    "staff": (9, 36),
    "police": (22, 42),
    "retired": (18, 45),
    "affiliated": (10, 34),
    "temporary": (5, 8),
}
MALE_SHARE = {"staff": 0.56, "police": 0.82, "retired": 0.66, "affiliated": 0.5, "temporary": 0.75}


@dataclass(frozen=True)
class DemoSize:
    """How much of the plan to load: the full demo, or a small one for tests."""

    units: int
    branches_per_unit: int | None
    direct_branches: int
    member_scale: float
    minimum_members: int


FULL = DemoSize(
    units=len(UNITS),
    branches_per_unit=None,
    direct_branches=len(DIRECT_BRANCHES),
    member_scale=1.0,
    minimum_members=1500,
)
SMALL = DemoSize(units=3, branches_per_unit=3, direct_branches=2, member_scale=0.25, minimum_members=0)
SIZES = {"full": FULL, "small": SMALL}


# --- logins ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    role_label: str
    username: str
    password: str
    organization: str


#: One login per role. Demo passwords are fixed and printed on every start:
#: the demo serves on 127.0.0.1 only. They pass the password validators.
LOGIN_PASSWORDS = {
    Role.COMMITTEE_OFFICE: "Zuzhibu#2026",
    Role.REVIEWER: "Jiguan#2026",
    Role.BRANCH_SECRETARY: "Zhibu#2026",
    Role.INSPECTOR: "Dudao#2026",
    "superuser": "Houtai#2026",
}
LOGIN_USERNAMES = {
    Role.COMMITTEE_OFFICE: "office",
    Role.REVIEWER: "reviewer",
    Role.BRANCH_SECRETARY: "secretary",
    Role.INSPECTOR: "inspector",
    "superuser": "admin",
}
ROLE_LABELS = {
    Role.COMMITTEE_OFFICE: "市直工委组织部",
    Role.REVIEWER: "机关党委/党总支（考评）",
    Role.BRANCH_SECRETARY: "支部书记",
    Role.INSPECTOR: "督导组（查看全部，登记督导）",
    "superuser": "超级用户（/admin/ 后台）",
}


@dataclass
class DemoResult:
    created: bool
    seconds: float = 0.0
    organizations: int = 0
    branches: int = 0
    members: int = 0
    users: int = 0
    records: dict[str, int] | None = None
    logins: list[DemoLogin] = field(default_factory=list)


# --- loading ---------------------------------------------------------------------------


class DemoRefused(Exception):
    """The database is not empty and not the demo's."""


def other_data_present() -> bool:
    """Whether the database holds data that is not the demo's (then the demo stays out).

    Organizations outside the demo's tree, or, before the demo is loaded,
    any organization or a user with one of the demo's user names.
    """
    root = demo_root()
    if root is None:
        return Organization.objects.exists() or User.objects.filter(username__in=LOGIN_USERNAMES.values()).exists()
    return Organization.objects.exclude(path__startswith=root.path).exists()


def record_year(today: date) -> int:
    """The year the demo's evidence records and campaign belong to: this year, unless it has barely begun."""
    return today.year if today >= date(today.year, 3, 1) else today.year - 1


def demo_logins() -> list[DemoLogin]:
    """The printed logins, read from the database (so a reused demo prints the same)."""
    logins = []
    users = {
        user.username: user
        for user in User.objects.filter(username__in=LOGIN_USERNAMES.values()).select_related("organization")
    }
    for role, username in LOGIN_USERNAMES.items():
        user = users.get(username)
        if user is None:
            continue
        where = user.organization.name if user.organization is not None else "（全部）"
        logins.append(DemoLogin(str(role), ROLE_LABELS[role], username, LOGIN_PASSWORDS[role], where))
    return logins


def load_demo(
    *,
    seed: int = DEFAULT_SEED,
    size: DemoSize = FULL,
    today: date | None = None,
    with_records: bool = True,
    with_campaign: bool = True,
) -> DemoResult:
    """Load the demo unless it is there already (then return ``created=False``).

    Raises ``DemoRefused`` when the database holds other data: the demo
    never mixes with real data.
    """
    if other_data_present():
        raise DemoRefused("数据库中已有非演示数据，不载入演示数据")
    started = time.perf_counter()
    today = today or timezone.localdate()
    result = DemoResult(created=False)
    with transaction.atomic():
        if demo_root() is None:
            DemoLoader(random.Random(seed), size, today).load()
            result.created = True
        if with_records:
            result.records = load_demo_records(year=record_year(today), seed=seed, today=today)
        # Last year's star ledger, imported as history before the campaign opens (its previous levels).
        load_demo_history(root=loaded_demo_root(), today=today, seed=seed)
        if with_campaign:
            from xingji.demo.campaign import load_demo_campaign

            load_demo_campaign(root=loaded_demo_root(), today=today, seed=seed)
        # The work between two ratings: plans, the rectification ledger, re-checks, visits.
        load_demo_ledger(root=loaded_demo_root(), today=today, seed=seed)
        load_demo_branchwork(root=loaded_demo_root(), today=today, seed=seed)
        load_demo_supervision(root=loaded_demo_root(), today=today, seed=seed)
        load_demo_dues(root=loaded_demo_root(), today=today, seed=seed)
        if with_records:
            # Visits add criticism notices to the year's records.
            result.records = record_counts(loaded_demo_root(), record_year(today))
    result.seconds = time.perf_counter() - started
    root = loaded_demo_root()
    subtree = Organization.objects.filter(path__startswith=root.path)
    result.organizations = subtree.count()
    result.branches = subtree.filter(org_type__in=BRANCH_TYPES).count()
    result.members = Member.objects.filter(organization__in=subtree).count()
    result.users = User.objects.filter(organization__in=subtree).count()
    result.logins = demo_logins()
    return result


@dataclass
class PlannedOrganization:
    organization: Organization
    plan: BranchPlan | None
    kind: str


class DemoLoader:
    def __init__(self, rng: random.Random, size: DemoSize, today: date):
        self.rng = rng
        self.size = size
        self.today = today
        self.root: Organization | None = None
        self.units: list[Organization] = []
        self.branches: list[PlannedOrganization] = []
        self.inner: list[Organization] = []
        self.secretaries: dict[int, Member] = {}

    # The order of the calls is the order of the random draws: keep it stable.
    def load(self) -> None:
        self.build_tree()
        self.add_members()
        self.record_elections()
        self.create_users()

    # --- tree -------------------------------------------------------------------

    def founded(self, low: int, high: int) -> date:
        year = self.rng.randint(low, high)
        return date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def create(
        self, *, parent: Organization | None, code: str, name: str, org_type: str, category: str, founded: date
    ) -> Organization:
        return organization_create(
            name=name, code=code, org_type=org_type, category=category, parent=parent, founded=founded, actor=None
        )

    def build_tree(self) -> None:
        self.root = self.create(
            parent=None,
            code=DEMO_ROOT_CODE,
            name=DEMO_ROOT_NAME,
            org_type=OrganizationType.PARTY_COMMITTEE,
            category=OrganizationCategory.GOVERNMENT,
            founded=date(1984, 7, 1),
        )
        self.inner.append(self.root)
        for unit in UNITS[: self.size.units]:
            code = f"{DEMO_ROOT_CODE}-{unit.code}"
            node = self.create(
                parent=self.root,
                code=code,
                name=unit.name,
                org_type=unit.org_type,
                category=OrganizationCategory.GOVERNMENT,
                founded=self.founded(1985, 2005),
            )
            self.units.append(node)
            self.inner.append(node)
            plans = unit.branches[: self.size.branches_per_unit] if self.size.branches_per_unit else unit.branches
            for plan in plans:
                self.add_branch(node, code, plan)
        for plan in DIRECT_BRANCHES[: self.size.direct_branches]:
            self.add_branch(self.root, DEMO_ROOT_CODE, plan)

    def add_branch(self, parent: Organization, parent_code: str, plan: BranchPlan) -> None:
        code = f"{parent_code}-{plan.code}"
        if plan.kind == "temporary":
            founded = self.today - timedelta(days=self.rng.randint(300, 500))
        else:
            founded = self.founded(1988, 2016)
        node = self.create(
            parent=parent, code=code, name=plan.name, org_type=plan.org_type, category=plan.category, founded=founded
        )
        if plan.children:
            self.inner.append(node)
            for child in plan.children:
                self.add_branch(node, code, child)
        else:
            self.branches.append(PlannedOrganization(node, plan, plan.kind))

    # --- members ------------------------------------------------------------------

    def branch_sizes(self) -> list[int]:
        sizes = []
        for planned in self.branches:
            low, high = MEMBER_RANGES[planned.kind]
            count = round(self.rng.randint(low, high) * self.size.member_scale)
            sizes.append(max(count, 3))
        # Inner nodes carry their committee of five, counted towards the minimum.
        missing = self.size.minimum_members - sum(sizes) - 5 * len(self.inner)
        while missing > 0:
            index = self.rng.randrange(len(sizes))
            sizes[index] += 1
            missing -= 1
        return sizes

    def add_members(self) -> None:
        for organization in self.inner:
            team = [LeadershipPosition.SECRETARY, LeadershipPosition.DEPUTY_SECRETARY] + [
                LeadershipPosition.COMMITTEE_MEMBER
            ] * 3
            for position in team:
                self.add_member(organization, "staff", position)
        for planned, count in zip(self.branches, self.branch_sizes(), strict=True):
            for position in leadership_team(count):
                self.add_member(planned.organization, planned.kind, position)
            for _ in range(count - len(leadership_team(count))):
                self.add_member(planned.organization, planned.kind, LeadershipPosition.NONE)

    def add_member(self, organization: Organization, kind: str, position: str) -> Member:
        rng = self.rng
        female = rng.random() >= MALE_SHARE[kind]
        year = self.today.year
        if kind == "retired":
            birth_year = rng.randint(year - 88, year - 61)
        elif position == LeadershipPosition.NONE:
            birth_year = rng.randint(year - 59, year - 24)
        else:
            birth_year = rng.randint(year - 57, year - 32)
        probationary = position == LeadershipPosition.NONE and kind != "retired" and rng.random() < 0.035
        if probationary:
            joined = self.today - timedelta(days=rng.randint(20, 350))
            birth_year = min(birth_year, joined.year - 20)
        else:
            joined_year = min(birth_year + rng.randint(19, 38), year - 2)
            joined = date(joined_year, rng.randint(1, 12), rng.randint(1, 28))
        phone = f"0372-59{rng.randint(0, 99999):05d}" if position != LeadershipPosition.NONE else ""
        member = member_create(
            organization=organization,
            name=person_name(rng, female=female),
            gender=Gender.FEMALE if female else Gender.MALE,
            birth_year=birth_year,
            joined=joined,
            status=MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
            leadership_position=position,
            phone=phone,
            actor=None,
        )
        if position == LeadershipPosition.SECRETARY:
            self.secretaries[organization.pk] = member
        return member

    # --- elections ------------------------------------------------------------------

    def record_elections(self) -> None:
        """Every organization's current term; a few branches and one 党总支 overdue in each way."""
        rng = self.rng
        overdue: dict[int, tuple[int, bool, bool]] = {}
        # The secretary's own branch (the demo login) stays in term, due soon.
        candidates = [planned.organization for planned in self.branches[1:]]
        scenarios = [
            # (days overdue low, high, postponement requested, approved)
            (30, 300, False, False),
            (30, 300, False, False),
            (30, 300, False, False),
            (20, 200, True, True),
            (20, 200, True, True),
            (40, 120, True, False),
            (400, 520, False, False),
        ]
        for organization, (low, high, requested, approved) in zip(
            rng.sample(candidates, min(len(scenarios), len(candidates))), scenarios, strict=False
        ):
            overdue[organization.pk] = (rng.randint(low, high), requested, approved)
        general_branches = [unit for unit in self.units if unit.org_type == OrganizationType.GENERAL_BRANCH]
        if general_branches:
            overdue[general_branches[-1].pk] = (rng.randint(60, 150), False, False)
        due_soon = self.branches[0].organization.pk if self.branches else None

        for organization in [*self.inner, *(planned.organization for planned in self.branches)]:
            # 机关基层党委 serve five years, 党总支 and 支部 three (党和国家机关基层组织工作条例, 2019).
            term = 5 if organization.org_type == OrganizationType.PARTY_COMMITTEE else 3
            requested = approved = False
            if organization.pk in overdue:
                days, requested, approved = overdue[organization.pk]
                last = self.today - timedelta(days=days + term * 365 + 1)
            elif organization.pk == due_soon:
                last = self.today - timedelta(days=term * 365 - rng.randint(30, 80))
            elif organization.org_type == OrganizationType.TEMPORARY_BRANCH and organization.founded is not None:
                last = organization.founded  # every demo organization has its founding date
            else:
                last = self.today - timedelta(days=rng.randint(40, term * 365 - 100))
            if organization.founded and last < organization.founded:
                last = organization.founded
            election_record(
                organization=organization,
                last_election=last,
                term_years=term,
                postponement_requested=requested,
                postponement_approved=approved,
                actor=None,
            )

    # --- users ----------------------------------------------------------------------

    def create_users(self) -> None:
        """The printed login of each role, then one account for every other 机关党委/总支 and branch.

        The other accounts share their role's demo password; it is hashed once
        (Argon2 takes a noticeable time per hash) and set on them together.
        """
        root = self.root
        if root is None:
            raise RuntimeError("the users come after the tree (build_tree)")
        first_unit = self.units[0] if self.units else root
        first_branch = self.branches[0].organization
        unit_leader = self.secretaries.get(first_unit.pk)
        branch_leader = self.secretaries.get(first_branch.pk)
        self.login_user(Role.COMMITTEE_OFFICE, root, "张卫东")
        self.login_user(Role.REVIEWER, first_unit, unit_leader.name if unit_leader else "")
        self.login_user(Role.BRANCH_SECRETARY, first_branch, branch_leader.name if branch_leader else "")
        self.login_user(Role.INSPECTOR, root, "李建国")
        admin = self.login_user("superuser", root, "系统管理员", role=Role.COMMITTEE_OFFICE)
        user_change_role(user=admin, role=admin.role, organization=admin.organization, is_superuser=True, actor=None)

        shared: dict[str, list[int]] = {Role.REVIEWER: [], Role.BRANCH_SECRETARY: []}
        for organization in self.inner[1:]:
            if organization.pk != first_unit.pk:
                shared[Role.REVIEWER].append(self.account(organization, Role.REVIEWER))
        for planned in self.branches:
            if planned.organization.pk != first_branch.pk:
                shared[Role.BRANCH_SECRETARY].append(self.account(planned.organization, Role.BRANCH_SECRETARY))
        for role, user_ids in shared.items():
            # Passwords are not audited (accounts.services); only the hash is set here.
            User.objects.filter(pk__in=user_ids).update(password=make_password(LOGIN_PASSWORDS[role]))

    def login_user(self, key: str, organization: Organization, name: str, *, role: str | None = None) -> User:
        return user_create(
            username=LOGIN_USERNAMES[key],
            password=LOGIN_PASSWORDS[key],
            organization=organization,
            role=role or key,
            name=name,
            actor=None,
        )

    def account(self, organization: Organization, role: str) -> int:
        leader = self.secretaries.get(organization.pk)
        password = LOGIN_PASSWORDS[role]
        user = User(username=organization.code.lower(), organization=organization, role=role)
        validate_password(password, user)
        created = user_create(
            username=organization.code.lower(),
            password=None,
            organization=organization,
            role=role,
            name=leader.name if leader else "",
            actor=None,
        )
        return created.pk


def leadership_team(count: int) -> list[LeadershipPosition]:
    """The branch's leadership positions by its size (中国共产党支部工作条例).

    Fewer than seven members: a secretary alone. Seven or more: a branch
    committee of three; 25 or more: of five, with a deputy secretary.
    """
    if count < 7:
        return [LeadershipPosition.SECRETARY]
    if count < 25:
        return [LeadershipPosition.SECRETARY] + [LeadershipPosition.COMMITTEE_MEMBER] * 2
    return [LeadershipPosition.SECRETARY, LeadershipPosition.DEPUTY_SECRETARY] + [
        LeadershipPosition.COMMITTEE_MEMBER
    ] * 3
