"""Demo and benchmark data: a believable portfolio written straight through the ORM in bulk.

``demo_seed()`` builds the people (programme admins, PM teams with leads and members, two review
committees with chairs and reviewers, project leads at performer organisations) and a portfolio of
projects across all eleven fields and every project state, each with its cultivation plan,
technology routes, milestones from the tier's template, gate reviews (criteria, reviewer
assignments, scorecards, decisions), a key task list, tranche releases, change requests, awards,
assessments and the audit trail of how it got to its state.

It bypasses the services on purpose: it writes a consistent end state, not a history of requests,
and it must build 10,000 projects / 1,000,000 tasks in minutes (``bulk_create`` in batches, one
password hash shared by every demo user). Randomness is seeded, so two runs build the same data.
Dates are placed relative to ``today`` so the demo always looks current. Task status, roll-ups and
project health are not computed here: the seed ends with the one set-based recalculation
(``task_statuses_recalculate``), the same that the Celery tasks run.

Development data only: every demo login shares ``DEMO_PASSWORD``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from milestones.models import (
    Assessment,
    AssessmentRecommendation,
    AssessmentRound,
    ChangeKind,
    ChangeRequest,
    ChangeState,
    Committee,
    CriterionScore,
    DecisionOutcome,
    GateCriterion,
    GateDecision,
    GateKind,
    GateReview,
    GateState,
    Milestone,
    MilestoneState,
    MilestoneTemplate,
    NonConsensusApproval,
    Rating,
    Recommendation,
    ReviewerAssignment,
    Scorecard,
    TrancheRelease,
)
from pmflow.models import AuditEntry, Organisation, User
from pmflow.rules import PROGRAMME_ADMIN_GROUP
from projects.models import (
    Field,
    FundingAward,
    KeyTaskList,
    PlanVersion,
    PMTeam,
    PMTeamMembership,
    Policy,
    Project,
    ProjectState,
    SupportMeasure,
    SupportMode,
    Task,
    TaskCategory,
    TaskStatus,
    TechnologyRoute,
)
from projects.services.task_status import task_statuses_recalculate

DEMO_PASSWORD = "pmflow-demo"
DEFAULT_SEED = 20250926
PS = ProjectState
MS = MilestoneState

# --- the people -----------------------------------------------------------------------------------

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

# --- the curated portfolio: every field at least twice, every project state at least once --------

CURATED_PROJECTS = [
    ("quantum", "超导量子计算原型机关键技术攻关", PS.ACTIVE),
    ("quantum", "光量子城域网络示范", PS.SCREENING),
    ("fusion", "高温超导托卡马克磁体研制", PS.ACTIVE),
    ("fusion", "聚变堆第一壁材料验证", PS.NON_CONSENSUS),
    ("regenerative_medicine", "干细胞来源胰岛类器官临床前研究", PS.APPROVED),
    ("regenerative_medicine", "3D生物打印皮肤再生", PS.DRAFT),
    ("6g", "6G太赫兹通信原型系统", PS.ACTIVE),
    ("6g", "空天地一体化网络试验床", PS.SUBMITTED),
    ("silicon_photonics", "硅光高速光模块工程化", PS.CLOSING),
    ("silicon_photonics", "薄膜铌酸锂调制器量产工艺", PS.ACTIVE),
    ("fourth_gen_semiconductors", "氧化镓功率器件中试线", PS.ACTIVE),
    ("fourth_gen_semiconductors", "金刚石衬底外延技术", PS.REJECTED),
    ("brain_inspired_intelligence", "类脑芯片与脉冲神经网络平台", PS.SUSPENDED),
    ("brain_inspired_intelligence", "神经形态视觉传感器", PS.ACTIVE),
    ("cell_gene_therapy", "通用型CAR-T细胞药物产业化", PS.CLOSED),
    ("cell_gene_therapy", "体内基因编辑递送平台", PS.ACTIVE),
    ("brain_computer_interface", "植入式脑机接口医疗器械注册", PS.ACTIVE),
    ("brain_computer_interface", "非侵入式脑机接口康复系统", PS.TERMINATED),
    ("biomanufacturing", "合成生物学高值化学品中试", PS.ACTIVE),
    ("biomanufacturing", "细胞工厂菌种设计平台", PS.SCREENING),
    ("embodied_ai", "人形机器人通用控制大模型", PS.ACTIVE),
    ("embodied_ai", "具身智能灵巧手量产", PS.APPROVED),
    ("quantum", "量子精密测量重力仪", PS.CLOSED),
    ("fusion", "氘氚燃料循环关键部件", PS.DRAFT),
]
# The curated projects the non-consensus track approved (risk-controlled first tranche, earlier gate).
CURATED_NON_CONSENSUS_APPROVED = {"干细胞来源胰岛类器官临床前研究"}

CURATED_CURRENT_MILESTONE = [MS.IN_REVIEW, MS.IN_PROGRESS, MS.SUBMITTED, MS.IN_REVIEW, MS.IN_PROGRESS, MS.ON_HOLD, MS.IN_REVIEW]

# State mix of generated (benchmark) projects.
STATE_WEIGHTS = [
    (PS.ACTIVE, 45),
    (PS.APPROVED, 8),
    (PS.DRAFT, 8),
    (PS.REJECTED, 7),
    (PS.SUBMITTED, 6),
    (PS.SCREENING, 6),
    (PS.CLOSED, 6),
    (PS.CLOSING, 5),
    (PS.TERMINATED, 4),
    (PS.SUSPENDED, 3),
    (PS.NON_CONSENSUS, 2),
]
TITLE_PHRASES = [
    "关键技术攻关",
    "中试验证",
    "工程化示范",
    "共性技术平台",
    "样机研制",
    "产业化推进",
    "应用场景验证",
    "核心部件研制",
]

TASK_TITLES = {
    "flagship_product": ["完成样机性能指标第三方测试", "发布标志性产品技术规格", "完成首批样品交付用户验证", "产品通过型式试验"],
    "supply_chain": ["关键材料国产化替代验证", "建立核心零部件二供体系", "完成供应链风险评估", "关键设备备件储备"],
    "major_investment": ["完成产业化项目投资决策", "引入社会资本联合投资", "落地产业化基地选址", "完成中试线设备招标"],
    "platform": ["建成概念验证平台", "中试平台对外开放服务", "共建联合实验室", "完成平台运行管理制度"],
    "talent": ["引进核心研发人员", "组建青年科学家团队", "设立博士后工作站", "开展海外人才招聘"],
    "reform": ["试行沙盒监管机制", "探索首台套保险补偿", "推动标准立项", "完善知识产权转化机制"],
}
GATE_CRITERIA = {
    GateKind.SCREENING: (
        ["符合政策支持方向", "承担单位具备实施条件"],
        [("创新性与先进性", 40), ("技术可行性", 30), ("团队能力与产业化前景", 30)],
    ),
    GateKind.MILESTONE: (
        ["关键技术指标达到里程碑验收标准", "经费使用合规"],
        [("技术先进性", 40), ("工程化/产业化进展", 30), ("团队执行能力", 30)],
    ),
    GateKind.FINAL: (
        ["全部约束性指标完成", "财务审计通过"],
        [("目标完成度", 50), ("成果转化与产业贡献", 30), ("示范带动作用", 20)],
    ),
}
REVIEW_COMMENTS = {
    Recommendation.GO: "技术指标达成，进展符合预期，建议通过。",
    Recommendation.CONDITIONAL_GO: "主要指标达成，可靠性数据不足，建议补充测试后通过。",
    Recommendation.HOLD: "关键数据尚不完整，建议暂缓，补充材料后再议。",
    Recommendation.RECYCLE: "技术方案需调整，建议返工后重新评审。",
    Recommendation.KILL: "技术路线存在根本性障碍，建议终止。",
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str


@dataclass
class DemoSummary:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)


class TaskRow(NamedTuple):
    """One task before insert. Cheaper than a Task instance at a million rows; the list and the
    milestone are objects because they get their pks only when the chunk is written."""

    task_list: KeyTaskList
    category_id: int
    title: str
    owner_id: int | None
    start_date: dt.date
    due_date: dt.date
    weight: Decimal
    progress: int
    done_date: dt.date | None
    blocked: bool
    status: str
    milestone: Milestone | None
    gate_decision: GateDecision | None


TASK_COLUMNS = (
    "task_list_id",
    "category_id",
    "title",
    "owner_id",
    "start_date",
    "due_date",
    "weight",
    "progress",
    "done_date",
    "blocked",
    "status",
    "milestone_id",
    "gate_decision_id",
    "created_at",
    "updated_at",
)


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


# --- small pure helpers ---------------------------------------------------------------------------


#: Inserted as-is; task_statuses_recalculate rewrites every status at the end of the seed.
PENDING_STATUS = TaskStatus.NOT_STARTED


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _bulk(model: type[models.Model], objs: Sequence[models.Model], batch_size: int) -> list[models.Model]:
    if not objs:
        return []
    return model._default_manager.bulk_create(objs, batch_size=batch_size)


def _write_tasks(rows: Sequence[TaskRow], batch_size: int) -> None:
    """Insert the task rows: COPY on PostgreSQL, bulk_create elsewhere."""
    if not rows:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        sql = f"COPY {Task._meta.db_table} ({', '.join(TASK_COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for r in rows:
                copy.write_row(
                    (
                        r.task_list.pk,
                        r.category_id,
                        r.title,
                        r.owner_id,
                        r.start_date,
                        r.due_date,
                        r.weight,
                        r.progress,
                        r.done_date,
                        r.blocked,
                        r.status,
                        r.milestone.pk if r.milestone is not None else None,
                        r.gate_decision.pk if r.gate_decision is not None else None,
                        now,
                        now,
                    )
                )
        return
    objs = [
        Task(
            task_list_id=r.task_list.pk,
            category_id=r.category_id,
            title=r.title,
            owner_id=r.owner_id,
            start_date=r.start_date,
            due_date=r.due_date,
            weight=r.weight,
            progress=r.progress,
            done_date=r.done_date,
            blocked=r.blocked,
            status=r.status,
            milestone_id=r.milestone.pk if r.milestone is not None else None,
            gate_decision_id=r.gate_decision.pk if r.gate_decision is not None else None,
        )
        for r in rows
    ]
    _bulk(Task, objs, batch_size)


def _bulk_leaf(model: type[models.Model], objs: Sequence[models.Model], batch_size: int) -> None:
    """Insert rows nothing else points at. On PostgreSQL through COPY (several times faster than
    INSERT for the million task rows: no SQL to compile, no pks to return); elsewhere bulk_create."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        _bulk(model, objs, batch_size)
        return
    from psycopg.types.json import Jsonb

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            row = []
            for f in fields:
                value = f.pre_save(obj, True)  # fills auto_now / auto_now_add
                if isinstance(f, models.JSONField):
                    value = Jsonb(value)
                row.append(value)
            copy.write_row(row)


# --- the builder ----------------------------------------------------------------------------------


@dataclass
class _Context:
    rng: random.Random
    today: dt.date
    now: dt.datetime
    policy_from: dt.date
    policy_to: dt.date
    fields: list[Field]
    field_team: dict[int, list[PMTeam]]
    field_committee: dict[int, Committee]
    committee_reviewers: dict[int, list[User]]
    team_people: dict[int, list[User]]
    leads: list[User]
    orgs: list[Organisation]
    templates: dict[int, MilestoneTemplate]
    categories: list[TaskCategory]
    measures: dict[str, SupportMeasure]
    admin: User
    ct_project: ContentType
    ct_milestone: ContentType
    ct_gate: ContentType
    year_seq: dict[int, int] = field(default_factory=dict)


class _Chunk:
    """Every row of one batch of projects, written level by level so children get their parents' pks."""

    def __init__(self) -> None:
        self.projects: list[Project] = []
        self.plans: list[PlanVersion] = []
        self.routes: list[TechnologyRoute] = []
        self.milestones: list[Milestone] = []
        self.releases: list[TrancheRelease] = []
        self.gates: list[GateReview] = []
        self.criteria: list[GateCriterion] = []
        self.assignments: list[ReviewerAssignment] = []
        self.scorecards: list[Scorecard] = []
        self.scores: list[CriterionScore] = []
        self.decisions: list[GateDecision] = []
        self.task_lists: list[KeyTaskList] = []
        self.tasks: list[TaskRow] = []
        self.changes: list[ChangeRequest] = []
        self.awards: list[FundingAward] = []
        self.nc_approvals: list[NonConsensusApproval] = []
        self.assessments: list[Assessment] = []
        # audit rows need the object pk: (content type, object, action, from, to, actor, reason)
        self.audit: list[tuple[ContentType, models.Model, str, str, str, User | None, str]] = []

    def write(self, batch_size: int) -> dict[str, int]:
        order: list[tuple[type[models.Model], list[models.Model]]] = [
            (Project, self.projects),
            (PlanVersion, self.plans),
            (TechnologyRoute, self.routes),
            (Milestone, self.milestones),
            (TrancheRelease, self.releases),
            (GateReview, self.gates),
            (GateCriterion, self.criteria),
            (ReviewerAssignment, self.assignments),
            (Scorecard, self.scorecards),
            (CriterionScore, self.scores),
            (GateDecision, self.decisions),
            (KeyTaskList, self.task_lists),
            (ChangeRequest, self.changes),
            (FundingAward, self.awards),
            (NonConsensusApproval, self.nc_approvals),
            (Assessment, self.assessments),
        ]
        leaves = {CriterionScore}
        counts: dict[str, int] = {}
        for model, objs in order:
            if model in leaves:
                _bulk_leaf(model, objs, batch_size)
            else:
                _bulk(model, objs, batch_size)
            counts[model._meta.model_name] = len(objs)
        _write_tasks(self.tasks, batch_size)
        counts["task"] = len(self.tasks)
        audit_rows = [
            AuditEntry(
                content_type=ct,
                object_id=str(obj.pk),
                object_repr=str(obj)[:300] if not isinstance(obj, GateReview) else f"gate #{obj.pk}",
                action=action,
                from_state=from_state,
                to_state=to_state,
                actor=actor,
                reason=reason,
                data={"source": "seed_demo"},
            )
            for ct, obj, action, from_state, to_state, actor, reason in self.audit
        ]
        _bulk_leaf(AuditEntry, audit_rows, batch_size)
        counts["auditentry"] = len(audit_rows)
        return counts


def _pick_state(rng: random.Random) -> str:
    states, weights = zip(*STATE_WEIGHTS, strict=True)
    return rng.choices(states, weights=weights)[0]


def _project_dates(ctx: _Context, state: str) -> tuple[dt.date, dt.date]:
    rng, today = ctx.rng, ctx.today
    earliest = ctx.policy_from + dt.timedelta(days=15)
    if state in (PS.DRAFT, PS.SUBMITTED, PS.SCREENING, PS.NON_CONSENSUS, PS.REJECTED):
        start = today + dt.timedelta(days=rng.randint(45, 200))
        end = start + dt.timedelta(days=rng.randint(730, 1400))
    elif state == PS.APPROVED:
        start = today + dt.timedelta(days=rng.randint(10, 90))
        end = start + dt.timedelta(days=rng.randint(730, 1400))
    elif state == PS.CLOSING:
        start = max(earliest, today - dt.timedelta(days=rng.randint(330, 420)))
        end = today + dt.timedelta(days=rng.randint(5, 40))
    elif state == PS.CLOSED:
        start = earliest + dt.timedelta(days=rng.randint(0, 20))
        end = max(start + dt.timedelta(days=200), today - dt.timedelta(days=rng.randint(20, 60)))
    else:  # active, suspended, terminated: started some time between the policy's start and 4 months ago
        room = max(0, (today - dt.timedelta(days=120) - earliest).days)
        start = earliest + dt.timedelta(days=rng.randint(0, room))
        end = start + dt.timedelta(days=rng.randint(900, 1400))
    end = min(end, ctx.policy_to)
    if end <= start:
        start = end - dt.timedelta(days=365)
    return start, end


def _next_code(ctx: _Context, year: int) -> str:
    n = ctx.year_seq.get(year, 0) + 1
    ctx.year_seq[year] = n
    return f"FI-{year}-{n:04d}"


def _build_project(ctx: _Context, chunk: _Chunk, *, index: int, title: str, fld: Field, state: str, tasks_per_list: int) -> None:
    rng, today = ctx.rng, ctx.today
    teams = ctx.field_team[fld.pk]
    team = teams[index % len(teams)]
    people = ctx.team_people[team.pk]
    team_lead = people[0]
    committee = ctx.field_committee[fld.pk]
    chair = committee.chair
    lead = ctx.leads[index % len(ctx.leads)]
    performer = lead.organisation or ctx.orgs[index % len(ctx.orgs)]
    start, end = _project_dates(ctx, state)
    budget = _money(rng.randrange(8, 120) * 500_000)
    nc_track = state == PS.NON_CONSENSUS or title in CURATED_NON_CONSENSUS_APPROVED
    if state in (PS.ACTIVE, PS.APPROVED) and fld.tier.code == "early_layout" and rng.random() < 0.04:
        nc_track = True
    template = ctx.templates[fld.tier_id]
    project = Project(
        code=_next_code(ctx, start.year if state not in (PS.DRAFT,) else today.year),
        title=title,
        field=fld,
        pm_team=team,
        performer=performer,
        lead=lead,
        budget=budget,
        support_mode=rng.choice([SupportMode.DIRECT_SUBSIDY] * 3 + [SupportMode.CAPITAL_INJECTION, SupportMode.FUND_INVESTMENT]),
        planned_start=start,
        planned_end=end,
        non_consensus_track=nc_track,
        sandbox_supervision=rng.random() < 0.1,
        status=state,
        milestone_template=template,
        created_by=team_lead,
    )
    chunk.projects.append(project)
    _audit_project_path(ctx, chunk, project, state, team_lead, chair)

    # 培育方案: baseline v1; a second version for projects that were adjusted.
    objectives = f"围绕{fld.name_zh}“{fld.tier.focus_zh}”，实现{title}的阶段目标。"
    chunk.plans.append(
        PlanVersion(
            project=project,
            version=1,
            is_baseline=True,
            objectives=objectives,
            scope=f"{title}：关键技术攻关、样机/样品研制、应用验证。",
            deliverables="阶段性技术报告；样机或样品；知识产权与标准。",
            budget_breakdown={"设备费": "0.35", "材料费": "0.25", "测试化验加工费": "0.15", "劳务费": "0.25"},
            created_by=team_lead,
        )
    )
    # 技术路线: early-layout fields explore several routes and converge.
    route_count = 3 if fld.tier.code == "early_layout" else rng.choice([1, 1, 2])
    converged = state in (PS.ACTIVE, PS.CLOSING, PS.CLOSED) and route_count > 1 and rng.random() < 0.5
    for r in range(route_count):
        status = TechnologyRoute.RouteState.EXPLORING
        lessons = ""
        if converged:
            status = TechnologyRoute.RouteState.SELECTED if r == 0 else TechnologyRoute.RouteState.DROPPED
            lessons = "" if r == 0 else "比选测试显示该路线在成本与良率上不占优，相关数据已归档。"
        chunk.routes.append(
            TechnologyRoute(
                project=project,
                name=f"技术路线{'ABC'[r]}",
                family=f"{fld.code}-route-{'abc'[r]}",
                description=f"{fld.name_zh}方向的第{r + 1}条候选路线。",
                status=status,
                lessons_learned=lessons,
                decided_at=ctx.now if converged else None,
            )
        )

    # 里程碑 from the tier's template.
    steps = list(template.steps.all()) if not hasattr(template, "_demo_steps") else template._demo_steps
    span = (end - start).days
    cum = Decimal(0)
    specs: list[dict[str, Any]] = []
    delay = rng.choice([0, 0, 0, 0, 10, 20, 30]) if state in (PS.ACTIVE, PS.SUSPENDED) else 0
    for i, step in enumerate(steps):
        cum += step.span_share
        due = start + dt.timedelta(days=int(span * cum))
        is_final = i == len(steps) - 1
        due = min(due, end) if is_final else min(due, end - dt.timedelta(days=1))
        specs.append(
            {
                "project": project,
                "sequence": i + 1,
                "title": step.title_zh,
                "deliverables": f"{step.title_zh}阶段交付物：技术报告与测试数据。",
                "acceptance_criteria": step.acceptance_hint or f"{step.title_zh}达到方案约定指标。",
                "baseline_due": due,
                "current_due": due,
                "tranche_amount": _money(budget * step.tranche_share),
                "is_final": is_final,
                "template_step": step,
                "status": MS.PLANNED,
            }
        )
    # The curated demo shows every stage of the current milestone; generated projects draw it at random.
    hint = CURATED_CURRENT_MILESTONE[index % len(CURATED_CURRENT_MILESTONE)] if index < len(CURATED_PROJECTS) else None
    _place_milestones(ctx, specs, state, delay, end, hint)
    # FSMField(protected=True): the state can only be given at construction.
    milestones = [Milestone(**spec) for spec in specs]
    chunk.milestones.extend(milestones)
    if delay:
        shifted = [m for m in milestones if m.status not in (MS.PASSED, MS.PASSED_WITH_CONDITIONS)]
        chunk.changes.append(
            ChangeRequest(
                project=project,
                kind=ChangeKind.RESCHEDULE,
                milestone=shifted[0] if shifted else None,
                payload={"milestone": shifted[0].sequence if shifted else None, "workdays": delay * 5 // 7},
                before={f"M{m.sequence}": (m.current_due - dt.timedelta(days=delay)).isoformat() for m in shifted},
                after={f"M{m.sequence}": m.current_due.isoformat() for m in shifted},
                reason="关键设备到货延期，申请顺延里程碑。",
                status=ChangeState.APPLIED,
                created_by=team_lead,
                decided_by=chair,
                decision_note="同意顺延。",
                submitted_at=ctx.now,
                decided_at=ctx.now,
                applied_at=ctx.now,
            )
        )

    for m in milestones:
        if m.status in (MS.PASSED, MS.PASSED_WITH_CONDITIONS):
            m.passed_at = ctx.now
            chunk.releases.append(TrancheRelease(milestone=m, amount=m.tranche_amount, released_by=chair))
        if m.status != MS.PLANNED:
            chunk.audit.append((ctx.ct_milestone, m, "start", MS.PLANNED, MS.IN_PROGRESS, team_lead, ""))

    # 关口评审: the screening gate, then one per milestone that reached its gate.
    decisions_by_milestone: dict[int, GateDecision] = {}
    if state not in (PS.DRAFT, PS.SUBMITTED):
        outcome = {
            PS.SCREENING: None,
            PS.NON_CONSENSUS: DecisionOutcome.NON_CONSENSUS,
            PS.REJECTED: DecisionOutcome.KILL,
        }.get(state, DecisionOutcome.GO)
        if nc_track and state != PS.NON_CONSENSUS:
            outcome = DecisionOutcome.NON_CONSENSUS
        gate_state = GateState.OPEN if state == PS.SCREENING else GateState.DECIDED
        due = today + dt.timedelta(days=7) if state == PS.SCREENING else start - dt.timedelta(days=20)
        _build_gate(ctx, chunk, project, None, GateKind.SCREENING, committee, gate_state, outcome, due)
    for m in milestones:
        gate_state, outcome = {
            MS.SUBMITTED: (GateState.SCHEDULED, None),
            MS.IN_REVIEW: (rng.choice([GateState.OPEN, GateState.OPEN, GateState.CLOSED]), None),
            MS.PASSED: (GateState.DECIDED, DecisionOutcome.GO),
            MS.PASSED_WITH_CONDITIONS: (GateState.DECIDED, DecisionOutcome.CONDITIONAL_GO),
            MS.ON_HOLD: (GateState.DECIDED, DecisionOutcome.HOLD),
            MS.FAILED: (GateState.DECIDED, DecisionOutcome.KILL),
        }.get(m.status, (None, None))
        if gate_state is None:
            continue
        kind = GateKind.FINAL if m.is_final else GateKind.MILESTONE
        due = m.current_due + dt.timedelta(days=14) if gate_state != GateState.DECIDED else m.current_due + dt.timedelta(days=10)
        decision = _build_gate(ctx, chunk, project, m, kind, committee, gate_state, outcome, due)
        if decision is not None:
            decisions_by_milestone[m.sequence] = decision

    if nc_track and state not in (PS.NON_CONSENSUS, PS.SCREENING, PS.REJECTED):
        chunk.nc_approvals.append(
            NonConsensusApproval(
                project=project,
                pm_team=team,
                year=min(today.year, start.year),
                endorsed_by=team_lead,
                approved_by=chair,
                first_tranche_share=Decimal(settings.PMFLOW["NON_CONSENSUS_FIRST_TRANCHE_SHARE"]),
                first_gate_earlier_workdays=settings.PMFLOW["NON_CONSENSUS_FIRST_GATE_EARLIER_WORKDAYS"],
                endorsement="技术路线颠覆性强，专家意见分歧但有支持专家力荐，团队愿以小额首笔资金、提前首个关口控制风险。",
            )
        )

    _build_task_list(ctx, chunk, project, team, people, lead, milestones, state, tasks_per_list, decisions_by_milestone)
    _build_changes_and_awards(ctx, chunk, project, milestones, state, team_lead, chair)


def _place_milestones(
    ctx: _Context, specs: list[dict[str, Any]], state: str, delay: int, end: dt.date, current_hint: str | None = None
) -> None:
    """Give each milestone (still a dict of field values) a state consistent with the project's state
    and today's date; a delayed project's open milestones move later by ``delay`` days."""
    rng, today = ctx.rng, ctx.today
    n = len(specs)
    if not n or state in (PS.DRAFT, PS.SUBMITTED, PS.SCREENING, PS.NON_CONSENSUS, PS.APPROVED, PS.REJECTED):
        return
    if state == PS.CLOSED:
        for m in specs:
            m["status"] = MS.PASSED
        return
    if state == PS.CLOSING:
        for m in specs[:-1]:
            m["status"] = MS.PASSED
        specs[-1]["status"] = rng.choice([MS.IN_REVIEW, MS.SUBMITTED])
        return
    current = next((i for i, m in enumerate(specs) if m["baseline_due"] >= today), n - 1)
    for m in specs[:current]:
        m["status"] = MS.PASSED
    if current > 0 and rng.random() < 0.25:
        specs[current - 1]["status"] = MS.PASSED_WITH_CONDITIONS
    cur = specs[current]
    if state == PS.TERMINATED:
        cur["status"] = rng.choice([MS.FAILED, MS.CANCELLED])
        for m in specs[current + 1 :]:
            m["status"] = MS.CANCELLED
        return
    if state == PS.SUSPENDED:
        cur["status"] = rng.choice([MS.ON_HOLD, MS.IN_PROGRESS])
    elif current_hint is not None:
        cur["status"] = current_hint
    else:
        weights = [60, 12, 22, 6] if current else [70, 10, 20, 0]
        cur["status"] = rng.choices([MS.IN_PROGRESS, MS.SUBMITTED, MS.IN_REVIEW, MS.ON_HOLD], weights=weights)[0]
    if delay:
        for m in specs[current:]:
            limit = end if m["is_final"] else end - dt.timedelta(days=1)
            m["current_due"] = min(m["current_due"] + dt.timedelta(days=delay), limit)


def _build_gate(
    ctx: _Context,
    chunk: _Chunk,
    project: Project,
    milestone: Milestone | None,
    kind: str,
    committee: Committee,
    gate_state: str,
    outcome: str | None,
    due: dt.date,
) -> GateDecision | None:
    rng = ctx.rng
    chair = committee.chair
    gate = GateReview(
        kind=kind,
        project=project,
        milestone=milestone,
        committee=committee,
        chair=chair,
        quorum=3,
        due_date=due,
        status=gate_state,
        opened_at=ctx.now if gate_state != GateState.SCHEDULED else None,
        closed_at=ctx.now if gate_state in (GateState.CLOSED, GateState.DECIDED) else None,
    )
    chunk.gates.append(gate)
    for action, from_s, to_s in [("open", "scheduled", "open"), ("close", "open", "closed"), ("decide", "closed", "decided")]:
        if [GateState.SCHEDULED, GateState.OPEN, GateState.CLOSED, GateState.DECIDED].index(gate_state) >= [
            "scheduled",
            "open",
            "closed",
            "decided",
        ].index(to_s):
            chunk.audit.append((ctx.ct_gate, gate, action, from_s, to_s, chair, ""))
    must, should = GATE_CRITERIA[kind]
    criteria = [GateCriterion(gate=gate, kind=GateCriterion.Kind.MUST, title=t, weight=0, order=i) for i, t in enumerate(must)]
    criteria += [
        GateCriterion(gate=gate, kind=GateCriterion.Kind.SHOULD, title=t, weight=w, order=i) for i, (t, w) in enumerate(should)
    ]
    chunk.criteria.extend(criteria)
    if gate_state == GateState.SCHEDULED:
        return None

    pool = ctx.committee_reviewers[committee.pk]
    reviewers = rng.sample(pool, k=min(3, len(pool))) if len(pool) > 3 else list(pool)
    recommendations = _recommendations(rng, outcome, len(reviewers))
    scores_all: list[Decimal] = []
    for i, reviewer in enumerate(reviewers):
        conflicted = gate_state == GateState.OPEN and i == 2 and rng.random() < 0.2
        declared = gate_state != GateState.OPEN or i < 2 or rng.random() < 0.5
        assignment = ReviewerAssignment(
            gate=gate,
            reviewer=reviewer,
            has_conflict=(True if conflicted else False) if declared or conflicted else None,
            conflict_note="曾与承担单位有合作项目。" if conflicted else "",
            declared_at=ctx.now if declared or conflicted else None,
        )
        chunk.assignments.append(assignment)
        if conflicted:
            continue
        submitted = gate_state in (GateState.CLOSED, GateState.DECIDED) or (declared and i == 0)
        if not declared:
            continue
        rec = recommendations[i]
        base = {"go": 85, "conditional_go": 75, "hold": 62, "recycle": 55, "kill": 40}[rec]
        crit_scores = []
        for c in criteria:
            if c.kind == GateCriterion.Kind.MUST:
                crit_scores.append(CriterionScore(criterion=c, passed=not (rec == "kill" and c.order == 0)))
            else:
                crit_scores.append(CriterionScore(criterion=c, score=max(0, min(100, base + rng.randint(-8, 8)))))
        weighted = sum((Decimal(s.score) * s.criterion.weight for s in crit_scores if s.score is not None), Decimal(0)) / Decimal(
            100
        )
        card = Scorecard(
            assignment=assignment,
            recommendation=rec if submitted or rng.random() < 0.5 else "",
            champion=(outcome == DecisionOutcome.NON_CONSENSUS and i == 0),
            comments=REVIEW_COMMENTS[Recommendation(rec)] if submitted else "",
            weighted_score=_money(weighted),
            must_meet_failed=any(s.passed is False for s in crit_scores),
            submitted_at=ctx.now if submitted else None,
        )
        chunk.scorecards.append(card)
        for s in crit_scores:
            s.scorecard = card
        chunk.scores.extend(crit_scores)
        if submitted:
            scores_all.append(weighted)
    if gate_state != GateState.DECIDED or outcome is None:
        return None
    mean = sum(scores_all, Decimal(0)) / len(scores_all) if scores_all else Decimal(0)
    spread = (max(scores_all) - min(scores_all)) if scores_all else Decimal(0)
    decision = GateDecision(
        gate=gate,
        outcome=outcome,
        computed_outcome=outcome,
        computed_summary={
            "quorum_met": len(scores_all) >= gate.quorum,
            "submitted": len(scores_all),
            "mean_score": str(_money(mean)),
            "spread": str(_money(spread)),
            "consensus": outcome != DecisionOutcome.NON_CONSENSUS,
        },
        rationale="" if outcome != DecisionOutcome.NON_CONSENSUS else "专家意见分歧，支持专家力荐，转入非共识通道。",
        decided_by=chair,
    )
    chunk.decisions.append(decision)
    return decision


def _recommendations(rng: random.Random, outcome: str | None, n: int) -> list[str]:
    if outcome == DecisionOutcome.NON_CONSENSUS:
        return ([Recommendation.GO, Recommendation.KILL, Recommendation.HOLD] * n)[:n]
    if outcome is None:  # still open: reviewers lean either way
        return [rng.choice([Recommendation.GO, Recommendation.CONDITIONAL_GO, Recommendation.HOLD]) for _ in range(n)]
    main = Recommendation(outcome)
    recs = [main] * n
    if n > 2 and rng.random() < 0.4:
        recs[-1] = rng.choice([Recommendation.GO, Recommendation.CONDITIONAL_GO, Recommendation.HOLD])
    return recs


def _build_task_list(
    ctx: _Context,
    chunk: _Chunk,
    project: Project,
    team: PMTeam,
    people: list[User],
    lead: User,
    milestones: list[Milestone],
    state: str,
    tasks_per_list: int,
    decisions: dict[int, GateDecision],
) -> None:
    rng, today = ctx.rng, ctx.today
    task_list = KeyTaskList(pm_team=team, project=project, title=f"{project.title}重点任务清单", recalculated_at=ctx.now)
    chunk.task_lists.append(task_list)
    start, end = project.planned_start, project.planned_end
    span = max((end - start).days, 30)
    owners = [p.pk for p in (*people, lead)]
    weights = [Decimal(1), Decimal(1), Decimal(2), Decimal(3)]
    tasks: list[TaskRow] = []
    for t in range(tasks_per_list):
        category = ctx.categories[t % len(ctx.categories)]
        title = rng.choice(TASK_TITLES.get(category.code, ["推进重点任务"]))
        # Work clusters around today for running projects; elsewhere it spreads over the whole plan.
        horizon = span
        if state in (PS.ACTIVE, PS.SUSPENDED) and today > start:
            horizon = min(span, (today - start).days + 180)
        t_start = start + dt.timedelta(days=rng.randint(0, max(horizon - 60, 1)))
        t_due = min(t_start + dt.timedelta(days=rng.randint(30, 300)), end)
        if t_due < t_start:
            t_due = t_start
        progress, done_date, blocked = 0, None, False
        if state == PS.CLOSED:
            progress, done_date = 100, min(t_due, today)
        elif state in (PS.ACTIVE, PS.SUSPENDED, PS.CLOSING, PS.TERMINATED) and t_start <= today:
            expected = min(100, 100 * (today - t_start).days // max((t_due - t_start).days, 1))
            progress = max(0, min(100, expected + rng.randint(-35, 15)))
            if progress >= 100 or (t_due < today and rng.random() < 0.75):
                progress, done_date = 100, min(t_due, today)
            blocked = progress < 100 and (state in (PS.SUSPENDED, PS.TERMINATED) or rng.random() < 0.03)
        milestone = next((m for m in milestones if m.current_due >= t_due), milestones[-1] if milestones else None)
        status = PENDING_STATUS
        tasks.append(
            TaskRow(
                task_list,
                category.pk,
                f"{title}（{t + 1}）",
                owners[t % len(owners)],
                t_start,
                t_due,
                rng.choice(weights),
                progress,
                done_date,
                blocked,
                status,
                milestone,
                None,
            )
        )
    # A conditional go turns its conditions into tasks with due dates.
    for seq, decision in decisions.items():
        if decision.outcome != DecisionOutcome.CONDITIONAL_GO:
            continue
        due = milestones[seq - 1].current_due + dt.timedelta(days=45)
        cond_start = milestones[seq - 1].current_due
        status = PENDING_STATUS
        tasks.append(
            TaskRow(
                task_list,
                ctx.categories[0].pk,
                "整改条件：补充第三方可靠性测试报告",
                people[0].pk,
                cond_start,
                due,
                Decimal(1),
                50,
                None,
                False,
                status,
                milestones[seq - 1],
                decision,
            )
        )
    chunk.tasks.extend(tasks)


def _build_changes_and_awards(
    ctx: _Context, chunk: _Chunk, project: Project, milestones: list[Milestone], state: str, team_lead: User, chair: User
) -> None:
    rng = ctx.rng
    now = ctx.now
    if state in (PS.SUSPENDED, PS.TERMINATED):
        kind = ChangeKind.SUSPEND if state == PS.SUSPENDED else ChangeKind.TERMINATE
        chunk.changes.append(
            ChangeRequest(
                project=project,
                kind=kind,
                payload={},
                before={"status": "active"},
                after={"status": state},
                reason="阶段评估显示关键技术指标难以按期实现。"
                if kind == ChangeKind.TERMINATE
                else "核心团队变动，暂停实施待重组。",
                status=ChangeState.APPLIED,
                created_by=team_lead,
                decided_by=chair,
                decision_note="同意。",
                submitted_at=now,
                decided_at=now,
                applied_at=now,
            )
        )
    if state == PS.ACTIVE and rng.random() < 0.3:
        kind = rng.choice([ChangeKind.RESCOPE, ChangeKind.REALLOCATE_BUDGET, ChangeKind.CHANGE_TEAM, ChangeKind.CONVERGE_ROUTE])
        status = rng.choice([ChangeState.DRAFT, ChangeState.SUBMITTED, ChangeState.SUBMITTED, ChangeState.REJECTED])
        payload: dict[str, Any] = {
            ChangeKind.RESCOPE: {"deliverables": "增加用户现场验证报告。"},
            ChangeKind.REALLOCATE_BUDGET: {
                "from": 1,
                "to": len(milestones),
                "amount": str(_money(project.budget * Decimal("0.05"))),
            },
            ChangeKind.CHANGE_TEAM: {"lead": "由原课题副组长接任项目负责人"},
            ChangeKind.CONVERGE_ROUTE: {"selected": "技术路线A"},
        }[kind]
        decided = status == ChangeState.REJECTED
        chunk.changes.append(
            ChangeRequest(
                project=project,
                kind=kind,
                milestone=milestones[-1] if kind == ChangeKind.RESCOPE else None,
                payload=payload,
                reason="根据中期进展与专家意见进行动态调整。",
                status=status,
                created_by=team_lead,
                decided_by=chair if decided else None,
                decision_note="理由不充分，维持原方案。" if decided else "",
                submitted_at=now if status != ChangeState.DRAFT else None,
                decided_at=now if decided else None,
            )
        )
    if state in (PS.ACTIVE, PS.CLOSING, PS.CLOSED) and rng.random() < 0.25:
        code = rng.choice(
            ["service_platform", "basic_research", "first_of_kind", "demo_scenario", "standards_ip", "core_rd_talent"]
        )
        measure = ctx.measures[code]
        base = None
        if measure.ratio_cap is not None:
            base = _money(rng.randrange(20, 90) * 1_000_000)
            amount = min(base * measure.ratio_cap, measure.amount_cap or base)
        else:
            amount = (measure.amount_cap or Decimal(1_000_000)) * Decimal(rng.choice(["0.5", "0.6", "0.8", "1"]))
        chunk.awards.append(
            FundingAward(
                project=project,
                beneficiary=project.performer,
                measure=measure,
                amount=_money(amount),
                base_amount=base,
                note=f"依据{measure.clause}条款给予支持。",
                created_by=ctx.admin,
            )
        )


def _audit_project_path(ctx: _Context, chunk: _Chunk, project: Project, state: str, team_lead: User, chair: User) -> None:
    """The audit trail of transitions that led the project to ``state``."""
    path: list[tuple[str, str, str, User]] = []
    if state == PS.DRAFT:
        return
    path.append(("submit", PS.DRAFT, PS.SUBMITTED, team_lead))
    if state != PS.SUBMITTED:
        path.append(("start_screening", PS.SUBMITTED, PS.SCREENING, team_lead))
    if project.non_consensus_track and state != PS.SCREENING:
        path.append(("send_to_non_consensus", PS.SCREENING, PS.NON_CONSENSUS, chair))
    if state == PS.REJECTED:
        path.append(("reject", PS.SCREENING, PS.REJECTED, chair))
    if state in (PS.APPROVED, PS.ACTIVE, PS.SUSPENDED, PS.CLOSING, PS.CLOSED, PS.TERMINATED):
        path.append(("approve", PS.NON_CONSENSUS if project.non_consensus_track else PS.SCREENING, PS.APPROVED, chair))
    if state in (PS.ACTIVE, PS.SUSPENDED, PS.CLOSING, PS.CLOSED, PS.TERMINATED):
        path.append(("activate", PS.APPROVED, PS.ACTIVE, team_lead))
    if state == PS.SUSPENDED:
        path.append(("suspend", PS.ACTIVE, PS.SUSPENDED, ctx.admin))
    if state in (PS.CLOSING, PS.CLOSED):
        path.append(("start_closing", PS.ACTIVE, PS.CLOSING, team_lead))
    if state == PS.CLOSED:
        path.append(("close", PS.CLOSING, PS.CLOSED, chair))
    if state == PS.TERMINATED:
        path.append(("terminate", PS.ACTIVE, PS.TERMINATED, ctx.admin))
    for action, from_s, to_s, actor in path:
        reason = "阶段评估结论为终止。" if action == "terminate" else ("团队重组。" if action == "suspend" else "")
        if action == "reject":
            reason = "创新性不足，不予立项。"
        chunk.audit.append((ctx.ct_project, project, action, from_s, to_s, actor, reason))


# --- people and the entry point -------------------------------------------------------------------


def _ensure_users(specs: list[dict[str, Any]], password_hash: str, batch_size: int) -> dict[str, User]:
    """Create the users that do not exist yet (existing ones are left as they are)."""
    usernames = [s["username"] for s in specs]
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    new = [
        User(password=password_hash, email=f"{s['username']}@demo.pmflow.local", **s)
        for s in specs
        if s["username"] not in existing
    ]
    _bulk(User, new, batch_size)
    return {u.username: u for u in User.objects.filter(username__in=usernames).select_related("organisation")}


def _ensure_orgs(names: list[tuple[str, str]]) -> list[Organisation]:
    existing = {o.name: o for o in Organisation.objects.filter(name__in=[n for n, _e in names])}
    Organisation.objects.bulk_create([Organisation(name=n, name_en=e) for n, e in names if n not in existing])
    by_name = {o.name: o for o in Organisation.objects.filter(name__in=[n for n, _e in names])}
    return [by_name[n] for n, _e in names]


def demo_seed(
    *,
    projects: int | None = None,
    tasks_per_list: int | None = None,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    batch_size: int = 5000,
    chunk_projects: int = 500,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Build the demo portfolio (``projects=None``: the curated 24 projects with 6–10 tasks each) or a
    benchmark-scale one (``projects=N``, ``tasks_per_list=M``). Precondition: reference data is
    loaded and there are no projects yet (the caller checks ``demo_exists()``)."""
    if not Field.objects.exists() or not MilestoneTemplate.objects.filter(is_current=True).exists():
        raise RuntimeError("reference data missing: run `manage.py load_reference_data` first")
    say = progress or (lambda _msg: None)
    rng = random.Random(seed)
    today = today or timezone.localdate()
    n_projects = len(CURATED_PROJECTS) if projects is None else projects
    scale = max(1, n_projects // 250)  # people grow with the portfolio: ~250 projects per PM team
    password_hash = make_password(DEMO_PASSWORD)
    counts: dict[str, int] = {}

    with transaction.atomic():
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
        team_specs = [(c, n, lead, members, f) for c, n, lead, members, f in TEAMS]
        all_field_codes = [f.code for f in Field.objects.all()]
        for k in range(1, scale):
            code = f"pm-extra-{k:03d}"
            team_specs.append(
                (
                    code,
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
        say(f"people: {len(users)} users")

        fields = list(Field.objects.select_related("tier").order_by("order", "code"))
        field_by_code = {f.code: f for f in fields}
        teams: list[PMTeam] = []
        team_people: dict[int, list[User]] = {}
        field_team: dict[int, list[PMTeam]] = {f.pk: [] for f in fields}
        existing_teams = {t.code: t for t in PMTeam.objects.filter(code__in=[s[0] for s in team_specs])}
        new_teams = [
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
        PMTeam.objects.bulk_create(new_teams)
        team_by_code = {t.code: t for t in PMTeam.objects.filter(code__in=[s[0] for s in team_specs])}
        memberships, team_fields = [], []
        for code, _name, (lead, _ln), members, field_codes in team_specs:
            team = team_by_code[code]
            teams.append(team)
            team_people[team.pk] = [users[lead]] + [users[m] for m, _n in members]
            if code in existing_teams:
                continue
            memberships.append(PMTeamMembership(team=team, user=users[lead], role=PMTeamMembership.Role.LEAD))
            memberships += [PMTeamMembership(team=team, user=users[m], role=PMTeamMembership.Role.MEMBER) for m, _n in members]
            team_fields += [PMTeam.fields.through(pmteam=team, field=field_by_code[c]) for c in field_codes]
        PMTeamMembership.objects.bulk_create(memberships, ignore_conflicts=True)
        PMTeam.fields.through.objects.bulk_create(team_fields, ignore_conflicts=True)
        for code, _name, _lead, _members, field_codes in team_specs:
            for c in field_codes:
                field_team[field_by_code[c].pk].append(team_by_code[code])

        field_committee: dict[int, Committee] = {}
        committee_reviewers: dict[int, list[User]] = {}
        for c_index, (name, (chair, _cn), reviewer_names, field_codes) in enumerate(COMMITTEES):
            committee, created = Committee.objects.get_or_create(name=name, defaults={"chair": users[chair]})
            # Extra reviewers (benchmark scale) are split between the committees.
            pool = [users[r] for r in reviewer_names]
            pool += [users[f"reviewer{r}"] for r in range(9, reviewer_count + 1) if r % len(COMMITTEES) == c_index]
            if created:
                committee.members.add(*pool)
                committee.fields.add(*[field_by_code[c] for c in field_codes])
            committee_reviewers[committee.pk] = pool
            for c in field_codes:
                field_committee[field_by_code[c].pk] = committee

        policy = Policy.objects.order_by("effective_from").first()
        templates = {
            t.tier_id: t
            for t in MilestoneTemplate.objects.filter(is_current=True).prefetch_related("steps").select_related("tier")
        }
        for t in templates.values():
            t._demo_steps = list(t.steps.all())
        ctx = _Context(
            rng=rng,
            today=today,
            now=timezone.now(),
            policy_from=policy.effective_from if policy else dt.date(2025, 9, 26),
            policy_to=policy.effective_to if policy else dt.date(2030, 9, 25),
            fields=fields,
            field_team=field_team,
            field_committee=field_committee,
            committee_reviewers=committee_reviewers,
            team_people=team_people,
            leads=[users[f"lead{i:02d}"] for i in range(1, lead_count + 1)],
            orgs=performer_orgs,
            templates=templates,
            categories=list(TaskCategory.objects.order_by("order", "code")),
            measures={m.code: m for m in SupportMeasure.objects.all()},
            admin=users["sstc_admin"],
            ct_project=ContentType.objects.get_for_model(Project),
            ct_milestone=ContentType.objects.get_for_model(Milestone),
            ct_gate=ContentType.objects.get_for_model(GateReview),
        )

        # Team-level key task lists (not tied to one project).
        team_chunk = _Chunk()
        for team in teams[: len(TEAMS)]:
            tl = KeyTaskList(pm_team=team, project=None, title=f"{team.name}年度重点任务清单", recalculated_at=ctx.now)
            team_chunk.task_lists.append(tl)
            tasks = []
            for t, category in enumerate(ctx.categories):
                t_start = today - dt.timedelta(days=rng.randint(30, 200))
                t_due = today + dt.timedelta(days=rng.randint(-20, 200))
                t_due = max(t_due, t_start)
                progress = rng.randint(0, 100)
                done = progress == 100
                status = PENDING_STATUS
                owner = team_people[team.pk][t % len(team_people[team.pk])]
                title = rng.choice(TASK_TITLES.get(category.code, ["推进重点任务"]))
                tasks.append(
                    TaskRow(
                        tl,
                        category.pk,
                        title,
                        owner.pk,
                        t_start,
                        t_due,
                        Decimal(1),
                        progress,
                        today if done else None,
                        False,
                        status,
                        None,
                        None,
                    )
                )
            team_chunk.tasks.extend(tasks)
        counts.update(team_chunk.write(batch_size))

    # The portfolio, in chunks so memory stays flat at benchmark scale. Each chunk commits on its
    # own: PostgreSQL checks deferred foreign keys at commit, and one commit of millions of rows
    # queues every check in memory (minutes); per-chunk commits keep that small.
    for chunk_start in range(0, n_projects, chunk_projects):
        chunk = _Chunk()
        for i in range(chunk_start, min(n_projects, chunk_start + chunk_projects)):
            if i < len(CURATED_PROJECTS):
                code, title, state = CURATED_PROJECTS[i]
                fld = field_by_code[code]
            else:
                fld = fields[i % len(fields)]
                title = f"{fld.name_zh}{rng.choice(TITLE_PHRASES)}（{i + 1:05d}）"
                state = _pick_state(rng)
            m = tasks_per_list if tasks_per_list is not None else rng.randint(6, 10)
            _build_project(ctx, chunk, index=i, title=title, fld=fld, state=state, tasks_per_list=m)
        with transaction.atomic():
            for name, count in chunk.write(batch_size).items():
                counts[name] = counts.get(name, 0) + count
        say(f"projects: {min(n_projects, chunk_start + chunk_projects)}/{n_projects}")

    # Statuses, list roll-ups and project health come from the one authority (DESIGN §6), set-based.
    say("recalculating task status, roll-ups and health")
    task_statuses_recalculate(today=today)

    with transaction.atomic():
        _build_assessments(ctx, batch_size, counts)
        # One award superseded by a higher one for the same beneficiary (从优、就高、不重复).
        _build_superseded_award(ctx)
    counts["user"] = len(users)
    return DemoSummary(created=True, counts=counts)


def _build_assessments(ctx: _Context, batch_size: int, counts: dict[str, int]) -> None:
    """Last quarter's assessment round (closed, every active project rated) and the current one (open)."""
    today = ctx.today
    q_start_month = 3 * ((today.month - 1) // 3) + 1
    current_start = dt.date(today.year, q_start_month, 1)
    prev_end = current_start - dt.timedelta(days=1)
    prev_start = dt.date(prev_end.year, 3 * ((prev_end.month - 1) // 3) + 1, 1)
    next_start = dt.date(current_start.year + (current_start.month + 3 > 12), (current_start.month + 2) % 12 + 1, 1)
    label = lambda d: f"{d.year}年第{(d.month - 1) // 3 + 1}季度"  # noqa: E731
    prev, _ = AssessmentRound.objects.get_or_create(
        period_start=prev_start,
        period_end=prev_end,
        defaults={"label": label(prev_start), "due_date": prev_end + dt.timedelta(days=15), "is_open": False},
    )
    AssessmentRound.objects.get_or_create(
        period_start=current_start,
        period_end=next_start - dt.timedelta(days=1),
        defaults={"label": label(current_start), "due_date": next_start + dt.timedelta(days=14), "is_open": True},
    )
    rng = ctx.rng
    rows = []
    qs = Project.objects.filter(status__in=[PS.ACTIVE, PS.SUSPENDED], planned_start__lte=prev_end).values_list(
        "pk", "health", "pm_team__lead_id"
    )
    for pk, health, lead_id in qs.iterator(chunk_size=5000):
        bias = {"green": ["A", "A", "B", "B", "C"], "amber": ["B", "C", "C"], "red": ["C", "D", "D"]}.get(health, ["B", "C"])
        ratings = [rng.choice(bias) for _ in range(5)]
        overall = sorted(ratings)[2]
        rows.append(
            Assessment(
                round=prev,
                project_id=pk,
                scope=ratings[0],
                time=ratings[1],
                cost=ratings[2],
                risk=ratings[3],
                transfer=ratings[4],
                overall=overall,
                recommendation={
                    Rating.A: AssessmentRecommendation.ACCELERATE,
                    Rating.B: AssessmentRecommendation.CONTINUE,
                    Rating.C: AssessmentRecommendation.ADJUST,
                    Rating.D: AssessmentRecommendation.TERMINATE,
                }[Rating(overall)],
                comments="按季度动态甄别评估。",
                submitted_by_id=lead_id,
                submitted_at=ctx.now,
            )
        )
    Assessment.objects.bulk_create(rows, batch_size=batch_size, ignore_conflicts=True)
    counts["assessment"] = len(rows)


def _build_superseded_award(ctx: _Context) -> None:
    project = Project.objects.filter(status=PS.ACTIVE).order_by("code").first()
    measure = ctx.measures.get("first_of_kind")
    if project is None or measure is None:
        return
    higher = FundingAward.objects.create(
        project=project,
        beneficiary=project.performer,
        measure=measure,
        amount=Decimal("18000000.00"),
        base_amount=Decimal("60000000.00"),
        note="首台套合同金额6000万元，按30%且不超过2000万元给予支持。",
        created_by=ctx.admin,
    )
    FundingAward.objects.create(
        project=project,
        beneficiary=project.performer,
        measure=measure,
        amount=Decimal("12000000.00"),
        base_amount=Decimal("40000000.00"),
        status=FundingAward.AwardState.SUPERSEDED,
        superseded_by=higher,
        note="同一主体同类支持从优、就高、不重复，已被更高额度替代。",
        created_by=ctx.admin,
    )


def summary_lines(summary: DemoSummary) -> Iterable[str]:
    for name, count in sorted(summary.counts.items()):
        yield f"  {name:<22} {count:>10,}"
