"""Browser journey (issue 12), from the seeded demo, by clicks only: pm_chen opens an active project of
his team, opens a planned milestone and starts it; the project lead logs in, clicks to the milestone
and attaches a test report; pm_chen submits the milestone for its gate (the confirmation shows the
evidence) and its gate review is scheduled. The scheduled gate has no reviewers yet (assigning them
is the gate-scheduling journey's), so the reviewer step uses the demo's milestone gate that is open
with reviewers: its project lead attaches a report, and an assigned reviewer opens it from the
scorecard page (downloaded as an attachment)."""

from __future__ import annotations

import pytest

from milestones.models import Evidence, GateReview, GateState, Milestone, MilestoneState
from tests.web.evidence_world import PDF
from tests.web.journeys import JOURNEY_MARKS, Journey, browser, demo  # noqa: F401  (fixtures)

pytestmark = JOURNEY_MARKS


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _attach(j: Journey, page, title: str, filename: str) -> None:
    page.locator("#evidence-upload summary").click()
    page.fill("#id_title", title)
    page.select_option("#id_kind", "test_result")
    page.set_input_files("#id_file", files=[{"name": filename, "mimeType": "application/pdf", "buffer": PDF}])
    j.click(page, page.locator("#evidence-submit"))
    assert page.locator(".evidence-row", has_text=title).count() == 1


def _open_project(j: Journey, page, code: str | None = None) -> str:
    j.click_nav(page, "我的项目" if page.locator("nav.mainnav").get_by_role("link", name="我的项目").count() else "项目")
    rows = page.locator("tr.project-row").filter(has=page.locator(".badge.state-active"))
    if code:
        rows = rows.filter(has_text=code)
    row = rows.first
    code = row.locator("td.mono a").inner_text().strip()
    j.click(page, row.locator("td.mono a"))
    return code


def test_pm_starts_lead_attaches_pm_submits_reviewer_opens_evidence(browser, demo, live_server, media):  # noqa: F811
    j = Journey(browser, live_server)
    try:
        # pm_chen: an active project of his team → its first planned milestone → 开始
        pm = j.as_user("pm_chen")
        code = _open_project(j, pm)
        row = pm.locator("#milestone-table tbody tr").filter(has=pm.locator(".badge.state-planned")).first
        j.click(pm, row.locator("a.milestone-link"))
        milestone_title = pm.locator("h1").inner_text().strip()
        j.click(pm, pm.locator("#milestone-start"))
        assert pm.locator("#milestone-state").get_attribute("data-state") == "in_progress"

        # the project lead: 我的项目 → the project → the milestone → 上传佐证材料
        lead_name = Milestone.objects.filter(project__code=code).values_list("project__lead__username", flat=True).first()
        lead = j.as_user(lead_name)
        _open_project(j, lead, code)
        j.click(lead, lead.locator("a.milestone-link", has_text=milestone_title.split(" ")[0]).first)
        _attach(j, lead, "中试测试报告", "test-report.pdf")

        # pm_chen: 提交关口评审 → the confirmation lists the evidence → 确认
        pm.reload()
        j.click(pm, pm.locator("#milestone-submit"))
        assert pm.locator(".evidence-row", has_text="中试测试报告").count() == 1
        j.click(pm, pm.locator("#milestone-submit-confirm"))
        assert pm.locator("#milestone-state").get_attribute("data-state") == "submitted"
        assert pm.locator("#gate-table .gate-row").count() == 1

        # reviewer step on the demo's open milestone gate with declared reviewers
        gate = (
            GateReview.objects.filter(milestone__isnull=False, status=GateState.OPEN, assignments__has_conflict=False)
            .select_related("project__lead", "milestone")
            .order_by("id")
            .first()
        )
        reviewer_name = gate.assignments.filter(has_conflict=False).values_list("reviewer__username", flat=True).first()
        gate_lead = j.as_user(gate.project.lead.username)
        _open_project(j, gate_lead, gate.project.code)
        j.click(gate_lead, gate_lead.locator("a.milestone-link", has_text=gate.milestone.title).first)
        _attach(j, gate_lead, "关口补充测试报告", "gate-report.pdf")

        reviewer = j.as_user(reviewer_name)
        j.click_nav(reviewer, "评审任务")
        gate_row = reviewer.locator(f'tr.gate-row[data-gate="{gate.pk}"] a')
        for tab in reviewer.locator("#urgency-tabs a").all():
            if gate_row.count():
                break
            j.click(reviewer, tab)  # the gate sits in whichever urgency tab its state puts it
        j.click(reviewer, gate_row.first)
        link = reviewer.locator("#gate-evidence a.evidence-link", has_text="关口补充测试报告")
        with reviewer.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == "gate-report.pdf"
        with open(download.value.path(), "rb") as fh:
            assert fh.read() == PDF
    finally:
        j.close()

    submitted = Milestone.objects.filter(project__code=code, status=MilestoneState.SUBMITTED)
    assert submitted.count() >= 1
    ev = Evidence.objects.get(title="中试测试报告")
    assert ev.milestone.status == MilestoneState.SUBMITTED and ev.milestone.project.code == code
    assert GateReview.objects.filter(milestone=ev.milestone, status=GateState.SCHEDULED).exists()
