"""Browser journey (issue 12): from the seeded demo, the PM lead drafts a project by clicking what the
pages show (only his team's fields offered, budget in 万元), the next-step panel tells him to submit,
he submits, and the panel says what waits and on whom; a project lead sees his project's next step."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.web.journeys import JOURNEY_MARKS, Journey, browser, demo  # noqa: F401  (fixtures)

pytestmark = JOURNEY_MARKS


def test_pm_drafts_and_submits_a_project_guided_by_the_next_step_panel(browser, demo, live_server):  # noqa: F811
    from pmflow.models import User
    from projects.models import Field, Project

    j = Journey(browser, live_server)
    page = j.as_user("pm_chen")
    j.click_nav(page, "项目")
    j.click_link(page, "新建项目")

    # only the fields his team covers are offered
    pm = User.objects.get(username="pm_chen")
    covered = set(Field.objects.filter(pm_teams__memberships__user=pm).values_list("code", flat=True))
    offered = {v for v in page.locator("#id_field option").evaluate_all("os => os.map(o => o.value)") if v}
    assert offered and offered <= covered, (offered, covered)
    assert page.locator("label[for=id_budget]").inner_text().startswith("预算（万元）")
    assert page.locator("#id_planned_start").get_attribute("type") == "date"

    page.fill("#id_title", "旅程测试：量子传感样机")
    page.select_option("#id_field", sorted(offered)[0])
    page.select_option("#id_performer", index=1)
    page.select_option("#id_lead", index=1)
    page.fill("#id_budget", "850")
    page.fill("#id_planned_start", "2026-03-02")
    page.fill("#id_planned_end", "2028-06-30")
    j.shot(page, "01-project-draft")
    j.click_button(page, "保存草稿")

    panel = page.locator("#next-step")
    assert "草稿" in panel.inner_text()
    assert panel.get_attribute("data-mine") == "1"
    assert "850.00 万元" in page.locator("#project-header").inner_text()
    j.shot(page, "02-next-step-submit")
    j.click(page, panel.locator("#next-step-submit"))

    panel = page.locator("#next-step")
    text = panel.inner_text()
    assert "等待安排立项评审" in text
    assert re.search("市科委管理员|项目经理团队负责人", page.locator("#next-step-who").inner_text())
    assert page.locator("#project-state").get_attribute("data-state") == "submitted"

    project = Project.objects.get(title="旅程测试：量子传感样机")
    assert project.status == "submitted"
    assert project.budget == Decimal("8500000.00")
    assert project.field.code in covered

    # the project lead of a demo project sees what his project waits for
    lead_page = j.as_user("lead01")
    j.click_nav(lead_page, "我的项目")
    j.click(lead_page, lead_page.locator(".project-row a").first)
    lead_panel = lead_page.locator("#next-step")
    assert lead_panel.locator("#next-step-text").inner_text().strip()
    assert lead_panel.get_attribute("data-mine") in ("0", "1")
    j.close()
