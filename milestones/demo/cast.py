"""The demo's cast: organisations, programme admins, PM teams (leads and members), review committees
(chairs and reviewers) and project leads. Shared by the curated demo and the benchmark generator.

People and reference-like rows (teams, committees) are written with the ORM in bulk: they are the
starting point a programme admin would set up in the Django admin, not domain history. Every demo
login shares ``DEMO_PASSWORD`` (development data only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from milestones.models import Committee
from pmflow.models import Organisation, User
from pmflow.rules import PROGRAMME_ADMIN_GROUP
from projects.models import Field, PMTeam, PMTeamMembership, Project

DEMO_PASSWORD = "pmflow-demo"

ORGANISATIONS = [
    ("复旦大学", "Fudan University"),
    ("上海交通大学", "Shanghai Jiao Tong University"),
    ("同济大学", "Tongji University"),
    ("华东师范大学", "East China Normal University"),
    ("中国科学院上海微系统与信息技术研究所", "SIMIT, Chinese Academy of Sciences"),
    ("中国科学院上海光学精密机械研究所", "SIOM, Chinese Academy of Sciences"),
    ("张江实验室", "Zhangjiang Laboratory"),
    ("上海量子科学研究中心", "Shanghai Research Center for Quantum Sciences"),
    ("上海联影医疗科技股份有限公司", "United Imaging Healthcare"),
    ("上海微电子装备（集团）股份有限公司", "SMEE"),
    ("上海傅利叶智能科技有限公司", "Fourier Intelligence"),
    ("上海能源科技发展有限公司", "Shanghai Energy Technology Development"),
]
PROGRAMME_ORG = ("上海市科学技术委员会", "Science and Technology Commission of Shanghai Municipality")

# (code, name, lead (username, name), members [(username, name)], field codes)
TEAMS = [
    (
        "pm-info",
        "未来信息项目经理团队",
        ("pm_chen", "陈立"),
        [("pm_zhao", "赵静"), ("pm_qian", "钱伟")],
        ["quantum", "6g", "silicon_photonics", "brain_inspired_intelligence"],
    ),
    (
        "pm-health",
        "未来健康项目经理团队",
        ("pm_lin", "林慧"),
        [("pm_sun", "孙涛"), ("pm_zhou", "周颖")],
        ["cell_gene_therapy", "brain_computer_interface", "regenerative_medicine"],
    ),
    ("pm-manufacturing", "未来制造项目经理团队", ("pm_wu", "吴强"), [("pm_zheng", "郑洁")], ["biomanufacturing", "embodied_ai"]),
    (
        "pm-energy-materials",
        "未来能源与材料项目经理团队",
        ("pm_he", "何佳"),
        [("pm_feng", "冯磊")],
        ["fusion", "fourth_gen_semiconductors"],
    ),
]
# (name, chair (username, name), reviewer usernames, field codes)
COMMITTEES = [
    (
        "信息·材料·能源评审委员会",
        ("chair_li", "李国华"),
        ["reviewer1", "reviewer2", "reviewer3", "reviewer4", "reviewer5"],
        ["quantum", "6g", "silicon_photonics", "brain_inspired_intelligence", "fusion", "fourth_gen_semiconductors"],
    ),
    (
        "健康·制造评审委员会",
        ("chair_wang", "王雪梅"),
        ["reviewer4", "reviewer5", "reviewer6", "reviewer7", "reviewer8"],
        ["cell_gene_therapy", "brain_computer_interface", "regenerative_medicine", "biomanufacturing", "embodied_ai"],
    ),
]
REVIEWER_NAMES = ["张明远", "刘晓燕", "杨帆", "黄志刚", "徐蕾", "马骏", "朱婷", "胡建国"]
LEAD_NAMES = ["潘振宇", "杜若兰", "蒋海波", "韩雪", "曹立新", "彭雅琪", "袁博", "邓晓峰", "许静怡", "傅成", "沈悦", "卢卫东"]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str


def demo_logins() -> list[DemoLogin]:
    """The logins worth trying, one per role (every demo user has the password DEMO_PASSWORD)."""
    logins = [DemoLogin("admin", "超级管理员 superuser (Django admin)"), DemoLogin("sstc_admin", "市科委管理员 programme admin")]
    for _code, name, (lead, _lead_name), members, _fields in TEAMS:
        logins.append(DemoLogin(lead, f"项目经理 PM-team lead · {name}"))
        logins.extend(DemoLogin(m, f"团队成员 PM-team member · {name}") for m, _n in members[:1])
    for name, (chair, _chair_name), _reviewers, _fields in COMMITTEES:
        logins.append(DemoLogin(chair, f"评审委员会主任 committee chair · {name}"))
    logins.append(DemoLogin("reviewer1", "评审专家 reviewer (reviewer1 … reviewer8)"))
    logins.append(DemoLogin("lead01", "项目负责人 project lead (lead01 … lead12)"))
    return logins


def demo_logins_text() -> str:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {login.username:<14} {login.role}" for login in demo_logins()]
    return "\n".join(lines)


def demo_exists() -> bool:
    return Project.objects.exists()


@dataclass
class Cast:
    users: dict[str, User]
    teams: list[PMTeam]
    team_people: dict[int, list[User]]
    field_team: dict[int, list[PMTeam]]
    field_committee: dict[int, Committee]
    committee_reviewers: dict[int, list[User]]
    fields: list[Field]
    field_by_code: dict[str, Field]
    leads: list[User]
    performer_orgs: list[Organisation]
    committees: dict[str, Committee] = field(default_factory=dict)


def _ensure_users(specs: list[dict[str, Any]], password_hash: str, batch_size: int) -> dict[str, User]:
    """Create the users that do not exist yet (existing ones are left as they are)."""
    usernames = [s["username"] for s in specs]
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    new = [
        User(password=password_hash, email=f"{s['username']}@demo.pmflow.local", **s)
        for s in specs
        if s["username"] not in existing
    ]
    User.objects.bulk_create(new, batch_size=batch_size)
    return {u.username: u for u in User.objects.filter(username__in=usernames).select_related("organisation")}


def _ensure_orgs(names: list[tuple[str, str]]) -> list[Organisation]:
    existing = {o.name: o for o in Organisation.objects.filter(name__in=[n for n, _e in names])}
    Organisation.objects.bulk_create([Organisation(name=n, name_en=e) for n, e in names if n not in existing])
    by_name = {o.name: o for o in Organisation.objects.filter(name__in=[n for n, _e in names])}
    return [by_name[n] for n, _e in names]


def cast_ensure(*, scale: int = 1, batch_size: int = 5000) -> Cast:
    """Create the demo's people, PM teams and committees (idempotent). ``scale`` > 1 adds extra
    teams, reviewers and project leads for benchmark-scale portfolios (~250 projects per team).
    Precondition: reference data loaded; caller in a transaction."""
    password_hash = make_password(DEMO_PASSWORD)
    orgs = _ensure_orgs([*ORGANISATIONS, PROGRAMME_ORG])
    programme_org, performer_orgs = orgs[-1], orgs[:-1]
    extra_orgs = [(f"{n}（第{k}分部）", f"{e} branch {k}") for k in range(1, scale) for n, e in ORGANISATIONS[:4]]
    performer_orgs += _ensure_orgs(extra_orgs) if extra_orgs else []

    specs: list[dict[str, Any]] = [
        {
            "username": "admin",
            "display_name": "系统管理员",
            "is_staff": True,
            "is_superuser": True,
            "organisation": programme_org,
        },
        {"username": "sstc_admin", "display_name": "周敏", "is_staff": True, "organisation": programme_org},
    ]
    team_specs = list(TEAMS)
    all_field_codes = list(Field.objects.order_by("order", "code").values_list("code", flat=True))
    for k in range(1, scale):
        team_specs.append(
            (
                f"pm-extra-{k:03d}",
                f"项目经理团队{k:03d}",
                (f"pm_x{k:03d}", f"项目经理{k:03d}"),
                [(f"pm_x{k:03d}_m", f"团队成员{k:03d}")],
                [all_field_codes[(k + j) % len(all_field_codes)] for j in range(3)],
            )
        )
    for _c, _n, (lead, lead_name), members, _f in team_specs:
        specs.append({"username": lead, "display_name": lead_name, "organisation": programme_org})
        specs += [{"username": m, "display_name": name, "organisation": programme_org} for m, name in members]
    for _n, (chair, chair_name), _r, _f in COMMITTEES:
        specs.append({"username": chair, "display_name": chair_name, "organisation": programme_org})
    reviewer_count = 8 * scale
    for r in range(1, reviewer_count + 1):
        name = REVIEWER_NAMES[(r - 1) % len(REVIEWER_NAMES)] + ("" if r <= 8 else str(r))
        specs.append({"username": f"reviewer{r}", "display_name": name, "organisation": performer_orgs[r % 4]})
    lead_count = 12 * scale
    for i in range(1, lead_count + 1):
        name = LEAD_NAMES[(i - 1) % len(LEAD_NAMES)] + ("" if i <= 12 else str(i))
        specs.append(
            {"username": f"lead{i:02d}", "display_name": name, "organisation": performer_orgs[(i - 1) % len(performer_orgs)]}
        )
    users = _ensure_users(specs, password_hash, batch_size)
    admins, _ = Group.objects.get_or_create(name=PROGRAMME_ADMIN_GROUP)
    admins.user_set.add(users["admin"], users["sstc_admin"])

    fields = list(Field.objects.select_related("tier").order_by("order", "code"))
    field_by_code = {f.code: f for f in fields}
    field_team: dict[int, list[PMTeam]] = {f.pk: [] for f in fields}
    existing_teams = {t.code: t for t in PMTeam.objects.filter(code__in=[s[0] for s in team_specs])}
    PMTeam.objects.bulk_create(
        [
            PMTeam(
                code=code,
                name=name,
                lead=users[lead],
                term_start=dt.date(2025, 10, 1),
                term_end=dt.date(2030, 9, 25),
                non_consensus_quota=2,
            )
            for code, name, (lead, _ln), _m, _f in team_specs
            if code not in existing_teams
        ]
    )
    team_by_code = {t.code: t for t in PMTeam.objects.filter(code__in=[s[0] for s in team_specs])}
    teams: list[PMTeam] = []
    team_people: dict[int, list[User]] = {}
    memberships, team_fields = [], []
    for code, _name, (lead, _ln), members, field_codes in team_specs:
        team = team_by_code[code]
        teams.append(team)
        team_people[team.pk] = [users[lead]] + [users[m] for m, _n in members]
        for c in field_codes:
            field_team[field_by_code[c].pk].append(team)
        if code in existing_teams:
            continue
        memberships.append(PMTeamMembership(team=team, user=users[lead], role=PMTeamMembership.Role.LEAD))
        memberships += [PMTeamMembership(team=team, user=users[m], role=PMTeamMembership.Role.MEMBER) for m, _n in members]
        team_fields += [PMTeam.fields.through(pmteam=team, field=field_by_code[c]) for c in field_codes]
    PMTeamMembership.objects.bulk_create(memberships, ignore_conflicts=True)
    PMTeam.fields.through.objects.bulk_create(team_fields, ignore_conflicts=True)

    field_committee: dict[int, Committee] = {}
    committee_reviewers: dict[int, list[User]] = {}
    committees: dict[str, Committee] = {}
    for c_index, (name, (chair, _cn), reviewer_names, field_codes) in enumerate(COMMITTEES):
        committee, created = Committee.objects.get_or_create(name=name, defaults={"chair": users[chair]})
        # Extra reviewers (benchmark scale) are split between the committees.
        pool = [users[r] for r in reviewer_names]
        pool += [users[f"reviewer{r}"] for r in range(9, reviewer_count + 1) if r % len(COMMITTEES) == c_index]
        if created:
            committee.members.add(*pool)
            committee.fields.add(*[field_by_code[c] for c in field_codes])
        committee_reviewers[committee.pk] = pool
        committees[chair] = committee
        for c in field_codes:
            field_committee[field_by_code[c].pk] = committee
    return Cast(
        users=users,
        teams=teams,
        team_people=team_people,
        field_team=field_team,
        field_committee=field_committee,
        committee_reviewers=committee_reviewers,
        fields=fields,
        field_by_code=field_by_code,
        leads=[users[f"lead{i:02d}"] for i in range(1, lead_count + 1)],
        performer_orgs=performer_orgs,
        committees=committees,
    )
