"""Browser journeys (issue 12): a project's life after approval, from the seeded demo, by clicks only
(the login page is the one URL typed; ORM reads only for the final checks).

1. A milestone through its gate to a released tranche — on the demo's fresh active project whose M1
   is planned (“6G太赫兹通信原型系统”, pm_chen's team): pm_chen starts M1; the project lead attaches a
   test report; pm_chen submits M1 (the confirmation lists the report) and its gate is scheduled; the
   programme admin opens the gate from the milestone page and assigns four reviewers in bulk; chair_li
   opens the gate from "needs my action"; three reviewers declare and score (the first opens the
   report from the scorecard page), the fourth recuses; chair_li closes scoring, decides 通过 and
   releases the tranche from the milestone page; pm_chen sees M1 passed and the tranche released in
   the project's funding section; the project lead marks a key task done on the task board.
2. The final gate closes the project, and a suspended project resumes — on the demo's project in
   acceptance (“硅光高速光模块工程化”, 验收中: every milestone passed but the final one, submitted):
   the admin assigns the final gate's reviewers, chair_li opens it, the reviewers score, chair_li
   decides 通过 and the project is closed (验收中 → 已结题); chair_li releases the final tranche.
   Then pm_chen files 恢复项目 for the demo's suspended project (“类脑芯片与脉冲神经网络平台”) from
   its project page; sstc_admin approves and applies it; the project is active again.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command

from tests.web.evidence_world import PDF
from tests.web.journeys import JOURNEY_MARKS, Journey, browser, demo  # noqa: F401  (fixtures)

pytestmark = JOURNEY_MARKS

THZ = "6G太赫兹通信原型系统"  # active, M1 planned (milestones/demo/curated.py WAITING["thz"])
SIPH = "硅光高速光模块工程化"  # closing: the final milestone submitted, its gate scheduled
SNN = "类脑芯片与脉冲神经网络平台"  # suspended through an applied change request


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _open_project(j: Journey, page: Any, title: str) -> str:
    """From the top bar's project list, the project by its title; returns its code."""
    nav = page.locator("nav.mainnav")
    j.click_nav(page, "我的项目" if nav.get_by_role("link", name="我的项目", exact=True).count() else "项目")
    row = page.locator("tr.project-row", has_text=title).first
    code = row.locator("td.mono a").inner_text().strip()
    j.click(page, row.locator("td.mono a"))
    return code


def _open_milestone(j: Journey, page: Any, state: str | None = None, *, final: bool = False) -> str:
    rows = page.locator("#milestone-table tbody tr")
    if state:
        rows = rows.filter(has=page.locator(f".badge.state-{state}"))
    if final:
        rows = rows.filter(has_text="最终验收")
    row = rows.first
    title = row.locator("a.milestone-link").inner_text().strip()
    j.click(page, row.locator("a.milestone-link"))
    return title


def _assign_reviewers(j: Journey, admin: Any, n: int = 4) -> list[str]:
    """On the gate page: 分配评审专家 → tick ``n`` assignable members (load shown beside each) → 确认分配."""
    j.click(admin, admin.locator("#assign-reviewers"))
    table = admin.locator("#reviewer-candidates")
    assert table.locator("td[data-load]").count() >= n
    boxes = table.locator("input[name=reviewers]:not([disabled])")
    assert boxes.count() >= n, table.inner_text()
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    chosen = []
    for i in range(n):
        boxes.nth(i).check()
        chosen.append(boxes.nth(i).evaluate("e => e.closest('tr').dataset.reviewer"))
    return chosen


def _chair_opens(j: Journey, chair: Any, code: str) -> None:
    j.click_nav(chair, "关口评审")
    row = chair.locator("#chair-gates tr.gate-row", has_text=code).first
    j.click(chair, row.get_by_role("link", name="去开始评审"))
    j.click_button(chair, "开始评审")
    assert chair.locator("#gate-status").inner_text() == "评审中"


def _reviewer_gate(j: Journey, page: Any, code: str) -> None:
    j.click_nav(page, "评审任务")
    j.click(page, page.locator("#reviewer-inbox tr.gate-row", has_text=code).get_by_role("link", name="去声明").first)


def _declare_and_score(j: Journey, page: Any, *, evidence: str | None = None, shot: str | None = None) -> None:
    page.check("input[name=has_conflict][value=no]")
    j.click_button(page, "提交声明")
    if evidence:  # the project lead's report, opened from the scorecard page (an attachment)
        link = page.locator("#gate-evidence a.evidence-link", has_text=evidence)
        with page.expect_download() as download:
            link.click()
        with open(download.value.path(), "rb") as fh:
            assert fh.read() == PDF
    if shot:
        page.evaluate("window.scrollTo(0, 0)")  # the gate, the milestone and its evidence
        j.shot(page, shot)
    form = page.locator("#scorecard-form")
    for select in form.locator("select[name^=must_]").all():
        select.select_option("pass")
    for number in form.locator("input[name^=score_]").all():
        number.fill("86")
    page.select_option("#id_recommendation", "go")
    page.fill("#id_comments", "阶段目标达成，佐证材料完整，建议通过。")
    j.click(page, form.get_by_role("button", name="提交评分"))
    assert "已提交" in page.locator("#scorecard").inner_text()


def _recuse(j: Journey, page: Any, *, shot: str | None = None) -> None:
    page.check("input[name=has_conflict][value=yes]")
    page.fill("#id_note", "近三年与承担单位有合作项目")
    j.click_button(page, "提交声明")
    assert page.locator("#recused").is_visible()
    if shot:
        j.shot(page, shot)


def _chair_closes_and_decides_go(j: Journey, chair: Any, code: str, *, shot: str | None = None) -> None:
    j.click_nav(chair, "关口评审")
    j.click(chair, chair.locator("#chair-gates tr.gate-row", has_text=code).get_by_role("link", name="去截止评分").first)
    assert chair.locator("#outstanding-reviewers").count() == 0  # everyone declared; the scorers scored
    j.click_button(chair, "截止评分")
    assert chair.locator("#gate-status").inner_text() == "评分已截止"
    assert chair.locator("#computed-outcome-value").inner_text() == "通过"
    chair.select_option("select[name=outcome]", "go")
    chair.fill("#id_rationale", "专家一致认可，同意通过。")
    if shot:
        j.shot(chair, shot)
    j.click_button(chair, "记录决定")
    assert chair.locator("#decision-outcome").inner_text() == "通过"


def _chair_releases(j: Journey, chair: Any, title: str, *, final: bool = False, shot: str | None = None) -> None:
    """The chair of the gate: 项目 → the project → the passed milestone → 拨付资金."""
    _open_project(j, chair, title)
    _open_milestone(j, chair, "passed", final=final)
    button = chair.locator("#milestone-release")
    assert "拨付资金" in button.inner_text()
    if shot:
        j.shot(chair, shot)
    j.click(chair, button)
    assert "已拨付" in chair.locator("#messages").inner_text()
    assert chair.locator("#milestone-release").count() == 0


@pytest.mark.timeout(900)
def test_milestone_started_evidenced_gated_passed_and_tranche_released(browser, demo, live_server, media):  # noqa: F811
    from milestones.models import Evidence, GateReview, ReviewerAssignment, TrancheRelease
    from projects.models import Project

    j = Journey(browser, live_server)
    try:
        # 1. pm_chen: the project → its planned M1 → 开始
        pm = j.as_user("pm_chen")
        code = _open_project(j, pm, THZ)
        j.shot(pm, "13-project-next-step-start")
        m_title = _open_milestone(j, pm, "planned")
        j.click(pm, pm.locator("#milestone-start"))
        assert pm.locator("#milestone-state").get_attribute("data-state") == "in_progress"

        # 2. the project lead: 我的项目 → the project → M1 → 上传佐证材料
        # read-only: who leads the project, to log in as them (the page shows the name, not the login)
        lead_name = Project.objects.values_list("lead__username", flat=True).get(code=code)
        lead = j.as_user(lead_name)
        _open_project(j, lead, THZ)
        j.click(lead, lead.locator("a.milestone-link", has_text=m_title).first)
        lead.locator("#evidence-upload summary").click()
        lead.fill("#id_title", "M1 原型系统第三方测试报告")
        lead.select_option("#id_kind", "test_result")
        lead.set_input_files("#id_file", files=[{"name": "m1-test.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        j.click(lead, lead.locator("#evidence-submit"))
        assert lead.locator(".evidence-row", has_text="M1 原型系统第三方测试报告").count() == 1
        j.shot(lead, "14-milestone-evidence")

        # 3. pm_chen: 提交关口评审 → the confirmation lists the report → 确认: the gate is scheduled
        pm.reload()
        j.click(pm, pm.locator("#milestone-submit"))
        assert pm.locator(".evidence-row", has_text="M1 原型系统第三方测试报告").count() == 1
        j.shot(pm, "15-milestone-submit")
        j.click(pm, pm.locator("#milestone-submit-confirm"))
        assert pm.locator("#milestone-state").get_attribute("data-state") == "submitted"
        assert pm.locator("#gate-table .gate-row").count() == 1

        # 4. the programme admin: the project → M1 → its gate → 分配评审专家 (four, in one go)
        admin = j.as_user("admin")
        _open_project(j, admin, THZ)
        _open_milestone(j, admin, "submitted")
        j.click(admin, admin.locator("#gate-table a.gate-link").first)
        chosen = _assign_reviewers(j, admin)
        j.click(admin, admin.locator("#assign-submit"))
        assert admin.locator("#gate-status").inner_text() == "已安排"

        # 5. chair_li opens it from "needs my action"
        chair = j.as_user("chair_li")
        _chair_opens(j, chair, code)

        # 6. three reviewers declare and score (the first opens the lead's report), the fourth recuses
        for i, username in enumerate(chosen):
            page = j.as_user(username)
            _reviewer_gate(j, page, code)
            if i == 3:
                _recuse(j, page, shot="07-reviewer-recused")
            else:
                _declare_and_score(
                    j,
                    page,
                    evidence="M1 原型系统第三方测试报告" if i == 0 else None,
                    shot="06-reviewer-scorecard-evidence" if i == 0 else None,
                )

        # 7. chair_li closes scoring, decides 通过, and releases M1's tranche from the milestone page
        _chair_closes_and_decides_go(j, chair, code)
        _chair_releases(j, chair, THZ, shot="16-release-tranche")

        # 8. pm_chen: M1 passed, its tranche released in the funding section
        _open_project(j, pm, THZ)
        row = pm.locator("#milestone-table tbody tr", has=pm.locator("a.milestone-link", has_text=m_title))
        assert row.locator(".badge.state-passed").count() == 1
        tranche = pm.locator("#tranche-table tbody tr", has_text=m_title)
        assert "已拨付" in tranche.inner_text()
        pm.locator("#funding").scroll_into_view_if_needed()
        j.shot(pm, "17-tranche-released")

        # 9. the project lead: the key task list from the project page → progress reported in place (htmx)
        _open_project(j, lead, THZ)
        j.click(lead, lead.locator("#tasks table a").first)
        row = lead.locator("tr.task", has=lead.locator("form.task-progress-form")).first
        row_id = row.get_attribute("id")
        row.locator("input[name=progress]").fill("40")
        row.get_by_role("button", name="更新", exact=True).click()
        lead.locator(f"#{row_id} .pct", has_text="40%").wait_for()  # the row swapped in place, no reload
        j.shot(lead, "18-task-board")
    finally:
        j.close()

    gate = GateReview.objects.get(project__code=code, milestone__title=m_title)
    assert gate.status == "decided" and gate.decision.outcome == "go"
    assert sorted(ReviewerAssignment.objects.filter(gate=gate).values_list("reviewer__username", flat=True)) == sorted(chosen)
    assert ReviewerAssignment.objects.get(gate=gate, reviewer__username=chosen[3]).has_conflict is True
    assert gate.milestone.status == "passed"
    assert TrancheRelease.objects.get(milestone=gate.milestone).released_by.username == "chair_li"
    assert Evidence.objects.get(milestone=gate.milestone).uploaded_by.username == lead_name
    # What the clicks made still obeys the rules (released ≤ committed, working-day dates, …).
    call_command("check_portfolio", stdout=io.StringIO())


@pytest.mark.timeout(900)
def test_final_gate_closes_the_project_and_a_suspended_project_resumes(browser, demo, live_server):  # noqa: F811
    from milestones.models import ChangeRequest, TrancheRelease
    from projects.models import Project

    j = Journey(browser, live_server)
    try:
        # 1. pm_chen: the project in acceptance, its final milestone submitted
        pm = j.as_user("pm_chen")
        code = _open_project(j, pm, SIPH)
        assert pm.locator("#project-state").get_attribute("data-state") == "closing"
        _open_milestone(j, pm, "submitted", final=True)

        # 2. the admin assigns the final gate's reviewers; chair_li opens it; three score
        admin = j.as_user("admin")
        _open_project(j, admin, SIPH)
        _open_milestone(j, admin, "submitted", final=True)
        j.click(admin, admin.locator("#gate-table a.gate-link").first)
        chosen = _assign_reviewers(j, admin, n=3)
        j.click(admin, admin.locator("#assign-submit"))
        chair = j.as_user("chair_li")
        _chair_opens(j, chair, code)
        for username in chosen:
            page = j.as_user(username)
            _reviewer_gate(j, page, code)
            _declare_and_score(j, page)

        # 3. chair_li decides 通过: the project is closed; the final tranche released
        _chair_closes_and_decides_go(j, chair, code)
        assert chair.locator("#project-status").inner_text() == "已结题"
        j.shot(chair, "21-final-gate-decided")
        _chair_releases(j, chair, SIPH, final=True)

        # 4. pm_chen sees the project closed
        _open_project(j, pm, SIPH)
        assert pm.locator("#project-state").get_attribute("data-state") == "closed"
        j.shot(pm, "22-project-closed")

        # 5. pm_chen files 恢复项目 for the suspended project; sstc_admin approves and applies it
        snn_code = _open_project(j, pm, SNN)
        assert pm.locator("#project-state").get_attribute("data-state") == "suspended"
        j.click(pm, pm.locator("#new-change-request"))
        j.click(pm, pm.locator("#change-kinds").get_by_role("link", name="恢复项目", exact=True))
        pm.fill("#id_reason", "核心团队重组完成，申请恢复实施。")
        j.click(pm, pm.locator("#preview-button"))
        assert pm.locator("#form-errors").count() == 0
        j.click(pm, pm.locator("#submit-button"))
        assert pm.locator("#cr-status").inner_text() == "已提交"
        cr_heading = pm.locator("h1").inner_text()

        sstc = j.as_user("sstc_admin")
        j.click_nav(sstc, "变更申请")
        number = re.search(r"#(\d+)", cr_heading).group(1)
        j.click(sstc, sstc.locator("#change-requests").get_by_role("link", name=f"#{number}", exact=True))
        sstc.locator(f"#cr-actions form[action$='/{number}/approve/'] input[name=note]").fill("同意恢复。")
        j.click(sstc, sstc.locator("#cr-actions button[value=approve]"))
        assert sstc.locator("#cr-status").inner_text() == "已批准"
        j.click(sstc, sstc.locator("#cr-actions button[value=apply]"))
        assert sstc.locator("#cr-status").inner_text() == "已执行"

        _open_project(j, pm, SNN)
        assert pm.locator("#project-state").get_attribute("data-state") == "active"
    finally:
        j.close()

    project = Project.objects.get(code=code)
    assert project.status == "closed"
    final = project.milestones.get(is_final=True)
    assert final.status == "passed" and TrancheRelease.objects.filter(milestone=final).exists()
    assert Project.objects.get(code=snn_code).status == "active"
    cr = ChangeRequest.objects.get(project__code=snn_code, kind="resume")
    assert cr.status == "applied"
