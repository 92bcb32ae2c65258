"""The curated demo portfolio, made by the services a user's clicks call.

Every project is created, submitted, screened, approved, started, gated and adjusted through the same
service functions the web UI, the API and the admin call (``project_create``, ``gate_schedule``,
``scorecard_submit``, ``gate_decide``, ``milestone_submit``, ``change_request_apply``,
``tranche_release``, ``funding_award_add``, ``task_create`` …), by the user whose button it is. So
every demo row is one the rules could produce, and ``check_portfolio`` passes on it.

The services date what they do ``today`` (``timezone.localdate()``), so the demo is built relative to
today: projects that have a history started some months ago, everything still open is due in the
future, and dates come from the services' own working-day arithmetic.

The cast and the work left waiting for the browser journeys are listed in ``CURATED_PROJECTS`` and
``WAITING`` below; journeys should start from those and never depend on the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from milestones.demo.cast import Cast, cast_ensure
from milestones.models import (
    ChangeKind,
    DecisionOutcome,
    GateCriterion,
    GateKind,
    GateReview,
    Milestone,
    Recommendation,
    ReviewerAssignment,
)
from milestones.services.changes import (
    change_request_apply,
    change_request_approve,
    change_request_create,
    change_request_submit,
)
from milestones.services.decisions import gate_decide, non_consensus_approve
from milestones.services.gates import (
    assignment_declare_conflict,
    gate_assign_reviewer,
    gate_close,
    gate_open,
    gate_schedule,
    scorecard_submit,
)
from milestones.services.milestones import milestone_start, milestone_submit
from milestones.services.tranches import tranche_release
from pmflow.models import User
from pmflow.workdays import add_workdays
from projects.models import KeyTaskList, Policy, Project, ProjectState, TaskCategory
from projects.services.funding import funding_award_add
from projects.services.plans import plan_version_add
from projects.services.projects import project_activate, project_create, project_submit, route_add
from projects.services.task_status import task_statuses_recalculate
from projects.services.tasks import task_create, task_list_create, task_update_progress

PS = ProjectState
Out = DecisionOutcome
Rec = Recommendation

# (key, field, title, team code, lead username, budget in yuan, end state)
CURATED_PROJECTS = [
    ("qc", "quantum", "超导量子计算原型机关键技术攻关", "pm-info", "lead01", 24_000_000, PS.ACTIVE),
    ("qnet", "quantum", "光量子城域网络示范", "pm-info", "lead07", 12_000_000, PS.SCREENING),
    ("thz", "6g", "6G太赫兹通信原型系统", "pm-info", "lead05", 18_000_000, PS.ACTIVE),
    ("sat", "6g", "空天地一体化网络试验床", "pm-info", "lead06", 15_000_000, PS.SUBMITTED),
    ("siph", "silicon_photonics", "硅光高速光模块工程化", "pm-info", "lead08", 20_000_000, PS.CLOSING),
    ("tfln", "silicon_photonics", "薄膜铌酸锂调制器量产工艺", "pm-info", "lead09", 16_000_000, PS.ACTIVE),
    ("snn", "brain_inspired_intelligence", "类脑芯片与脉冲神经网络平台", "pm-info", "lead10", 14_000_000, PS.SUSPENDED),
    ("tok", "fusion", "高温超导托卡马克磁体研制", "pm-energy-materials", "lead11", 28_000_000, PS.ACTIVE),
    ("wall", "fusion", "聚变堆第一壁材料验证", "pm-energy-materials", "lead12", 10_000_000, PS.NON_CONSENSUS),
    ("dt", "fusion", "氘氚燃料循环关键部件", "pm-energy-materials", "lead03", 9_000_000, PS.DRAFT),
    ("ga2o3", "fourth_gen_semiconductors", "氧化镓功率器件中试线", "pm-energy-materials", "lead04", 22_000_000, PS.ACTIVE),
    ("diamond", "fourth_gen_semiconductors", "金刚石衬底外延技术", "pm-energy-materials", "lead02", 8_000_000, PS.REJECTED),
    ("cart", "cell_gene_therapy", "通用型CAR-T细胞药物产业化", "pm-health", "lead06", 26_000_000, PS.CLOSED),
    ("edit", "cell_gene_therapy", "体内基因编辑递送平台", "pm-health", "lead07", 19_000_000, PS.ACTIVE),
    ("bci", "brain_computer_interface", "植入式脑机接口医疗器械注册", "pm-health", "lead10", 21_000_000, PS.ACTIVE),
    ("rehab", "brain_computer_interface", "非侵入式脑机接口康复系统", "pm-health", "lead03", 9_500_000, PS.TERMINATED),
    ("islet", "regenerative_medicine", "干细胞来源胰岛类器官临床前研究", "pm-health", "lead04", 12_500_000, PS.APPROVED),
    ("skin", "regenerative_medicine", "3D生物打印皮肤再生", "pm-health", "lead08", 7_000_000, PS.DRAFT),
    ("synbio", "biomanufacturing", "合成生物学高值化学品中试", "pm-manufacturing", "lead11", 17_000_000, PS.ACTIVE),
    ("strain", "biomanufacturing", "细胞工厂菌种设计平台", "pm-manufacturing", "lead12", 11_000_000, PS.SCREENING),
    ("humanoid", "embodied_ai", "人形机器人通用控制大模型", "pm-manufacturing", "lead02", 25_000_000, PS.ACTIVE),
    ("hand", "embodied_ai", "具身智能灵巧手量产", "pm-manufacturing", "lead01", 13_000_000, PS.APPROVED),
]

#: the work the demo leaves waiting, for the browser journeys (key → what waits, on whom)
WAITING = {
    "qnet": "立项筛选评审已开放：reviewer1 已分配、未声明利益冲突（reviewer2 已评分，reviewer3 已声明）— chair_li / reviewer1",
    "sat": "已提交、待安排立项筛选评审 — sstc_admin 或 chair_li",
    "thz": "进行中的项目，M1 计划中，pm_chen 可启动",
    "qc": "M2 进行中；M2 顺延申请已提交、待 chair_li 审批（可执行）",
    "strain": "立项筛选评审已安排、未开放 — chair_wang",
    "edit": "M1 关口评审评分已截止，待 chair_wang 决定",
    "ga2o3": "M1 已提交，关口评审已安排 — chair_li",
    "siph": "最终里程碑已提交验收，最终验收评审已安排 — chair_li",
    "tok": "M2 关口评审进行中（2/3 已评分）；M1 有条件通过的整改任务 — chair_li / reviewer3",
    "wall": "非共识通道，待 chair_li 与 pm_he 背书批准",
}

SCORE_BY_REC = {Rec.GO: 88, Rec.CONDITIONAL_GO: 76, Rec.HOLD: 62, Rec.RECYCLE: 55, Rec.KILL: 42}
COMMENTS = {
    Rec.GO: "技术指标达成，进展符合预期，建议通过。",
    Rec.CONDITIONAL_GO: "主要指标达成，可靠性数据不足，建议补充测试后通过。",
    Rec.HOLD: "关键数据尚不完整，建议暂缓，补充材料后再议。",
    Rec.RECYCLE: "技术方案需调整，建议返工后重新评审。",
    Rec.KILL: "技术路线存在根本性障碍，建议终止。",
}
TASKS = [
    ("flagship_product", "完成样机性能指标第三方测试"),
    ("supply_chain", "关键材料国产化替代验证"),
    ("platform", "建成概念验证平台"),
    ("talent", "引进核心研发人员"),
    ("major_investment", "完成中试线设备招标"),
    ("reform", "推动标准立项"),
]


@dataclass
class _Demo:
    cast: Cast
    today: dt.date
    admin: User
    categories: dict[str, int]
    projects: dict[str, Project]

    def user(self, username: str) -> User:
        return self.cast.users[username]

    def team_lead(self, project: Project) -> User:
        return self.cast.team_people[project.pm_team_id][0]

    def team_member(self, project: Project) -> User:
        people = self.cast.team_people[project.pm_team_id]
        return people[1] if len(people) > 1 else people[0]

    def committee_for(self, project: Project):
        return self.cast.field_committee[project.field_id]

    def chair(self, project: Project) -> User:
        return self.committee_for(project).chair

    def reviewers(self, project: Project, n: int = 3, *, usernames: list[str] | None = None) -> list[User]:
        """Reviewers of the project's committee the assignment rules allow (not from the performer)."""
        if usernames:
            return [self.user(u) for u in usernames]
        pool = self.cast.committee_reviewers[self.committee_for(project).pk]
        ok = [r for r in pool if r.organisation_id != project.performer_id and r.pk != project.lead_id]
        return ok[:n]

    # --- a gate from assignment to decision -----------------------------------------------------
    def gate_run(
        self,
        gate: GateReview,
        project: Project,
        recs: list[tuple[str, bool]],
        *,
        outcome: str | None,
        rationale: str = "",
        conditions: list[dict[str, Any]] | None = None,
        reviewers: list[User] | None = None,
        declared_only: int = 0,
    ) -> None:
        """Assign reviewers, open, declare, score (``recs``: (recommendation, champion) per scoring
        reviewer) and, with ``outcome``, decide. ``declared_only`` more reviewers declare but do not score."""
        chair = gate.chair
        people = reviewers or self.reviewers(project, len(recs) + declared_only)
        assignments = [gate_assign_reviewer(actor=chair, gate_id=gate.pk, reviewer_id=r) for r in people]
        gate_open(actor=chair, gate_id=gate.pk)
        criteria = list(GateCriterion.objects.filter(gate=gate).order_by("order", "pk"))
        for i, assignment in enumerate(assignments):
            reviewer = people[i]
            if i >= len(recs) + declared_only:
                break
            assignment_declare_conflict(actor=reviewer, assignment_id=assignment.pk, has_conflict=False)
            if i >= len(recs):
                continue
            rec, champion = recs[i]
            base = SCORE_BY_REC[rec] + (i % 3) * 2
            scores = {c.pk: (True if c.kind == GateCriterion.Kind.MUST else min(100, base)) for c in criteria}
            scorecard_submit(
                actor=reviewer,
                gate_id=gate.pk,
                scores=scores,
                recommendation=rec,
                champion=champion,
                comments=COMMENTS[Rec(rec)],
            )
        if outcome is not None:
            gate_decide(actor=chair, gate_id=gate.pk, outcome=outcome, rationale=rationale, conditions=conditions)

    # --- project steps --------------------------------------------------------------------------
    def create(self, key: str, field: str, title: str, team: str, lead: str, budget: int, start_offset: int) -> Project:
        """A draft project, with its baseline plan and a key task list, created by the team's lead."""
        policy = Policy.objects.order_by("effective_from").first()
        earliest = policy.effective_from if policy else dt.date(2025, 9, 26)
        latest_end = policy.effective_to if policy else dt.date(2030, 9, 25)
        start = max(earliest, self.today + dt.timedelta(days=start_offset))
        end = min(start + dt.timedelta(days=3 * 365), latest_end)
        team_row = next(t for t in self.cast.teams if t.code == team)
        actor = self.cast.team_people[team_row.pk][0]
        lead_user = self.user(lead)
        project = project_create(
            actor=actor,
            data={
                "title": title,
                "field": field,
                "pm_team": team,
                "performer": lead_user.organisation_id,
                "lead": lead,
                "budget": Decimal(budget),
                "support_mode": "direct_subsidy",
                "planned_start": start,
                "planned_end": end,
            },
        )
        plan_version_add(
            actor=actor,
            project_id=project.pk,
            objectives=f"实现“{title}”的阶段目标，完成关键技术攻关与应用验证。",
            scope=f"{title}：关键技术攻关、样机/样品研制、应用验证。",
            deliverables="阶段性技术报告；样机或样品；知识产权与标准。",
            budget_breakdown={"设备费": "0.35", "材料费": "0.25", "测试化验加工费": "0.15", "劳务费": "0.25"},
        )
        self.projects[key] = project
        return project

    def tasks(self, project: Project, *, started: bool) -> None:
        """The project's key task list: six tasks over the plan; running projects report progress."""
        actor = self.team_lead(project)
        task_list = task_list_create(
            actor=actor, pm_team_id=project.pm_team_id, title=f"{project.title}重点任务清单", project_id=project.pk
        )
        start = project.planned_start
        span = (project.planned_end - start).days
        for i, (category, title) in enumerate(TASKS):
            t_start = start + dt.timedelta(days=span * i // 12)
            t_due = t_start + dt.timedelta(days=120 + 30 * i)
            owner = project.lead_id if i % 2 else actor.pk
            task = task_create(
                actor=actor,
                task_list_id=task_list.pk,
                category_id=self.categories.get(category) or next(iter(self.categories.values())),
                title=title,
                start_date=t_start,
                due_date=t_due,
                weight=1 + i % 3,
                owner_id=owner,
            )
            if started and t_start <= self.today:
                elapsed = (self.today - t_start).days * 100 // max((t_due - t_start).days, 1)
                if i == 0 or elapsed >= 100:
                    task_update_progress(actor=actor, task_id=task.pk, progress=100, done_date=min(t_due, self.today))
                elif i == 3:
                    task_update_progress(actor=actor, task_id=task.pk, progress=max(0, elapsed - 30), blocked=True)
                else:
                    task_update_progress(actor=actor, task_id=task.pk, progress=max(5, min(95, elapsed + 5)))

    def screen(
        self,
        project: Project,
        recs: list[tuple[str, bool]],
        outcome: str | None,
        *,
        rationale: str = "",
        conditions: list[dict[str, Any]] | None = None,
        open_gate: bool = True,
        declared_only: int = 0,
        reviewers: list[User] | None = None,
    ) -> GateReview:
        """Submitted → screening gate scheduled by the committee chair → (optionally) run and decided."""
        chair = self.chair(project)
        project_submit(actor=self.team_lead(project), project_id=project.pk)
        gate = gate_schedule(
            actor=chair, project_id=project.pk, kind=GateKind.SCREENING, committee_id=self.committee_for(project).pk
        )
        if open_gate:
            self.gate_run(
                gate,
                project,
                recs,
                outcome=outcome,
                rationale=rationale,
                conditions=conditions,
                reviewers=reviewers,
                declared_only=declared_only,
            )
        return gate

    def approve(self, project: Project, *, activate: bool = True) -> None:
        self.screen(project, [(Rec.GO, False)] * 3, Out.GO)
        if activate:
            project_activate(actor=self.team_lead(project), project_id=project.pk)

    def award(self, project: Project, amount: Decimal | None = None) -> None:
        """The programme admin records the project's funding (it commits what tranches release)."""
        project.refresh_from_db()
        funding_award_add(
            actor=self.admin,
            project_id=project.pk,
            beneficiary_id=project.performer_id,
            measure_code="service_platform",
            amount=amount or project.budget,
            note="概念验证/中试平台支持，依据二（三）条款。",
        )

    def milestone(self, project: Project, seq: int) -> Milestone:
        return Milestone.objects.get(project=project, sequence=seq)

    def submit_milestone(self, project: Project, seq: int) -> GateReview:
        m = self.milestone(project, seq)
        actor = self.team_lead(project)
        if m.status == "planned":
            milestone_start(actor=actor, milestone_id=m.pk)
        _m, gate = milestone_submit(actor=actor, milestone_id=m.pk)
        return gate

    def pass_milestone(self, project: Project, seq: int, *, release: bool = True) -> None:
        gate = self.submit_milestone(project, seq)
        self.gate_run(gate, project, [(Rec.GO, False)] * 3, outcome=Out.GO)
        if release:
            tranche_release(actor=gate.chair, milestone_id=gate.milestone_id)

    def change(
        self,
        project: Project,
        kind: str,
        payload: dict[str, Any],
        reason: str,
        *,
        milestone: Milestone | None = None,
        until: str = "applied",
    ) -> None:
        """File, submit, approve and apply a change request, each by the role whose button it is;
        ``until`` stops at "submitted" or "approved"."""
        cr = change_request_create(
            actor=self.team_lead(project),
            project_id=project.pk,
            kind=kind,
            payload=payload,
            reason=reason,
            milestone_id=milestone.pk if milestone else None,
        )
        change_request_submit(actor=self.team_lead(project), change_request_id=cr.pk)
        if until == "submitted":
            return
        decider = self.chair(project)
        change_request_approve(actor=decider, change_request_id=cr.pk, note="同意。")
        if until == "approved":
            return
        state_kinds = {ChangeKind.SUSPEND, ChangeKind.RESUME, ChangeKind.TERMINATE}
        change_request_apply(actor=self.admin if kind in state_kinds else decider, change_request_id=cr.pk)


def _build(d: _Demo) -> None:
    today = d.today
    go3 = [(Rec.GO, False)] * 3
    for key, field, title, team, lead, budget, _state in CURATED_PROJECTS:
        # projects with a history started months ago; the rest start soon
        offset = {"qc": -150, "siph": -330, "cart": -400, "tok": -200, "synbio": -160, "bci": -170, "snn": -120}.get(key, 20)
        if key in ("tfln", "edit", "ga2o3", "humanoid", "rehab"):
            offset = -60
        d.create(key, field, title, team, lead, budget, offset)
    p = d.projects

    # Drafts: nothing more. Submitted, awaiting its screening gate.
    project_submit(actor=d.team_lead(p["sat"]), project_id=p["sat"].pk)

    # Screening open: reviewer1 assigned and undeclared, reviewer2 scored, reviewer3 declared.
    reviewers = [d.user(u) for u in ("reviewer2", "reviewer3", "reviewer1", "reviewer5")]
    d.screen(p["qnet"], [(Rec.GO, False)], None, reviewers=reviewers, declared_only=1)
    # Screening scheduled, reviewers not yet chosen.
    d.screen(p["strain"], [], None, open_gate=False)

    # Rejected at screening; non-consensus (split, with a champion); approved on the risk-controlled track.
    d.screen(p["diamond"], [(Rec.KILL, False)] * 3, Out.KILL, rationale="创新性不足，不予立项。")
    split = [(Rec.GO, True), (Rec.KILL, False), (Rec.HOLD, False)]
    nc_why = "专家意见分歧，支持专家力荐，转入非共识通道。"
    d.screen(p["wall"], split, Out.NON_CONSENSUS, rationale=nc_why)
    d.screen(p["islet"], split, Out.NON_CONSENSUS, rationale=nc_why)
    islet_lead = d.team_lead(p["islet"])
    non_consensus_approve(
        actor=d.chair(p["islet"]),
        project_id=p["islet"].pk,
        endorsement_by=islet_lead,
        endorsement="技术路线颠覆性强，团队愿以小额首笔资金、提前首个关口控制风险。",
    )
    # Approved (conditional go), not yet started.
    d.screen(
        p["hand"],
        [(Rec.CONDITIONAL_GO, False)] * 3,
        Out.CONDITIONAL_GO,
        conditions=[{"title": "补充量产工艺可行性报告", "due_date": today + dt.timedelta(days=60)}],
    )

    # Active, fresh: M1 planned for pm_chen to start.
    d.approve(p["thz"])
    d.award(p["thz"])  # funded: a tranche released from its M1 gate stays within what was committed
    d.tasks(p["thz"], started=False)

    # Active: M1 passed and released, M2 in progress, a reschedule of M2 submitted for chair_li.
    d.approve(p["qc"])
    d.award(p["qc"])
    d.pass_milestone(p["qc"], 1)
    m2 = d.milestone(p["qc"], 2)
    milestone_start(actor=d.team_lead(p["qc"]), milestone_id=m2.pk)
    d.change(
        p["qc"],
        ChangeKind.RESCHEDULE,
        {
            "new_due": add_workdays(m2.current_due, 15).isoformat(),
            # the final milestone is due on the project's end: the end moves with it
            "extend_end_to": add_workdays(p["qc"].planned_end, 20).isoformat(),
        },
        "关键设备（稀释制冷机）到货延期，申请顺延 M2 及后续里程碑十五个工作日，项目结束日相应延后。",
        milestone=m2,
        until="submitted",
    )
    d.tasks(p["qc"], started=True)

    # Active: routes converged, budget reallocated, M1 in progress.
    tfln = p["tfln"]
    d.approve(tfln)
    routes = [
        route_add(actor=d.team_lead(tfln), project_id=tfln.pk, name=name, family=f"tfln-{i}")
        for i, name in enumerate(["离子切片键合路线", "直接外延路线", "混合集成路线"])
    ]
    d.change(
        tfln,
        ChangeKind.CONVERGE_ROUTE,
        {
            "selected_route_id": routes[0].pk,
            "dropped": {str(r.pk): "比选测试显示该路线在成本与良率上不占优，相关数据已归档。" for r in routes[1:]},
        },
        "中期比选完成，收敛到离子切片键合路线。",
    )
    ms = list(Milestone.objects.filter(project=tfln).order_by("sequence"))
    shift = (ms[-1].tranche_amount * Decimal("0.10")).quantize(Decimal("0.01"))
    d.change(
        tfln,
        ChangeKind.REALLOCATE_BUDGET,
        {"tranches": {str(ms[0].pk): str(ms[0].tranche_amount + shift), str(ms[-1].pk): str(ms[-1].tranche_amount - shift)}},
        "工艺验证设备提前采购，资金前移。",
    )
    milestone_start(actor=d.team_lead(tfln), milestone_id=ms[0].pk)
    d.tasks(tfln, started=True)

    # Suspended through an approved change request (chair approves, admin applies).
    d.approve(p["snn"])
    milestone_start(actor=d.team_lead(p["snn"]), milestone_id=d.milestone(p["snn"], 1).pk)
    d.tasks(p["snn"], started=True)
    d.change(p["snn"], ChangeKind.SUSPEND, {}, "核心团队变动，暂停实施待重组。")

    # Active: M1 passed with conditions (condition tasks), M2 gate open with 2 of 3 scored.
    tok = p["tok"]
    d.approve(tok)
    d.tasks(tok, started=True)
    gate = d.submit_milestone(tok, 1)
    d.gate_run(
        gate,
        tok,
        [(Rec.CONDITIONAL_GO, False)] * 3,
        outcome=Out.CONDITIONAL_GO,
        conditions=[{"title": "补充第三方磁体失超保护测试报告", "due_date": today + dt.timedelta(days=45)}],
    )
    gate = d.submit_milestone(tok, 2)
    d.gate_run(gate, tok, [(Rec.GO, False), (Rec.GO, False)], outcome=None, declared_only=1)

    # Active: M1 submitted, its gate scheduled.
    d.approve(p["ga2o3"])
    d.tasks(p["ga2o3"], started=True)
    d.submit_milestone(p["ga2o3"], 1)

    # Closing: every milestone but the final passed and released; the final one submitted.
    siph = p["siph"]
    d.approve(siph)
    d.award(siph)
    n = Milestone.objects.filter(project=siph).count()
    for seq in range(1, n):
        d.pass_milestone(siph, seq)
    d.submit_milestone(siph, n)
    d.tasks(siph, started=True)

    # Closed: every milestone passed and released, the final gate closed the project.
    cart = p["cart"]
    d.approve(cart)
    d.award(cart)
    n = Milestone.objects.filter(project=cart).count()
    for seq in range(1, n + 1):
        d.pass_milestone(cart, seq)
    d.tasks(cart, started=True)

    # Active: M1 scoring closed, awaiting the chair's decision.
    edit = p["edit"]
    d.approve(edit)
    d.tasks(edit, started=True)
    gate = d.submit_milestone(edit, 1)
    d.gate_run(gate, edit, go3, outcome=None)
    gate_close(actor=gate.chair, gate_id=gate.pk)

    # Active: M1 passed and released, M2 on hold after its gate; the project lead changed.
    bci = p["bci"]
    d.approve(bci)
    d.award(bci)
    d.pass_milestone(bci, 1)
    gate = d.submit_milestone(bci, 2)
    d.gate_run(gate, bci, [(Rec.HOLD, False)] * 3, outcome=Out.HOLD)
    d.change(bci, ChangeKind.CHANGE_TEAM, {"lead_id": d.user("lead09").pk}, "原项目负责人调任，由课题副组长接任。")
    d.tasks(bci, started=True)

    # Terminated through an approved change request.
    d.approve(p["rehab"])
    d.tasks(p["rehab"], started=True)
    d.change(p["rehab"], ChangeKind.TERMINATE, {}, "阶段评估显示关键技术指标难以按期实现，申请终止。")

    # Active: M1 passed and released, M2 in progress, M3 rescoped.
    synbio = p["synbio"]
    d.approve(synbio)
    d.award(synbio)
    d.pass_milestone(synbio, 1)
    milestone_start(actor=d.team_lead(synbio), milestone_id=d.milestone(synbio, 2).pk)
    d.change(
        synbio,
        ChangeKind.RESCOPE,
        {"deliverables": "千升级发酵中试数据；两种高值化学品公斤级样品；用户现场验证报告。"},
        "根据中期进展与专家意见增加用户现场验证。",
        milestone=d.milestone(synbio, 3),
    )
    d.tasks(synbio, started=True)

    # Active: M1 in progress; two awards to one beneficiary (从优、就高、不重复: the higher supersedes).
    humanoid = p["humanoid"]
    d.approve(humanoid)
    milestone_start(actor=d.team_lead(humanoid), milestone_id=d.milestone(humanoid, 1).pk)
    for amount, base in ((Decimal("12000000"), Decimal("40000000")), (Decimal("18000000"), Decimal("60000000"))):
        funding_award_add(
            actor=d.admin,
            project_id=humanoid.pk,
            beneficiary_id=humanoid.performer_id,
            measure_code="first_of_kind",
            amount=amount,
            base_amount=base,
            note=f"首台套合同金额{base / 10000:.0f}万元，按30%且不超过2000万元给予支持。",
        )
    d.tasks(humanoid, started=True)

    # Team-level key task lists (not tied to one project).
    for team in d.cast.teams:
        lead = d.cast.team_people[team.pk][0]
        tl = task_list_create(actor=lead, pm_team_id=team.pk, title=f"{team.name}年度重点任务清单")
        for i, (category, title) in enumerate(TASKS):
            t_start = today - dt.timedelta(days=30 + 20 * i)
            task = task_create(
                actor=lead,
                task_list_id=tl.pk,
                category_id=d.categories.get(category) or next(iter(d.categories.values())),
                title=title,
                start_date=t_start,
                due_date=today + dt.timedelta(days=-10 + 40 * i),
                owner_id=d.cast.team_people[team.pk][i % len(d.cast.team_people[team.pk])].pk,
            )
            if i % 2 == 0:
                task_update_progress(actor=lead, task_id=task.pk, progress=min(100, 30 + 25 * i))


def curated_seed(*, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Build the curated demo through the services. Precondition: reference data loaded, no projects."""
    say = progress or (lambda _msg: None)
    with transaction.atomic():
        cast = cast_ensure()
        say(f"people: {len(cast.users)} users")
        demo = _Demo(
            cast=cast,
            today=timezone.localdate(),
            admin=cast.users["sstc_admin"],
            categories=dict(TaskCategory.objects.values_list("code", "pk")),
            projects={},
        )
        _build(demo)
    say("recalculating task status, roll-ups and health")
    task_statuses_recalculate()
    counts = {
        "project": Project.objects.count(),
        "milestone": Milestone.objects.count(),
        "gatereview": GateReview.objects.count(),
        "reviewerassignment": ReviewerAssignment.objects.count(),
        "keytasklist": KeyTaskList.objects.count(),
        "user": len(cast.users),
    }
    return counts
