"""Benchmark-scale demo data (``seed_demo --projects N --tasks-per-list M``), written in bulk.

It writes a consistent end state rather than a history of requests, because it must build 10,000
projects / 1,000,000 tasks in minutes (``bulk_create`` / COPY in batches, one password hash shared
by every demo user). What it must not do is invent its own rules: dates, amounts and payloads come
from the same domain functions the services use —

- milestone due dates and tranches: ``milestone_due_dates`` and ``tranche_amounts_split`` (the
  risk-controlled track's first-tranche cap and earlier first gate included), delays shifted by
  working days (``pmflow.workdays``), gate due dates on working days;
- awards within the measure's caps (``measure_max_amount``), and every project whose tranches were
  released has the award that commits them (released ≤ committed);
- change-request payloads in the shape ``milestones.services.change_plans`` validates, so every
  pending request is applicable;

and the result passes the same validator as the curated demo (``manage.py check_portfolio``).
Randomness is seeded, so two runs build the same data. Dates are placed relative to ``today``. Task
status, roll-ups and project health come from the one set-based recalculation at the end
(``task_statuses_recalculate``). The curated demo (``milestones.demo.curated``) is made by the
services themselves.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from milestones.demo.cast import TEAMS, cast_ensure
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
from milestones.services.change_plans import CLOSED_MILESTONE_STATES
from milestones.services.templates import milestone_due_dates, tranche_amounts_split
from pmflow.models import AuditEntry, Organisation, User
from pmflow.workdays import add_workdays, next_workday, previous_workday
from projects.models import (
    Field,
    FundingAward,
    KeyTaskList,
    PlanVersion,
    PMTeam,
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
from projects.services.funding import measure_max_amount
from projects.services.task_status import task_statuses_recalculate

DEFAULT_SEED = 20250926
PS = ProjectState
MS = MilestoneState

#: project states that went through approval (their milestones were created then)
APPROVED_STATES = frozenset({PS.APPROVED, PS.ACTIVE, PS.SUSPENDED, PS.CLOSING, PS.CLOSED, PS.TERMINATED})
BUDGET_SHARES = {"设备费": "0.35", "材料费": "0.25", "测试化验加工费": "0.15", "劳务费": "0.25"}

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
        # run once the milestones and routes have pks, before the change requests are written
        self.fixups: list[Callable[[], None]] = []
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
            if model is ChangeRequest:
                for fixup in self.fixups:
                    fixup()
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
    # ≤ 30 M yuan: the project's platform award (cap 30 M) commits all of it (released ≤ committed)
    budget = _money(rng.randrange(8, 60) * 500_000)
    nc_track = state == PS.NON_CONSENSUS
    if state in (PS.ACTIVE, PS.APPROVED) and fld.tier.code == "early_layout" and rng.random() < 0.1:
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
            budget_breakdown={k: str(_money(budget * Decimal(v))) for k, v in BUDGET_SHARES.items()},
            created_by=team_lead,
        )
    )
    # 技术路线: early-layout fields explore several routes and converge.
    route_count = 3 if fld.tier.code == "early_layout" else rng.choice([1, 1, 2])
    converged = state in (PS.ACTIVE, PS.CLOSING, PS.CLOSED) and route_count > 1 and rng.random() < 0.5
    routes: list[TechnologyRoute] = []
    for r in range(route_count):
        status = TechnologyRoute.RouteState.EXPLORING
        lessons = ""
        if converged:
            status = TechnologyRoute.RouteState.SELECTED if r == 0 else TechnologyRoute.RouteState.DROPPED
            lessons = "" if r == 0 else "比选测试显示该路线在成本与良率上不占优，相关数据已归档。"
        routes.append(
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

    # 里程碑 from the tier's template, as milestones_create_from_template makes them at approval: due
    # dates on working days, tranches split to the cent, the risk-controlled track's first tranche
    # capped and its first gate earlier. Projects never approved have none.
    milestones: list[Milestone] = []
    if state in APPROVED_STATES:
        steps = template._demo_steps
        conf = settings.PMFLOW
        dues = milestone_due_dates(
            start=start,
            end=end,
            span_shares=[s.span_share for s in steps],
            first_earlier_workdays=int(conf["NON_CONSENSUS_FIRST_GATE_EARLIER_WORKDAYS"]) if nc_track else 0,
        )
        amounts = tranche_amounts_split(
            budget=budget,
            shares=[s.tranche_share for s in steps],
            first_cap_share=Decimal(str(conf["NON_CONSENSUS_FIRST_TRANCHE_SHARE"])) if nc_track else None,
        )
        specs: list[dict[str, Any]] = [
            {
                "project": project,
                "sequence": i + 1,
                "title": step.title_zh,
                "deliverables": f"{step.title_zh}阶段交付物：技术报告与测试数据。",
                "acceptance_criteria": step.acceptance_hint or f"{step.title_zh}达到方案约定指标。",
                "baseline_due": due,
                "current_due": due,
                "tranche_amount": amount,
                "is_final": i == len(steps) - 1,
                "template_step": step,
                "status": MS.PLANNED,
            }
            for i, (step, due, amount) in enumerate(zip(steps, dues, amounts, strict=True))
        ]
        delay = rng.choice([0, 0, 0, 0, 7, 14, 21]) if state in (PS.ACTIVE, PS.SUSPENDED) else 0  # working days
        _place_milestones(ctx, specs, state, delay, end)
        # FSMField(protected=True): the state can only be given at construction.
        milestones = [Milestone(**spec) for spec in specs]
        chunk.milestones.extend(milestones)
        moved = [m for m in milestones if m.current_due != m.baseline_due]
        if moved:
            _reschedule_applied(ctx, chunk, project, moved, team_lead, chair)

    for m in milestones:
        if m.status in (MS.PASSED, MS.PASSED_WITH_CONDITIONS):
            m.passed_at = ctx.now
        if m.status == MS.PASSED:  # tranche_release: a passed milestone only, never with conditions open
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
        due = (
            next_workday(today + dt.timedelta(days=7))
            if state == PS.SCREENING
            else previous_workday(start - dt.timedelta(days=20))
        )
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
        due = add_workdays(m.current_due, 10 if gate_state != GateState.DECIDED else 7)
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
    chunk.routes.extend(routes)
    _build_changes_and_awards(ctx, chunk, project, milestones, routes, state, team_lead, chair)


def _place_milestones(ctx: _Context, specs: list[dict[str, Any]], state: str, delay: int, end: dt.date) -> None:
    """Give each milestone (still a dict of field values) a state consistent with the project's state
    and today's date; a delayed project's open milestones move later by ``delay`` working days (as an
    applied reschedule moves them), never past the project's end."""
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
    else:
        weights = [60, 12, 22, 6] if current else [70, 10, 20, 0]
        cur["status"] = rng.choices([MS.IN_PROGRESS, MS.SUBMITTED, MS.IN_REVIEW, MS.ON_HOLD], weights=weights)[0]
    if delay:
        moved = [add_workdays(m["current_due"], delay) for m in specs[current:]]
        if moved[-1] <= end:  # a delay that would pass the end needs an extension: not drawn
            for m, due in zip(specs[current:], moved, strict=True):
                m["current_due"] = due


def _reschedule_applied(
    ctx: _Context, chunk: _Chunk, project: Project, moved: list[Milestone], team_lead: User, chair: User
) -> None:
    """The applied reschedule request that moved ``moved`` (payload and before/after copies in the
    shape ``change_request_apply`` stores; pks filled in once the milestones are written)."""
    first = moved[0]
    cr = ChangeRequest(
        project=project,
        kind=ChangeKind.RESCHEDULE,
        milestone=first,
        payload={"new_due": first.current_due.isoformat()},
        reason="关键设备到货延期，申请顺延里程碑。",
        status=ChangeState.APPLIED,
        created_by=team_lead,
        decided_by=chair,
        decision_note="同意顺延。",
        submitted_at=ctx.now,
        decided_at=ctx.now,
        applied_at=ctx.now,
    )

    def copies() -> None:
        cr.before = {f"milestone:{m.pk}": {"current_due": m.baseline_due.isoformat()} for m in moved}
        cr.after = {f"milestone:{m.pk}": {"current_due": m.current_due.isoformat()} for m in moved}

    chunk.fixups.append(copies)
    chunk.changes.append(cr)


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
    ctx: _Context,
    chunk: _Chunk,
    project: Project,
    milestones: list[Milestone],
    routes: list[TechnologyRoute],
    state: str,
    team_lead: User,
    chair: User,
) -> None:
    rng = ctx.rng
    now = ctx.now
    if state in (PS.SUSPENDED, PS.TERMINATED):
        kind = ChangeKind.SUSPEND if state == PS.SUSPENDED else ChangeKind.TERMINATE
        state_change = ChangeRequest(
            project=project,
            kind=kind,
            payload={},
            reason="阶段评估显示关键技术指标难以按期实现。" if kind == ChangeKind.TERMINATE else "核心团队变动，暂停实施待重组。",
            status=ChangeState.APPLIED,
            created_by=team_lead,
            decided_by=chair,
            decision_note="同意。",
            submitted_at=now,
            decided_at=now,
            applied_at=now,
        )

        def copies() -> None:
            state_change.before = {f"project:{project.pk}": {"status": PS.ACTIVE}}
            state_change.after = {f"project:{project.pk}": {"status": state}}

        chunk.fixups.append(copies)
        chunk.changes.append(state_change)
    if state == PS.ACTIVE and rng.random() < 0.3:
        _pending_change(ctx, chunk, project, milestones, routes, team_lead, chair)
    released = sum((m.tranche_amount for m in milestones if m.status == MS.PASSED), Decimal(0))
    if released:
        # The award that commits the project's funding, recorded before any tranche was released.
        platform = ctx.measures["service_platform"]
        amount = min(project.budget, measure_max_amount(platform) or project.budget)
        chunk.awards.append(
            FundingAward(
                project=project,
                beneficiary=project.performer,
                measure=platform,
                amount=amount,
                note=f"依据{platform.clause}条款给予平台建设支持。",
                created_by=ctx.admin,
            )
        )
    if state in (PS.ACTIVE, PS.CLOSING, PS.CLOSED) and rng.random() < 0.25:
        code = rng.choice(["basic_research", "first_of_kind", "demo_scenario", "standards_ip", "core_rd_talent"])
        measure = ctx.measures[code]
        base = _money(rng.randrange(20, 90) * 1_000_000) if measure.ratio_cap is not None else None
        cap = measure_max_amount(measure, base) or Decimal(1_000_000)
        amount = cap if base is not None else cap * Decimal(rng.choice(["0.5", "0.6", "0.8", "1"]))
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


def _pending_change(
    ctx: _Context,
    chunk: _Chunk,
    project: Project,
    milestones: list[Milestone],
    routes: list[TechnologyRoute],
    team_lead: User,
    chair: User,
) -> None:
    """A change request still in the pipeline (draft, submitted or rejected), its payload in the shape
    ``milestones.services.change_plans`` validates, so a pending one can be applied."""
    rng = ctx.rng
    open_ms = [m for m in milestones if m.status not in CLOSED_MILESTONE_STATES]
    unreleased = [m for m in open_ms if m.status != MS.PASSED]
    exploring = [r for r in routes if r.status == TechnologyRoute.RouteState.EXPLORING]
    kinds = [ChangeKind.CHANGE_TEAM]
    if open_ms:
        kinds.append(ChangeKind.RESCOPE)
    if len(unreleased) >= 2:
        kinds.append(ChangeKind.REALLOCATE_BUDGET)
    if len(exploring) >= 2:
        kinds.append(ChangeKind.CONVERGE_ROUTE)
    kind = rng.choice(kinds)
    status = rng.choice([ChangeState.DRAFT, ChangeState.SUBMITTED, ChangeState.SUBMITTED, ChangeState.REJECTED])
    decided = status == ChangeState.REJECTED
    cr = ChangeRequest(
        project=project,
        kind=kind,
        milestone=open_ms[-1] if kind == ChangeKind.RESCOPE else None,
        payload={},
        reason="根据中期进展与专家意见进行动态调整。",
        status=status,
        created_by=team_lead,
        decided_by=chair if decided else None,
        decision_note="理由不充分，维持原方案。" if decided else "",
        submitted_at=ctx.now if status != ChangeState.DRAFT else None,
        decided_at=ctx.now if decided else None,
    )
    if kind == ChangeKind.RESCOPE:
        cr.payload = {"deliverables": "增加用户现场验证报告。"}
    elif kind == ChangeKind.CHANGE_TEAM:
        others = [u for u in ctx.leads[:12] if u.pk != project.lead_id]
        cr.payload = {"lead_id": rng.choice(others).pk}
    elif kind == ChangeKind.REALLOCATE_BUDGET:
        source, target = unreleased[-1], unreleased[0]
        amount = _money(source.tranche_amount * Decimal("0.2"))

        def tranches() -> None:
            cr.payload = {
                "tranches": {
                    str(target.pk): str(target.tranche_amount + amount),
                    str(source.pk): str(source.tranche_amount - amount),
                }
            }

        chunk.fixups.append(tranches)
    else:
        selected, dropped = exploring[0], exploring[1:]

        def routes_chosen() -> None:
            cr.payload = {
                "selected_route_id": selected.pk,
                "dropped": {str(r.pk): "比选测试显示该路线在成本与良率上不占优，相关数据已归档。" for r in dropped},
            }

        chunk.fixups.append(routes_chosen)
    chunk.changes.append(cr)


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


def bulk_seed(
    *,
    projects: int,
    tasks_per_list: int | None = None,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    batch_size: int = 5000,
    chunk_projects: int = 500,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Build a benchmark-scale portfolio of ``projects`` projects with ``tasks_per_list`` tasks each
    (6–10 when None). Precondition: reference data is loaded and there are no projects yet (the
    caller checks ``demo_exists()``)."""
    if not Field.objects.exists() or not MilestoneTemplate.objects.filter(is_current=True).exists():
        raise RuntimeError("reference data missing: run `manage.py load_reference_data` first")
    say = progress or (lambda _msg: None)
    rng = random.Random(seed)
    today = today or timezone.localdate()
    n_projects = projects
    scale = max(1, n_projects // 250)  # people grow with the portfolio: ~250 projects per PM team
    counts: dict[str, int] = {}

    with transaction.atomic():
        cast = cast_ensure(scale=scale, batch_size=batch_size)
        users = cast.users
        teams, team_people, fields = cast.teams, cast.team_people, cast.fields
        say(f"people: {len(users)} users")
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
            field_team=cast.field_team,
            field_committee=cast.field_committee,
            committee_reviewers=cast.committee_reviewers,
            team_people=team_people,
            leads=cast.leads,
            orgs=cast.performer_orgs,
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
