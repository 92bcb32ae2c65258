"""Journey (issue 12): the PM lead files change requests of each kind from the project page — the kind
chooser, the kind's form, its preview, submit — the approver approves and applies each, and the PM sees
each applied with its before/after. Only clicks past the login page.

1. Reschedule, reallocate budget in 万元, suspend (on pm_chen's first active project) — then the
   chooser of the suspended project offers resume and terminate (resume itself is filed and applied in
   tests/web/test_journey_lifecycle.py, on the demo's suspended project).
2. The remaining kinds on the fresh active project “6G太赫兹通信原型系统”: rescope (the last open
   milestone's deliverables and acceptance criteria); converge technology route — greyed out in the
   chooser until pm_chen adds two routes through the project page's 添加技术路线 form, then one kept and
   the other dropped with its lessons; change team (a new project lead; the PM team stays); terminate —
   the project ends 已终止 and its chooser offers nothing more.

Each test starts from a freshly restored demo (tests/web/journeys.py). Every kind's bad input and
refusals are in tests/web/test_change_requests.py (test client).

Who approves (milestones/rules.py): the chair of a gate of the project (chair_li for pm_chen's
projects) or a programme admin approves and applies; suspend / resume / terminate move the project
itself, which only a programme admin may do, so sstc_admin applies those (the chair may approve them:
terminate is approved by chair_li, who gets no apply button, and applied by sstc_admin).

Inputs are worked out from what the page shows (a milestone's due date in its option, the amounts in
the budget boxes, the routes and leads in the selects); the working-day arithmetic comes from
``pmflow.workdays`` (a pure function, no state set up). ORM reads only at the end, to check the outcome.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from milestones.models import ChangeRequest
from pmflow.workdays import previous_workday
from projects.models import Project
from tests.web.journeys import JOURNEY_MARKS, Journey, browser, demo  # noqa: F401  (fixtures)

pytestmark = JOURNEY_MARKS


def _open_first_active_project(j: Journey, page: Any) -> str:
    j.click_nav(page, "项目")
    row = page.locator("tr.project-row", has=page.locator("span.state-active")).first
    code = row.locator("td").first.inner_text().strip()
    j.click(page, row.get_by_role("link").first)
    assert code in page.locator("h1, .lead").first.inner_text() or code in page.content()
    return code


def _file(j: Journey, page: Any, label: str, fill: Any, reason: str) -> int:
    """From the project page: chooser → the kind's form → preview → submit. Returns the request's number."""
    j.click(page, page.locator("#new-change-request"))
    assert page.locator("#change-kinds").is_visible()
    j.click(page, page.locator("#change-kinds").get_by_role("link", name=label, exact=True))
    fill(page)
    page.fill("#id_reason", reason)
    j.click(page, page.locator("#preview-button"))
    assert page.locator("#form-errors").count() == 0, page.locator("#form-errors").inner_text()
    assert page.locator("#preview-table").is_visible()
    j.click(page, page.locator("#submit-button"))
    heading = page.locator("h1").inner_text()
    assert label in heading
    assert page.locator("#cr-status").inner_text() == "已提交"
    number = int(re.search(r"#(\d+)", heading).group(1))
    j.click(page, page.locator("#cr-project"))  # back to the project page
    return number


def _approve_and_apply(j: Journey, page: Any, number: int) -> None:
    j.click_nav(page, "变更申请")
    j.click(page, page.locator("#change-requests").get_by_role("link", name=f"#{number}", exact=True))
    assert page.locator("#not-applicable").count() == 0
    page.locator(f"#cr-actions form[action$='/{number}/approve/'] input[name=note]").fill("同意。")
    j.click(page, page.locator("#cr-actions button[value=approve]"))
    assert page.locator("#cr-status").inner_text() == "已批准"
    j.click(page, page.locator("#cr-actions button[value=apply]"))
    assert page.locator("#cr-status").inner_text() == "已执行", page.locator("main").inner_text()[:1500]
    assert page.locator("#before-after").is_visible()


def _sees_applied(j: Journey, page: Any, number: int) -> str:
    """The PM, on the project page, opens the request from the 变更申请 section: applied, before/after."""
    j.click(page, page.locator("#change-table").get_by_role("link", name=f"#{number}", exact=True))
    assert page.locator("#cr-status").inner_text() == "已执行"
    table = page.locator("#before-after").inner_text()
    j.click(page, page.locator("#cr-project"))
    return table


def _last_option(page: Any, select: str) -> tuple[str, str]:
    options = page.locator(f"{select} option")
    last = options.nth(options.count() - 1)
    return last.get_attribute("value"), last.inner_text()


@pytest.mark.timeout(900)
def test_pm_files_change_requests_and_sees_each_applied(browser, demo, live_server):  # noqa: F811
    j = Journey(browser, live_server)
    try:
        pm = j.as_user("pm_chen")
        code = _open_first_active_project(j, pm)

        filed: dict[str, int] = {}

        # 调整进度: the last open milestone, a week earlier (a working day).
        def reschedule(page: Any) -> None:
            value, text = _last_option(page, "#id_milestone")
            page.select_option("#id_milestone", value)
            due = dt.date.fromisoformat(re.search(r"\d{4}-\d{2}-\d{2}", text).group(0))
            page.fill("#id_new_due", previous_workday(due - dt.timedelta(days=7)).isoformat())
            assert page.locator("#id_new_due").get_attribute("type") == "date"

        j.click(pm, pm.locator("#new-change-request"))
        j.shot(pm, "19-change-kind-chooser")
        j.click(pm, pm.locator("#back-to-project"))
        filed["reschedule"] = _file(j, pm, "调整进度", reschedule, "关键器件提前到货，末期验收提前一周。")

        # 调整资金安排: 10 万元 from the last tranche to the one before it (amounts shown in 万元).
        def reallocate(page: Any) -> None:
            boxes = page.locator("input[name^=tranche_]")
            n = boxes.count()
            assert n >= 2
            last, before_last = boxes.nth(n - 1), boxes.nth(n - 2)
            a, b = Decimal(last.input_value()), Decimal(before_last.input_value())
            last.fill(str(a - 10))
            before_last.fill(str(b + 10))

        filed["reallocate_budget"] = _file(j, pm, "调整资金安排", reallocate, "样机阶段提前采购。")

        # The chair of the project's gates approves and applies these two.
        chair = j.as_user("chair_li")
        for kind in ("reschedule", "reallocate_budget"):
            _approve_and_apply(j, chair, filed[kind])
        j.shot(chair, "20-change-request-applied")

        assert _sees_applied(j, pm, filed["reschedule"]).strip()
        assert "万元" in _sees_applied(j, pm, filed["reallocate_budget"])

        # Suspend moves the project itself: the programme admin applies it.
        admin = j.as_user("sstc_admin")
        filed["suspend"] = _file(j, pm, "暂停项目", lambda page: None, "合作单位资质复核，暂停实施。")
        _approve_and_apply(j, admin, filed["suspend"])
        pm.reload()
        _sees_applied(j, pm, filed["suspend"])
        assert "已暂停" in pm.locator("main").inner_text()
        # Now the chooser offers resume and terminate, not suspend.
        j.click(pm, pm.locator("#new-change-request"))
        kinds = pm.locator("#change-kinds").inner_text()
        assert "恢复项目" in kinds and "终止项目" in kinds and "暂停项目" not in kinds
    finally:
        j.close()

    project = Project.objects.get(code=code)
    assert project.status == "suspended"
    crs = {cr.kind: cr for cr in ChangeRequest.objects.filter(pk__in=filed.values())}
    assert set(crs) == {"reschedule", "reallocate_budget", "suspend"}
    assert all(cr.status == "applied" and cr.after for cr in crs.values())


THZ = "6G太赫兹通信原型系统"  # active, pm_chen's team, no technology route yet (milestones/demo/curated.py)


def _open_project(j: Journey, page: Any, title: str) -> str:
    """From the top bar's project list, the project by its title; returns its code."""
    nav = page.locator("nav.mainnav")
    j.click_nav(page, "我的项目" if nav.get_by_role("link", name="我的项目", exact=True).count() else "项目")
    row = page.locator("tr.project-row", has_text=title).first
    code = row.locator("td").first.inner_text().strip()
    j.click(page, row.get_by_role("link").first)
    return code


def _add_route(j: Journey, page: Any, name: str) -> None:
    """The project page's 添加技术路线 form (a <details> in the routes section)."""
    routes = page.locator("#routes")
    routes.locator("summary", has_text="添加技术路线").click()
    form = routes.locator("#route-form")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=family]").fill("thz-route")
    j.click(page, form.get_by_role("button", name="添加", exact=True))
    assert page.locator("#routes tr", has_text=name).filter(has_text="探索中").count() == 1


def _approve(j: Journey, page: Any, number: int) -> None:
    j.click_nav(page, "变更申请")
    j.click(page, page.locator("#change-requests").get_by_role("link", name=f"#{number}", exact=True))
    page.locator(f"#cr-actions form[action$='/{number}/approve/'] input[name=note]").fill("同意。")
    j.click(page, page.locator("#cr-actions button[value=approve]"))
    assert page.locator("#cr-status").inner_text() == "已批准"


@pytest.mark.timeout(900)
def test_pm_files_rescope_converge_team_and_terminate(browser, demo, live_server):  # noqa: F811
    """The other four kinds, on the fresh active project 6G太赫兹: rescope a milestone, converge two
    routes pm_chen adds first, change the project lead — chair_li approves and applies these — and
    terminate (chair_li approves, only sstc_admin may apply it); pm_chen sees each applied."""
    j = Journey(browser, live_server)
    filed: dict[str, int] = {}
    texts: dict[str, str] = {}
    try:
        pm = j.as_user("pm_chen")
        code = _open_project(j, pm, THZ)

        # 调整内容: the last open milestone's deliverables and acceptance criteria.
        deliverables = "太赫兹收发前端样机两套；链路测试报告。"
        criteria = "300 GHz 频段单链路速率不低于 100 Gbps（第三方测试）。"

        def rescope(page: Any) -> None:
            value, _text = _last_option(page, "#id_milestone")
            page.select_option("#id_milestone", value)
            page.fill("#id_deliverables", deliverables)
            page.fill("#id_acceptance_criteria", criteria)

        filed["rescope"] = _file(j, pm, "调整内容", rescope, "用户需求变化，末期交付物与验收指标细化。")

        # 技术路线收敛: the chooser greys it out until there are two exploring routes; add them first.
        j.click(pm, pm.locator("#new-change-request"))
        assert "项目没有两条以上探索中的技术路线" in pm.locator("#unavailable-kinds").inner_text()
        assert pm.locator("#change-kinds").get_by_role("link", name="技术路线收敛", exact=True).count() == 0
        j.click(pm, pm.locator("#back-to-project"))
        kept, dropped = "硅基CMOS太赫兹路线", "III-V族化合物路线"
        for name in (kept, dropped):
            _add_route(j, pm, name)

        def converge(page: Any) -> None:
            option = page.locator("#id_selected_route option", has_text=kept)
            value = option.get_attribute("value")
            page.select_option("#id_selected_route", value)
            boxes = page.locator("textarea[name^=lessons_]")
            for i in range(boxes.count()):
                if boxes.nth(i).get_attribute("name") != f"lessons_{value}":
                    boxes.nth(i).fill("比选样机功耗偏高、集成度不足，测试数据已归档。")

        filed["converge_route"] = _file(j, pm, "技术路线收敛", converge, "中期比选完成，收敛到硅基CMOS路线。")

        # 变更团队: a new project lead (the team stays, so pm_chen may still file for the project).
        def change_team(page: Any) -> None:
            option = page.locator("#id_lead option").nth(1)
            texts["lead"] = option.inner_text().split("（")[0]
            page.select_option("#id_lead", option.get_attribute("value"))

        filed["change_team"] = _file(j, pm, "变更团队", change_team, "原负责人调任，由新负责人接任。")

        chair = j.as_user("chair_li")
        for kind in ("rescope", "converge_route", "change_team"):
            _approve_and_apply(j, chair, filed[kind])

        table = _sees_applied(j, pm, filed["rescope"])
        assert deliverables in table and criteria in table
        table = _sees_applied(j, pm, filed["converge_route"])
        assert "已选定" in table and "已放弃" in table
        assert texts["lead"] in _sees_applied(j, pm, filed["change_team"])
        routes = pm.locator("#routes").inner_text()
        assert "已选定" in routes and "已放弃" in routes and "比选样机功耗偏高" in routes

        # 终止项目: the chair approves but may not apply (it moves the project itself); the admin applies.
        filed["terminate"] = _file(j, pm, "终止项目", lambda page: None, "市场窗口关闭，经评估终止实施。")
        _approve(j, chair, filed["terminate"])
        assert chair.locator("#cr-actions button[value=apply]").count() == 0
        admin = j.as_user("sstc_admin")
        j.click_nav(admin, "变更申请")
        j.click(admin, admin.locator("#change-requests").get_by_role("link", name=f"#{filed['terminate']}", exact=True))
        j.click(admin, admin.locator("#cr-actions button[value=apply]"))
        assert admin.locator("#cr-status").inner_text() == "已执行", admin.locator("main").inner_text()[:1500]
        assert "已终止" in _sees_applied(j, pm, filed["terminate"])
        assert "已终止" in pm.locator("main").inner_text()
        # A terminated project takes no more change requests: every kind is greyed out.
        j.click(pm, pm.locator("#new-change-request"))
        assert pm.locator("#no-change-kinds").is_visible() and pm.locator("#change-kinds").count() == 0
    finally:
        j.close()

    project = Project.objects.get(code=code)
    assert project.status == "terminated"
    assert project.lead.get_full_name() == texts["lead"] or project.lead.username == texts["lead"]
    assert {r.name: r.status for r in project.routes.all()} == {kept: "selected", dropped: "dropped"}
    crs = {cr.kind: cr for cr in ChangeRequest.objects.filter(pk__in=filed.values())}
    assert set(crs) == {"rescope", "converge_route", "change_team", "terminate"}
    assert all(cr.status == "applied" and cr.after for cr in crs.values())
