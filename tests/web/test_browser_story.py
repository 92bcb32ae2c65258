"""The whole story in a real browser (Playwright driving the Debian Chromium, headless) against a live
test server on PostgreSQL, as each role would walk it — once in Chinese, once in English:

1. the PM drafts a project and submits it;
2. the admin schedules the screening gate (service: scheduling lives in Django admin) and the chair
   opens it from the gate page;
3. four reviewers declare conflicts (one is recused) and score; the split has a champion;
4. the chair closes scoring, takes the non-consensus path and approves it with the PM lead's
   endorsement;
5. the PM updates task progress on the task board and sees the list's health change;
6. the PM files a reschedule (with the preview), the chair approves and applies it, and the PM sees
   the timeline move;
7. another team's PM gets a friendly 403/404 for this project.

Pages that do not exist (yet) are driven through the same services in the test set-up; each such
step says so. Screenshots go to docs/screenshots/ when PMFLOW_STORY_SCREENSHOTS=1 (every page in Chinese, the
chair's page in English too).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from tests.web.journeys import SHOT_DIR, VIEWPORT, browser  # noqa: F401  (the one browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-secret-123"  # tests.factories.UserFactory's password


def _url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return None


# --- the cast -------------------------------------------------------------------------------------


def _cast() -> dict[str, Any]:
    """Reference data, the people, a committee. Nothing about the project yet: the PM drafts it."""
    from milestones.models import Committee
    from pmflow.models import Organisation
    from projects.models import Field
    from tests.factories import PMTeamFactory, UserFactory, make_admin

    call_command("load_reference_data", verbosity=0)
    quantum = Field.objects.get(code="quantum")
    admin = make_admin(username="admin", display_name="市科委管理员")
    pm = UserFactory(username="pm", display_name="王经理")
    team = PMTeamFactory(code="quantum", name="量子科技项目经理团队", lead=pm)
    team.fields.add(quantum)
    other_pm = UserFactory(username="otherpm", display_name="李经理")
    PMTeamFactory(code="fusion", name="可控核聚变项目经理团队", lead=other_pm)
    chair = UserFactory(username="chair", display_name="张主任")
    reviewers = [UserFactory(username=f"reviewer{i}", display_name=f"专家{i}") for i in range(1, 5)]
    committee = Committee.objects.create(name="量子科技评审委员会", chair=chair)
    committee.members.add(*reviewers)
    committee.fields.add(quantum)
    performer = Organisation.objects.create(name="上海量子精密测量研究院")
    lead = UserFactory(username="lead", display_name="陈负责人", organisation=performer)
    return {
        "admin": admin,
        "pm": pm,
        "team": team,
        "other_pm": other_pm,
        "chair": chair,
        "reviewers": reviewers,
        "committee": committee,
        "performer": performer,
        "lead": lead,
        "field": quantum,
    }


class Story:
    """One browser context per role, a screenshot per page visited (Chinese run, when asked)."""

    def __init__(self, browser, live_server, lang: str):  # noqa: F811
        self.browser = browser
        self.base = live_server.url
        self.lang = lang
        self.shots = os.environ.get("PMFLOW_STORY_SCREENSHOTS") == "1"  # README shots: the journeys
        self.contexts: list[Any] = []
        self.switched = False
        self.skipped_pages: list[str] = []

    def as_user(self, username: str):
        ctx = self.browser.new_context(viewport=VIEWPORT, locale="zh-CN", device_scale_factor=1)
        ctx.set_default_timeout(30_000)  # generous: CI machines can be busy
        self.contexts.append(ctx)
        if self.lang == "en" and self.switched:
            # The first user switched through the top bar; the others carry the same cookie.
            ctx.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": self.base}])
        page = ctx.new_page()
        page.goto(self.base + reverse("login"))
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("#login-form button[type=submit]")
        assert "/login/" not in page.url, f"{username} could not log in"
        if self.lang == "en" and not self.switched:
            # The language switch in the top bar (set_language keeps the choice in a cookie).
            with page.expect_navigation():
                page.click("form.langswitch button[value=en]")
            self.switched = True
        assert page.locator("html").get_attribute("lang") == ("en" if self.lang == "en" else "zh-hans")
        return page

    def go(self, page, path: str):
        resp = page.goto(self.base + path)
        assert resp is not None
        return resp

    def shot(self, page, name: str) -> None:
        """Every page in Chinese; one page (the chair's) in English too."""
        if self.lang == "en":
            if name != "06-chair-gate-decision":
                return
            name = "14-chair-gate-decision-en"
        if self.shots:
            SHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT_DIR / f"{name}.png"))

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


def t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


# --- the story ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_whole_story_in_the_browser(browser, live_server, lang):  # noqa: F811
    from milestones.models import ChangeRequest, GateReview, Milestone, ReviewerAssignment, Scorecard
    from pmflow.workdays import add_workdays
    from projects.models import KeyTaskList, Project, Task, TaskCategory

    cast = _cast()
    story = Story(browser, live_server, lang)
    try:
        # 1. The PM drafts a project and submits it.
        pm_page = story.as_user("pm")
        project = _pm_drafts_and_submits(story, pm_page, cast)
        assert project.status == "submitted"

        # 2. Screening is scheduled (service: the admin does this in Django admin) with 4 reviewers.
        from milestones.services.gates import gate_assign_reviewer, gate_schedule

        admin = cast["admin"]
        gate = gate_schedule(
            actor=admin,
            project_id=project.pk,
            kind="screening",
            committee_id=cast["committee"].pk,
            quorum=3,
            due_date=dt.date.today() + dt.timedelta(days=21),
        )
        for r in cast["reviewers"]:
            gate_assign_reviewer(actor=admin, gate_id=gate.pk, reviewer_id=r.pk)
        project.refresh_from_db()
        assert project.status == "screening"

        # The chair opens the gate from the gate page.
        chair_page = story.as_user("chair")
        story.go(chair_page, reverse("milestones:chair_gates"))
        assert project.code in chair_page.content()
        story.shot(chair_page, "02-chair-gates")
        story.go(chair_page, reverse("milestones:gate_detail", args=[gate.pk]))
        with chair_page.expect_navigation():
            chair_page.click("#gate-transitions button[value=open]")
        gate.refresh_from_db()
        assert gate.status == "open"

        # 3. Reviewers: reviewer4 is recused; 1 champions it, 2 would kill, 3 would hold → a split.
        plans = {
            "reviewer1": {"scores": ("92", "88"), "rec": "go", "champion": True},
            "reviewer2": {"scores": ("35", "40"), "rec": "kill", "champion": False},
            "reviewer3": {"scores": ("60", "55"), "rec": "hold", "champion": False},
        }
        for i, r in enumerate(cast["reviewers"], start=1):
            page = story.as_user(r.username)
            story.go(page, reverse("milestones:reviewer_inbox"))
            assert project.code in page.content()
            if i == 1:
                story.shot(page, "03-reviewer-inbox")
            with page.expect_navigation():
                page.click(f"tr[data-gate='{gate.pk}'] a")
            assert page.locator("#conflict-declaration").is_visible()
            if r.username == "reviewer4":
                page.check("input[name=has_conflict][value=yes]")
                page.fill("textarea[name=note]", t(lang, "曾与承担单位合作。", "Worked with the performer."))
                with page.expect_navigation():
                    page.click("#conflict-declaration button[type=submit]")
                assert page.locator("#recused").is_visible()
                assert page.locator("#scorecard-form").count() == 0
                story.shot(page, "05-reviewer-recused")
                continue
            page.check("input[name=has_conflict][value=no]")
            with page.expect_navigation():
                page.click("#conflict-declaration button[type=submit]")
            plan = plans[r.username]
            must = page.locator("#scorecard-form select[name^=must_]")
            for k in range(must.count()):
                must.nth(k).select_option("pass")
            scores = page.locator("#scorecard-form input[name^=score_]")
            for k in range(scores.count()):
                scores.nth(k).fill(plan["scores"][k % 2])
            page.select_option("select[name=recommendation]", plan["rec"])
            if plan["champion"]:
                page.check("input[name=champion]")
            page.fill("textarea[name=comments]", t(lang, "技术路线有潜力。", "Promising route."))
            with page.expect_navigation():
                page.click("#scorecard-form button[value=save]")
            if i == 1:
                story.shot(page, "04-reviewer-scorecard")
            with page.expect_navigation():
                page.click("#scorecard-form button[value=submit]")
            assert page.locator(".scorecard-readonly").is_visible()
        assert ReviewerAssignment.objects.get(gate=gate, reviewer__username="reviewer4").has_conflict is True
        assert Scorecard.objects.filter(assignment__gate=gate, submitted_at__isnull=False).count() == 3

        # 4. The chair closes scoring, sees the split and takes the non-consensus path.
        story.go(chair_page, reverse("milestones:gate_detail", args=[gate.pk]))
        with chair_page.expect_navigation():
            chair_page.click("#gate-transitions button[value=close]")
        assert chair_page.locator("#spread-chart circle").count() == 3
        assert chair_page.locator("select[name=outcome] option[value=non_consensus]").count() == 1
        story.shot(chair_page, "06-chair-gate-decision")
        chair_page.select_option("select[name=outcome]", "non_consensus")
        chair_page.fill(
            "#decision-form textarea[name=rationale]",
            t(lang, "专家意见分歧，有支持专家，转入非共识通道。", "Reviewers split with a champion: non-consensus track."),
        )
        with chair_page.expect_navigation():
            chair_page.click("#decision-form button[type=submit]")
        project.refresh_from_db()
        assert project.status == "non_consensus"
        assert chair_page.locator("#non-consensus-approval").is_visible()
        chair_page.select_option("select[name=endorsement_by]", str(cast["pm"].pk))
        chair_page.fill(
            "#non-consensus-approval textarea[name=endorsement]",
            t(lang, "项目经理团队背书：首笔资金减半，首个关口提前。", "PM lead endorses the risk-controlled track."),
        )
        chair_page.locator("#non-consensus-approval").scroll_into_view_if_needed()
        story.shot(chair_page, "07-chair-non-consensus-approval")
        with chair_page.expect_navigation():
            chair_page.click("#non-consensus-approval button[type=submit]")
        project.refresh_from_db()
        assert project.status == "approved"
        assert project.non_consensus_track
        assert Milestone.objects.filter(project=project).exists()

        # The PM starts the project (project page button, or the service when that page is missing).
        _pm_activates(story, pm_page, project)
        project.refresh_from_db()
        assert project.status == "active"

        # 5. Task progress: a late task makes the list red; marking it done turns it green.
        task_list = KeyTaskList.objects.create(
            pm_team=cast["team"], project=project, title=t(lang, "量子样机任务清单", "Prototype tasks")
        )
        today = dt.date.today()
        categories = list(TaskCategory.objects.all()[:2])
        late = Task.objects.create(
            task_list=task_list,
            category=categories[0],
            title=t(lang, "完成样机集成测试", "Integrate the prototype"),
            owner=cast["pm"],
            start_date=today - dt.timedelta(days=60),
            due_date=today - dt.timedelta(days=3),
            progress=40,
            weight=Decimal("2"),
        )
        Task.objects.create(
            task_list=task_list,
            category=categories[1],
            title=t(lang, "引进核心研发人员", "Hire core researchers"),
            owner=cast["pm"],
            start_date=today - dt.timedelta(days=10),
            due_date=today + dt.timedelta(days=120),
            progress=10,
        )
        _recalculate(task_list.pk)
        task_list.refresh_from_db()
        assert task_list.health == "red"
        story.go(pm_page, reverse("tasks:board", args=[task_list.pk]))
        assert pm_page.locator("#task-list-health").get_attribute("data-health") == "red"
        story.shot(pm_page, "08-task-board-before")
        row = pm_page.locator(f"#task-{late.pk}")
        row.locator("input[name=progress]").fill("100")
        row.locator("button[name=done]").click()
        # htmx swapped the row and, out of band, the list's health header (no page load).
        pm_page.locator("#task-list-health:not([data-health=red])").wait_for()
        assert pm_page.locator(f"#task-{late.pk}").get_attribute("data-status") == "done"
        story.shot(pm_page, "09-task-board-after")
        late.refresh_from_db()
        assert late.progress == 100 and late.done_date is not None

        # 6. Reschedule M1 with a preview, approval and application; the timeline moves.
        m1 = Milestone.objects.filter(project=project).order_by("sequence").first()
        old_due = m1.current_due
        new_due = add_workdays(old_due, 20)  # a working day, four working weeks later
        story.go(pm_page, f"{reverse('milestones:change_request_new')}?project={project.pk}&kind=reschedule")
        pm_page.select_option("select[name=milestone]", str(m1.pk))
        pm_page.fill("input[name=new_due]", new_due.isoformat())
        pm_page.fill("textarea[name=reason]", t(lang, "关键器件交付延期四周。", "Key components arrive four weeks late."))
        with pm_page.expect_navigation():
            pm_page.click("#preview-button")
        # M3 is due on the project's end date: shifting it needs the end extended too — the preview says so.
        pm_page.wait_for_selector("#form-errors")
        assert project.planned_end.isoformat() in pm_page.inner_text("#form-errors")
        pm_page.fill("input[name=extend_end_to]", (project.planned_end + dt.timedelta(days=60)).isoformat())
        with pm_page.expect_navigation():
            pm_page.click("#preview-button")
        pm_page.wait_for_selector("#preview-table")
        preview = pm_page.inner_text("#preview")
        assert old_due.isoformat() in preview and new_due.isoformat() in preview
        pm_page.locator("#preview").scroll_into_view_if_needed()
        story.shot(pm_page, "10-change-request-preview")
        assert not ChangeRequest.objects.filter(project=project).exists()  # the preview saves nothing
        with pm_page.expect_navigation():
            pm_page.click("#submit-button")
        cr = ChangeRequest.objects.get(project=project)
        assert cr.status == "submitted"

        story.go(chair_page, reverse("milestones:change_request_detail", args=[cr.pk]))
        with chair_page.expect_navigation():
            chair_page.click("#cr-actions button[value=approve]")
        with chair_page.expect_navigation():
            chair_page.click("#cr-actions button[value=apply]")
        cr.refresh_from_db()
        assert cr.status == "applied"
        assert chair_page.locator("#before-after").is_visible()
        story.shot(chair_page, "11-change-request-applied")
        m1.refresh_from_db()
        assert m1.current_due != old_due
        assert m1.baseline_due <= old_due
        project.refresh_from_db()
        assert project.planned_end == dt.date(2029, 12, 28) + dt.timedelta(days=60)

        project_url = _url("projects:detail", project.pk)
        if project_url:
            story.go(pm_page, project_url)
            assert m1.current_due.isoformat() in pm_page.content()
            story.shot(pm_page, "12-project-timeline")
        else:
            story.skipped_pages.append("project page (timeline)")

        # 7. Another team's PM: a friendly 403/404, no stack trace.
        other = story.as_user("otherpm")
        target = project_url or reverse("tasks:board", args=[task_list.pk])
        resp = story.go(other, target)
        assert resp.status in (403, 404)
        assert other.locator("#error-403, #error-404").count() == 1
        assert "Traceback" not in other.content()
        story.shot(other, "13-forbidden")

        # Every step must have gone through its page: a fallback to a service means a page is missing.
        assert not story.skipped_pages, f"pages driven through services: {', '.join(story.skipped_pages)}"
    finally:
        story.close()
    assert GateReview.objects.get(pk=gate.pk).status == "decided"
    assert Project.objects.get(pk=project.pk).status == "active"


def _pm_drafts_and_submits(story: Story, page, cast: dict[str, Any]):
    """The project form when there is one; otherwise the create/submit services (noted)."""
    from projects.models import Project

    title = t(story.lang, "量子精密测量样机", "Quantum precision-measurement prototype")
    create_url = _url("projects:create")
    if create_url:
        story.go(page, create_url)
        page.fill("[name=title]", title)
        page.select_option("[name=field]", "quantum")
        page.select_option("[name=pm_team]", cast["team"].code)
        page.select_option("[name=performer]", str(cast["performer"].pk))
        page.select_option("[name=lead]", cast["lead"].username)
        page.fill("[name=budget]", "12000000")
        page.select_option("[name=support_mode]", "direct_subsidy")
        page.fill("[name=planned_start]", "2027-01-04")
        page.fill("[name=planned_end]", "2029-12-28")
        story.shot(page, "01-project-draft")
        with page.expect_navigation():
            page.locator("form", has=page.locator("[name=title]")).locator("button[type=submit]").first.click()
        project = Project.objects.get(title=title)
    else:
        from projects.services.projects import project_create

        story.skipped_pages.append("project create form")
        project = project_create(
            actor=cast["pm"],
            data={
                "title": title,
                "field": "quantum",
                "pm_team": cast["team"].pk,
                "performer": cast["performer"].pk,
                "lead": cast["lead"].pk,
                "budget": "12000000",
                "support_mode": "direct_subsidy",
                "planned_start": "2027-01-04",
                "planned_end": "2029-12-28",
            },
        )
    detail = _url("projects:detail", project.pk)
    if detail:
        story.go(page, detail)
        with page.expect_navigation():
            _transition_button(page, project.pk, "submit").click()
    else:
        from projects.services.projects import project_submit

        story.skipped_pages.append("project submit button")
        project_submit(actor=cast["pm"], project_id=project.pk)
    project.refresh_from_db()
    return project


def _pm_activates(story: Story, page, project) -> None:
    detail = _url("projects:detail", project.pk)
    if detail:
        story.go(page, detail)
        button = _transition_button(page, project.pk, "activate")
        if button.count():
            with page.expect_navigation():
                button.click()
            return
    from projects.services.projects import project_activate

    story.skipped_pages.append("project activate button")
    project_activate(actor=project.pm_team.lead, project_id=project.pk)


def _transition_button(page, project_id: int, name: str):
    """The submit button of the project page's form for transition ``name``."""
    action = reverse("projects:transition", args=[project_id, name])
    return page.locator(f"form[action='{action}'] button[type=submit]").first


def _recalculate(task_list_id: int) -> None:
    from projects.views_tasks import _recalculate_now

    _recalculate_now(task_list_id)
