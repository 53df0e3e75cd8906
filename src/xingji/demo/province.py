"""A province in the demo: about 100,000 organizations and 3,000,000 members, written in minutes.

``xingji demo --scale province`` loads it instead of the city, so that anyone
can see the pages at the size a province's organization department works at.
The tree: the province's root (示范省委组织部), 16 cities, 10 counties in each,
20 townships, streets or 机关党委 in each county, 30 branches under each of
those — 99,377 organizations — each with its term (一届), a few in seven
overdue; about 31 members in each branch (3,000,000 in all), its secretary
and two committee members among them.

Written straight into the tables through ``xingji.common.bulk.insert_rows``
(PostgreSQL: ids drawn from the sequence, then COPY; SQLite: batched
INSERTs), the tree's materialized paths computed here, in one transaction,
the progress printed as it goes. Nothing here passes through the services
that write one row each, so there are no audit entries for the generated
rows; the five printed logins are created through the account service as in
the city demo. The rows are the same for the same seed (and day).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from xingji.accounts.models import Role, User
from xingji.accounts.services import user_change_role, user_create
from xingji.common.bulk import insert_rows
from xingji.demo.data import LOGIN_PASSWORDS, LOGIN_USERNAMES, DemoRefused, DemoResult, demo_logins
from xingji.orgs.models import Election, Member, Organization

PROVINCE_ROOT_CODE = "SF"
PROVINCE_ROOT_NAME = "示范省委组织部"
STEPLEN = Organization.steplen
ALPHABET = Organization.alphabet
CITIES = (
    *("东川", "西岭", "南浦", "北塘", "青阳", "白石", "金水", "玉泉"),
    *("临江", "安平", "长丰", "秀山", "云梦", "清河", "宁远", "丰乐"),
)
#: The units under a county, in turn: the place, its committee's title, the category, its branches' title.
TOWNSHIPS = (
    ("镇", "党委", "村", "村党支部"),
    ("街道", "党工委", "社区", "社区党支部"),
    ("机关", "党委", "机关", "党支部"),
    ("乡", "党委", "村", "村党支部"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰建华玉梅红国志文"


@dataclass(frozen=True)
class ProvinceShape:
    cities: int = 16
    counties: int = 10  # per city
    townships: int = 20  # per county
    branches: int = 30  # per township
    members: float = 31.25  # per branch, on average

    @property
    def organizations(self) -> int:
        c = self.cities
        return 1 + c + c * self.counties * (1 + self.townships * (1 + self.branches))


PROVINCE = ProvinceShape()


@dataclass
class ProvinceResult:
    organizations: int = 0
    branches: int = 0
    members: int = 0
    seconds: float = 0.0


def path_step(number: int) -> str:
    """Treebeard's path segment for the ``number``-th child (1-based): its alphabet, ``steplen`` characters."""
    digits = ""
    while number:
        number, digit = divmod(number, len(ALPHABET))
        digits = ALPHABET[digit] + digits
    return digits.rjust(STEPLEN, "0")


def province_root() -> Organization | None:
    return Organization.objects.filter(code=PROVINCE_ROOT_CODE, depth=1).first()


Progress = Callable[[str], None]

ORGANIZATION_COLUMNS = ("name", "code", "org_type", "category", "is_active", "end_reason", "path", "depth", "numchild")
MEMBER_COLUMNS = ("organization", "name", "gender", "birth_year", "joined", "status", "leadership_position", "phone")
ELECTION_COLUMNS = ("organization", "last_election", "term_years", "postponement_requested", "postponement_approved")


def load_province(
    *,
    today: date,
    seed: int,
    shape: ProvinceShape = PROVINCE,
    passwords: dict[str, str],
    progress: Progress = lambda line: None,
) -> ProvinceResult:
    """Write the province (the module's text) into an empty database; ``passwords`` by login key."""
    started = time.perf_counter()
    rng = random.Random(f"{seed}-province")
    result = ProvinceResult()
    with transaction.atomic():
        rows, branches = _organizations(shape)
        progress(f"党组织：写入 {len(rows):,} 个……")
        ids = insert_rows(Organization, ORGANIZATION_COLUMNS, rows)
        by_code = {str(row[1]): row_id for row, row_id in zip(rows, ids, strict=True)}
        result.organizations, result.branches = len(rows), len(branches)
        elections = [_election(rng, today, row_id) for row_id in ids]
        insert_rows(Election, ELECTION_COLUMNS, elections)
        progress(f"党组织：{len(rows):,} 个，其中支部 {len(branches):,} 个；换届记录 {len(elections):,} 条")
        batch: list[tuple[object, ...]] = []
        expected = round(len(branches) * shape.members)
        for number, code in enumerate(branches, start=1):
            batch.extend(_members(rng, by_code[code], shape.members, today))
            if len(batch) >= 200_000 or number == len(branches):
                insert_rows(Member, MEMBER_COLUMNS, batch)
                result.members += len(batch)
                batch = []
                progress(f"党员：{result.members:,} / 约 {expected:,} 名")
        _logins(by_code, branches[0], passwords)
    result.seconds = time.perf_counter() - started
    return result


def _organizations(shape: ProvinceShape) -> tuple[list[tuple[object, ...]], list[str]]:
    """The tree's rows (``ORGANIZATION_COLUMNS``), parents first, and the branches' codes."""
    rows: list[tuple[object, ...]] = []
    branches: list[str] = []

    def node(path: str, name: str, code: str, org_type: str, category: str, children: int) -> None:
        rows.append((name, code, org_type, category, True, "", path, len(path) // STEPLEN, children))

    root = path_step(1)
    node(root, PROVINCE_ROOT_NAME, PROVINCE_ROOT_CODE, "party_committee", "机关", shape.cities)
    for c in range(1, shape.cities + 1):
        city_name = f"{CITIES[(c - 1) % len(CITIES)]}市"
        city, city_code = root + path_step(c), f"SF-{c:02d}"
        node(city, f"中共{city_name}委员会", city_code, "party_committee", "机关", shape.counties)
        for k in range(1, shape.counties + 1):
            county, county_code = city + path_step(k), f"{city_code}-{k:02d}"
            county_name = f"{city_name}第{k}县"
            node(county, f"中共{county_name}委员会", county_code, "party_committee", "机关", shape.townships)
            for t in range(1, shape.townships + 1):
                place, title, category, branch_title = TOWNSHIPS[(t - 1) % len(TOWNSHIPS)]
                township, township_code = county + path_step(t), f"{county_code}-{t:02d}"
                place = f"{county_name}第{t}{place}"
                node(township, f"{place}{title}", township_code, "party_committee", category, shape.branches)
                for b in range(1, shape.branches + 1):
                    code = f"{township_code}-{b:02d}"
                    node(township + path_step(b), f"{place}第{b}{branch_title}", code, "branch", category, 0)
                    branches.append(code)
    return rows, branches


def _election(rng: random.Random, today: date, organization_id: int) -> tuple[object, ...]:
    """A term begun up to seven years ago: with terms of three or five years, some overdue."""
    term = 5 if rng.random() < 0.4 else 3
    started = today - timedelta(days=rng.randint(30, 7 * 365 - 200))
    return (organization_id, started, term, False, False)


def _members(rng: random.Random, organization_id: int, average: float, today: date) -> list[tuple[object, ...]]:
    """A branch's roll: its secretary first, two committee members, the others; a few probationary."""
    count = max(3, round(rng.gauss(average, average / 4)))
    rows: list[tuple[object, ...]] = []
    for number in range(count):
        position = "secretary" if number == 0 else "committee_member" if number < 3 else "none"
        status = "probationary" if number >= 3 and rng.random() < 0.04 else "full"
        birth_year = rng.randint(today.year - 75, today.year - 20)
        joined_year = min(today.year - 1, birth_year + rng.randint(19, 45))
        joined = date(joined_year, rng.randint(1, 12), rng.randint(1, 28))
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        phone = f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
        rows.append(
            (organization_id, name, rng.choice(("male", "female")), birth_year, joined, status, position, phone)
        )
    return rows


def _logins(by_code: dict[str, int], first_branch: str, passwords: dict[str, str]) -> None:
    """The printed logins, through the account service: the root's office and inspector, a county, a branch."""
    county_code = "SF-01-01"
    found = Organization.objects.in_bulk([by_code[PROVINCE_ROOT_CODE], by_code[county_code], by_code[first_branch]])
    root, county, branch = (found[by_code[code]] for code in (PROVINCE_ROOT_CODE, county_code, first_branch))
    logins = (
        (Role.COMMITTEE_OFFICE, root, "省委组织部"),
        (Role.REVIEWER, county, "县委组织部"),
        (Role.BRANCH_SECRETARY, branch, "支部书记"),
        (Role.INSPECTOR, root, "省委督导组"),
        ("superuser", root, "系统管理员"),
    )
    for key, organization, name in logins:
        user = user_create(
            username=LOGIN_USERNAMES[key],
            password=passwords[key],
            organization=organization,
            role=Role.COMMITTEE_OFFICE if key == "superuser" else key,
            name=name,
            actor=None,
        )
        if key == "superuser":
            user_change_role(user=user, role=user.role, organization=root, is_superuser=True, actor=None)


#: The printed logins' roles, as a province names them.
PROVINCE_ROLE_LABELS = {
    Role.COMMITTEE_OFFICE: "省委组织部",
    Role.REVIEWER: "县委组织部（考评）",
    Role.BRANCH_SECRETARY: "支部书记",
    Role.INSPECTOR: "督导组（查看全部，登记督导）",
    "superuser": "超级用户（/admin/ 后台）",
}


def province_data_conflict() -> bool:
    """Whether the database holds data that is not the province demo's (then it stays out)."""
    root = province_root()
    if root is None:
        return Organization.objects.exists() or User.objects.filter(username__in=LOGIN_USERNAMES.values()).exists()
    return Organization.objects.exclude(path__startswith=root.path).exists()


def load_province_demo(
    *,
    seed: int,
    today: date | None = None,
    shape: ProvinceShape | None = None,
    progress: Progress = lambda line: None,
) -> DemoResult:
    """Load the province unless it is there already (``created=False``); ``DemoRefused`` beside other data.

    ``shape``: ``PROVINCE`` unless given."""
    if province_data_conflict():
        raise DemoRefused("数据库中已有非省级演示数据，不载入省级演示数据")
    result = DemoResult(created=False)
    if province_root() is None:
        loaded = load_province(
            today=today or timezone.localdate(),
            seed=seed,
            shape=shape or PROVINCE,
            passwords=LOGIN_PASSWORDS,
            progress=progress,
        )
        result.created, result.seconds = True, loaded.seconds
    root = province_root()
    assert root is not None
    subtree = Organization.objects.filter(path__startswith=root.path)
    result.organizations = subtree.count()
    result.branches = subtree.filter(numchild=0).count()
    result.members = Member.objects.count()
    result.users = User.objects.count()
    result.logins = [replace(login, role_label=PROVINCE_ROLE_LABELS[login.role]) for login in demo_logins()]
    return result
