"""Journey (issue 12): the PM lead files change requests from the project page — the kind chooser, the
kind's form, its preview, submit — the approver approves and applies each, and the PM sees each applied
with its before/after. Only clicks past the login page.

Three kinds here (reschedule, reallocate budget in 万元, suspend — then the chooser of the suspended
project offers resume and terminate); every kind's full file → approve → apply through the pages is
in tests/web/test_change_requests.py (test client), which keeps this journey short on a busy machine.

Who approves (milestones/rules.py): the chair of a gate of the project (chair_li for pm_chen's
projects) or a programme admin approves and applies; suspend / resume / terminate move the project
itself, which only a programme admin may do, so sstc_admin applies those (the chair may approve them).

Inputs are worked out from what the page shows (a milestone's due date in its option, the amounts in
the budget boxes); the working-day arithmetic comes from ``pmflow.workdays`` (a pure function, no
state set up). ORM reads only at the end, to check the outcome.
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
