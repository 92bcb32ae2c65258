"""Browser journeys (issue 12): the reviewers' and the chair's lists by urgency and the chair's
decision page, from the seeded demo, by clicks only.

1. reviewer1 lands on "需要我处理" (needs my action), opens the open screening gate waiting for their
   declaration, declares no conflict and scores; a second reviewer of that gate scores too (quorum).
   chair_li's gate list opens on "需要我处理"; the gate, still waiting on a reviewer, is under
   "进行中"; closing scoring names the outstanding reviewer and needs a confirmation; the decision
   form offers 有条件通过, the chair decides it with two conditions (date inputs) and the decided gate
   lists them with their task status. Then, from "需要我处理" again, the chair approves the demo's
   non-consensus project with the PM lead's endorsement.
2. In English: chair_wang decides a closed milestone gate from "Needs my action"; the outcomes the
   gate does not allow are listed with the reason.
"""

from __future__ import annotations

import datetime as dt

from tests.web.journeys import JOURNEY_MARKS, Journey, browser, demo  # noqa: F401  (fixtures)

pytestmark = JOURNEY_MARKS


def _active_tab(page) -> str:
    return page.locator("#urgency-tabs a.active").get_attribute("data-tab")


def _score(j: Journey, page, *, recommendation: str) -> None:
    form = page.locator("#scorecard-form")
    for select in form.locator("select[name^=must_]").all():
        select.select_option("pass")
    for number in form.locator("input[name^=score_]").all():
        number.fill("78")
    page.select_option("#id_recommendation", recommendation)
    page.fill("#id_comments", "方向可行，需补充中试验证。")
    j.click(page, form.get_by_role("button", name="提交评分"))
    assert "已提交" in page.locator("#scorecard").inner_text()


def _second_reviewer(project_code: str, first: str) -> str:
    """Read-only: another reviewer of the gate who has declared no conflict and not scored yet."""
    from milestones.models import ReviewerAssignment

    return (
        ReviewerAssignment.objects.filter(
            gate__project__code=project_code, gate__status="open", has_conflict=False, scorecard__isnull=True
        )
        .exclude(reviewer__username=first)
        .order_by("id")
        .values_list("reviewer__username", flat=True)
        .first()
    )


def test_reviewer_scores_from_needs_my_action_and_the_chair_decides_with_conditions(browser, demo, live_server):  # noqa: F811
    from milestones.models import GateDecision
    from projects.models import Project, Task

    j = Journey(browser, live_server)
    try:
        # 1. reviewer1: the inbox opens on "needs my action"; the gate waiting for the declaration
        rev = j.as_user("reviewer1")
        j.click_nav(rev, "评审任务")
        assert _active_tab(rev) == "action"
        row = rev.locator("#reviewer-inbox tr.gate-row", has_text="待声明利益冲突").first
        code = row.locator("td strong").first.inner_text()
        j.shot(rev, "05-reviewer-needs-my-action")
        j.click(rev, row.get_by_role("link", name="去声明"))
        rev.check("input[name=has_conflict][value=no]")
        j.click_button(rev, "提交声明")
        _score(j, rev, recommendation="conditional_go")
        # done for this reviewer: the gate leaves "needs my action"
        j.click_nav(rev, "评审任务")
        assert rev.locator("#reviewer-inbox tr.gate-row", has_text=code).count() == 0
        j.click(rev, rev.locator("#urgency-tabs a[data-tab=progress]"))
        assert rev.locator("#reviewer-inbox tr.gate-row", has_text=code).count() == 1

        # 2. a second reviewer of the gate scores it from their own "needs my action"
        other = _second_reviewer(code, "reviewer1")
        assert other, "the demo's open screening gate has no second reviewer left to score"
        rev2 = j.as_user(other)
        j.click_nav(rev2, "评审任务")
        j.click(rev2, rev2.locator("#reviewer-inbox tr.gate-row", has_text=code).get_by_role("link", name="去评分"))
        _score(j, rev2, recommendation="conditional_go")

        # 3. chair_li: the list opens on "needs my action"; the gate still waits on a reviewer
        chair = j.as_user("chair_li")
        j.click_nav(chair, "关口评审")
        assert _active_tab(chair) == "action"
        assert chair.locator("#chair-gates tr.gate-row", has_text=code).count() == 0
        j.shot(chair, "11-chair-needs-my-action")
        j.click(chair, chair.locator("#urgency-tabs a[data-tab=progress]"))
        j.click(chair, chair.locator("#chair-gates tr.gate-row", has_text=code).get_by_role("link"))

        # 4. closing scoring names who is still out and asks for a confirmation
        warning = chair.locator("#outstanding-reviewers")
        assert "未声明利益冲突" in warning.inner_text()
        j.shot(chair, "08-chair-close-warning")
        # the tick is required (the browser asks for it; the server refuses without it: test_chair_pages)
        assert chair.locator("input[name=confirm_outstanding]").get_attribute("required") is not None
        chair.check("input[name=confirm_outstanding]")
        j.click_button(chair, "截止评分")
        assert chair.locator("#gate-status").inner_text() == "评分已截止"

        # 5. the decision form offers 有条件通过; two conditions become tasks listed on the gate
        offered = chair.locator("select[name=outcome] option").evaluate_all("os => os.map(o => o.value)")
        assert "conditional_go" in offered and "recycle" not in offered
        assert "返工重审" in chair.locator("#outcomes-not-offered").inner_text()
        chair.select_option("select[name=outcome]", "conditional_go")
        chair.fill("#id_rationale", "专家总体认可，需补充验证后推进。")
        assert chair.locator("#id_condition_due_1").get_attribute("type") == "date"
        due1 = dt.date.today() + dt.timedelta(days=30)
        due2 = dt.date.today() + dt.timedelta(days=60)
        chair.fill("#id_condition_title_1", "补充第三方测试报告")
        chair.fill("#id_condition_due_1", due1.isoformat())
        chair.fill("#id_condition_title_2", "完成中试线方案评审")
        chair.fill("#id_condition_due_2", due2.isoformat())
        j.shot(chair, "09-chair-decide-with-conditions")
        j.click_button(chair, "记录决定")
        assert chair.locator("#decision-outcome").inner_text() == "有条件通过"
        conditions = chair.locator("#decision-conditions")
        assert conditions.locator("tr.condition-row").count() == 2
        text = conditions.inner_text()
        assert "补充第三方测试报告" in text and due2.isoformat() in text and "未开始" in text
        j.shot(chair, "10-decided-with-conditions")

        # 6. the non-consensus project waiting in "needs my action": approved with the PM lead's endorsement
        j.click_nav(chair, "关口评审")
        nc_row = chair.locator("#chair-gates tr.gate-row", has_text="待批准非共识项目").first
        nc_code = nc_row.locator("td strong").first.inner_text()
        j.click(chair, nc_row.get_by_role("link", name="去批准"))
        chair.fill("#id_endorsement", "项目经理团队背书：按风险可控方案推进。")
        j.click_button(chair, "批准立项（非共识）")
        assert chair.locator("#non-consensus-approved").is_visible()
        j.shot(chair, "12-non-consensus-approval")

        decision = GateDecision.objects.get(gate__project__code=code, gate__kind="screening")
        assert decision.outcome == "conditional_go"
        assert sorted(Task.objects.filter(gate_decision=decision).values_list("title", flat=True)) == [
            "完成中试线方案评审",
            "补充第三方测试报告",
        ]
        assert Project.objects.get(code=code).status == "approved"
        assert Project.objects.get(code=nc_code).status == "approved"
    finally:
        j.close()


def test_chair_decides_in_english_from_needs_my_action(browser, demo, live_server):  # noqa: F811
    from milestones.models import GateDecision

    j = Journey(browser, live_server, lang="en")
    try:
        chair = j.as_user("chair_wang")
        j.click_nav(chair, "Gate reviews")
        assert _active_tab(chair) == "action"
        assert "Needs my action" in chair.locator("#urgency-tabs").inner_text()
        j.click(chair, chair.locator("#chair-gates tr.gate-row").get_by_role("link", name="Decide").first)
        assert chair.locator("#gate-status").inner_text() == "Scoring closed"
        form = chair.locator("#decision-form")
        assert "The computed outcome is" in form.inner_text()
        not_offered = chair.locator("#outcomes-not-offered").inner_text()
        assert "These decisions are not available now:" in not_offered
        assert "does not apply" in not_offered  # non-consensus: screening gates only
        chair.select_option("select[name=outcome]", "go")
        j.shot(chair, "23-chair-decide-en")
        j.click_button(chair, "Record decision")
        assert chair.locator("#decision").is_visible()
        assert chair.locator("#gate-status").inner_text() != "Scoring closed"
        assert 'id="decision-form"' not in chair.content()
        assert GateDecision.objects.filter(gate__chair__username="chair_wang", decided_by__username="chair_wang").exists()
    finally:
        j.close()
