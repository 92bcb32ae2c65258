"""Browser journey (issue 12): screening, from the seeded demo, by clicks only.

pm_chen drafts a project and submits it; the programme admin clicks through to it, schedules the
screening gate (committee, criteria prefilled from the template, a working-day due date) and assigns
four reviewers in bulk, seeing each one's open load and a conflict flag before saving; chair_li opens
the gate; the reviewers declare (one recuses) and score; chair_li closes scoring and decides 通过;
pm_chen sees the project approved with its milestones created and starts it (启动实施).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.web.journeys import JOURNEY_MARKS, Journey, browser, demo  # noqa: F401  (fixtures)

pytestmark = JOURNEY_MARKS

TITLE = "旅程测试：类脑芯片立项筛选"


def _performer_with_a_committee_member(field_code: str) -> str:
    """Read-only: an organisation that one member of a committee covering ``field_code`` belongs to,
    so that the assignment page has a conflict to flag (the demo's reviewers come from universities)."""
    from milestones.models import Committee

    committee = Committee.objects.filter(fields__code=field_code).order_by("name").first()
    orgs = Counter(committee.members.exclude(organisation=None).values_list("organisation__name", flat=True))
    # one conflicted member only, so that four others remain to be assigned
    return sorted(name for name, n in orgs.items() if n == 1)[0]


def _row(page, title: str):
    return page.locator("tr.gate-row", has_text=title).first


def _reviewer_declares_and_scores(j: Journey, username: str, *, recuse: bool = False) -> None:
    page = j.as_user(username)
    j.click_nav(page, "评审任务")
    j.click(page, _row(page, TITLE).locator("a").first)
    page.locator("#conflict-declaration").wait_for()
    if recuse:
        page.check("input[name=has_conflict][value=yes]")
        page.fill("#id_note", "曾与承担单位合作")
        j.click_button(page, "提交声明")
        assert page.locator("#recused").is_visible()
        return
    page.check("input[name=has_conflict][value=no]")
    j.click_button(page, "提交声明")
    form = page.locator("#scorecard-form")
    for select in form.locator("select[name^=must_]").all():
        select.select_option("pass")
    for number in form.locator("input[name^=score_]").all():
        number.fill("85")
    page.select_option("#id_recommendation", "go")
    page.fill("#id_comments", "技术路线清晰，团队能力强。")
    j.click(page, form.get_by_role("button", name="提交评分"))
    assert "已提交" in page.locator("#scorecard").inner_text()


@pytest.mark.timeout(900)  # seeding the demo alone takes minutes on a busy machine
def test_screening_scheduled_assigned_scored_and_decided_by_clicks(browser, demo, live_server):  # noqa: F811
    from milestones.models import GateReview, ReviewerAssignment
    from projects.models import Project

    j = Journey(browser, live_server)
    try:
        # 1. pm_chen drafts a project through the create form and submits it
        pm = j.as_user("pm_chen")
        j.click_nav(pm, "项目")
        j.click_link(pm, "新建项目")
        fields = [v for v in pm.locator("#id_field option").evaluate_all("os => os.map(o => o.value)") if v]
        field = "brain_inspired_intelligence" if "brain_inspired_intelligence" in fields else fields[0]
        pm.fill("#id_title", TITLE)
        pm.select_option("#id_field", field)
        pm.select_option("#id_performer", label=_performer_with_a_committee_member(field))
        pm.select_option("#id_lead", index=1)
        pm.fill("#id_budget", "800")
        pm.fill("#id_planned_start", "2026-03-02")
        pm.fill("#id_planned_end", "2028-06-30")
        j.click_button(pm, "保存草稿")
        j.click(pm, pm.locator("#project-actions form[data-transition=submit] button"))
        assert pm.locator("#project-state").get_attribute("data-state") == "submitted"
        assert pm.locator("#schedule-screening").count() == 0  # not pm_chen's button unless the admin allows

        # 2. the admin finds it, schedules the screening gate and assigns four reviewers in bulk
        admin = j.as_user("admin")
        j.click_nav(admin, "项目")
        j.click_link(admin, TITLE)
        j.click(admin, admin.locator("#schedule-screening"))
        assert admin.locator("#id_due_date").get_attribute("type") == "date"
        assert re.search(r"距今 \d+ 个工作日", admin.locator("#due-workdays").inner_text())
        titles = admin.locator("#criteria input[name$='-title']").evaluate_all("xs => xs.map(x => x.value)")
        assert "颠覆性与创新价值" in titles  # prefilled from the screening template
        admin.select_option("#id_committee", index=1)
        admin.fill("#criteria input[name='criteria-5-title']", "应用场景与市场验证")
        admin.select_option("#criteria select[name='criteria-5-kind']", "should")
        admin.fill("#criteria input[name='criteria-5-weight']", "10")
        j.shot(admin, "03-schedule-screening")
        j.click_button(admin, "安排评审并进入筛选")

        table = admin.locator("#reviewer-candidates")
        assert table.locator(".conflict-flag").count() >= 1  # shown before saving
        assert "来自项目承担单位" in table.inner_text()
        assert table.locator("td[data-load]").count() >= 5  # each member's open load beside the name
        boxes = table.locator("input[name=reviewers]:not([disabled])")
        assert boxes.count() >= 4
        for i in range(boxes.count()):
            boxes.nth(i).uncheck()
        chosen = []
        for i in range(4):
            boxes.nth(i).check()
            chosen.append(boxes.nth(i).evaluate("e => e.closest('tr').dataset.reviewer"))
        j.shot(admin, "04-assign-reviewers")
        j.click_button(admin, "确认分配")
        assert admin.locator("#gate-status").inner_text() == "已安排"

        project = Project.objects.get(title=TITLE)
        gate = GateReview.objects.get(project=project, kind="screening")
        assert project.status == "screening"
        assert sorted(ReviewerAssignment.objects.filter(gate=gate).values_list("reviewer__username", flat=True)) == sorted(chosen)

        # 3. chair_li opens it from the gate page
        assert gate.chair.username == "chair_li"
        chair = j.as_user("chair_li")
        j.click_nav(chair, "关口评审")
        j.click(chair, _row(chair, TITLE).locator("a").first)
        j.click_button(chair, "开始评审")
        assert chair.locator("#gate-status").inner_text() == "评审中"

        # 4. the reviewers declare (the last one recuses) and score
        for username in chosen[:3]:
            _reviewer_declares_and_scores(j, username)
        _reviewer_declares_and_scores(j, chosen[3], recuse=True)

        # 5. the chair closes scoring and decides 通过
        j.click_nav(chair, "关口评审")
        j.click(chair, _row(chair, TITLE).locator("a").first)
        j.click_button(chair, "截止评分")
        assert chair.locator("#gate-status").inner_text() == "评分已截止"
        outcome = chair.locator("[name=outcome]")
        if outcome.first.evaluate("e => e.tagName") == "SELECT":
            outcome.first.select_option("go")
        else:
            chair.check("input[name=outcome][value=go]")
        j.click_button(chair, "记录决定")
        assert "通过" in chair.locator("#decision-outcome").inner_text()

        # 6. pm_chen sees the project approved with its milestones
        j.click_nav(pm, "项目")
        j.click_link(pm, TITLE)
        assert pm.locator("#project-state").get_attribute("data-state") == "approved"
        assert pm.locator("#milestone-table tbody tr").count() >= 2
        project.refresh_from_db()
        assert project.status == "approved" and project.milestones.count() >= 2

        # 7. …and starts it from the next-step panel (启动实施): an active project with its milestones
        j.click(pm, pm.locator("#next-step-activate"))
        assert pm.locator("#project-state").get_attribute("data-state") == "active"
        project.refresh_from_db()
        assert project.status == "active"
    finally:
        j.close()
