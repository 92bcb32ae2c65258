"""The chair's gate pages: the gate list by urgency (needs my action first and by default; overdue
only for open work), every scorecard, the computed outcome and spread chart, open/close buttons (a
warning naming outstanding reviewers before closing), the decision form offering only what
``gate_decide`` accepts (with the reason for the rest), the conditions listed once decided, the
non-consensus option and approval form, fixed query counts and friendly 403/404."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milestones.models import GateDecision, GateReview, ReviewerAssignment
from projects.models import Project
from tests.factories import UserFactory, make_admin
from tests.web.conftest import build_gate, put_scorecard

pytestmark = pytest.mark.django_db


def _gate_services():
    return pytest.importorskip("milestones.services.gates")


def _decisions():
    return pytest.importorskip("milestones.services.decisions")


def _selector():
    return pytest.importorskip("milestones.selectors.gates")


def test_chair_list_shows_the_gates_they_chair_with_submitted_counts(client, reference_data):
    mine = build_gate(reviewers=3)
    other = build_gate(reviewers=1)
    put_scorecard(mine, mine.reviewers[0])
    client.force_login(mine.chair)
    # open, two reviewers still out, due in 14 days: waiting on the reviewers → "in progress"
    resp = client.get(reverse("milestones:chair_gates") + "?tab=progress")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert mine.project.code in html
    assert other.project.code not in html
    assert "1 / 3" in html


def test_chair_list_query_count_is_fixed(client, reference_data, django_assert_num_queries):
    first = build_gate(reviewers=2)
    client.force_login(first.chair)
    url = reverse("milestones:chair_gates") + "?tab=progress"
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(5):
        s = build_gate(reviewers=2)
        GateReview.objects.filter(pk=s.gate.pk).update(chair=first.chair)
    with django_assert_num_queries(len(one)):
        resp = client.get(url)
    assert resp.content.decode().count(reverse("milestones:gate_detail", args=[first.gate.pk])) == 1
    assert resp.content.decode().count("/gates/") >= 6


def test_gate_page_shows_every_scorecard_the_outcome_and_the_spread_chart(client, gate_setup):
    _selector()
    put_scorecard(gate_setup, gate_setup.reviewers[0], scores=(90, 80))
    put_scorecard(gate_setup, gate_setup.reviewers[1], scores=(40, 30), rec="kill")
    ReviewerAssignment.objects.filter(gate=gate_setup.gate, reviewer=gate_setup.reviewers[2]).update(has_conflict=True)
    client.force_login(gate_setup.chair)
    resp = client.get(reverse("milestones:gate_detail", args=[gate_setup.gate.pk]))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="computed-outcome"' in html
    assert "<svg" in html and html.count("<circle") == 2
    assert "回避评审" in html
    for r in gate_setup.reviewers[:2]:
        assert str(r) in html


def test_gate_page_query_count_is_fixed(client, reference_data, django_assert_num_queries):
    _selector()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = build_gate(reviewers=2)
    put_scorecard(small, small.reviewers[0])
    big = build_gate(reviewers=7)
    for r in big.reviewers[:6]:
        put_scorecard(big, r)
    GateReview.objects.filter(pk=big.gate.pk).update(chair=small.chair)
    client.force_login(small.chair)
    client.get(reverse("milestones:gate_detail", args=[small.gate.pk]))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("milestones:gate_detail", args=[small.gate.pk]))
    with django_assert_num_queries(len(ctx)):
        assert client.get(reverse("milestones:gate_detail", args=[big.gate.pk])).status_code == 200


def test_reviewer_of_the_gate_gets_a_friendly_forbidden_on_the_chair_page(client, gate_setup):
    client.force_login(gate_setup.reviewers[0])
    resp = client.get(reverse("milestones:gate_detail", args=[gate_setup.gate.pk]))
    assert resp.status_code == 403
    assert b"Traceback" not in resp.content


def test_stranger_gets_not_found_for_the_chair_page(client, gate_setup):
    client.force_login(UserFactory())
    assert client.get(reverse("milestones:gate_detail", args=[gate_setup.gate.pk])).status_code == 404
    assert client.get(reverse("milestones:gate_detail", args=[999999])).status_code == 404


def test_programme_admin_sees_every_gate(client, gate_setup):
    _selector()
    client.force_login(make_admin())
    assert gate_setup.project.code in client.get(reverse("milestones:chair_gates") + "?tab=progress").content.decode()
    assert client.get(reverse("milestones:gate_detail", args=[gate_setup.gate.pk])).status_code == 200


def test_open_and_close_buttons_move_the_gate(client, reference_data):
    _gate_services()
    _selector()
    setup = build_gate(status="scheduled", reviewers=1)
    client.force_login(setup.chair)
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    assert reverse("milestones:gate_transition", args=[setup.gate.pk, "open"]) in html
    assert client.post(reverse("milestones:gate_transition", args=[setup.gate.pk, "open"])).status_code == 302
    setup.gate.refresh_from_db()
    assert setup.gate.status == "open"
    close = reverse("milestones:gate_transition", args=[setup.gate.pk, "close"])
    assert client.post(close, {"confirm_outstanding": "on"}).status_code == 302  # its one reviewer is still out
    setup.gate.refresh_from_db()
    assert setup.gate.status == "closed"


def _closed_split_gate(champion: bool):
    setup = build_gate(reviewers=3)
    put_scorecard(setup, setup.reviewers[0], scores=(95, 90), rec="go", champion=champion)
    put_scorecard(setup, setup.reviewers[1], scores=(30, 20), rec="kill")
    put_scorecard(setup, setup.reviewers[2], scores=(60, 55), rec="hold")
    GateReview.objects.filter(pk=setup.gate.pk).update(status="closed")
    Project.objects.filter(pk=setup.project.pk).update(status="screening")
    return setup


def test_non_consensus_option_is_offered_only_when_allowed(client, reference_data):
    _selector()
    with_champion = _closed_split_gate(champion=True)
    without = _closed_split_gate(champion=False)
    client.force_login(with_champion.chair)
    html = client.get(reverse("milestones:gate_detail", args=[with_champion.gate.pk])).content.decode()
    assert 'value="non_consensus"' in html
    client.force_login(without.chair)
    html = client.get(reverse("milestones:gate_detail", args=[without.gate.pk])).content.decode()
    assert 'id="decision-form"' in html
    assert 'value="non_consensus"' not in html


def test_departing_from_the_computed_outcome_without_rationale_is_refused(client, reference_data):
    _decisions()
    setup = _closed_split_gate(champion=False)
    client.force_login(setup.chair)
    resp = client.post(reverse("milestones:gate_decide", args=[setup.gate.pk]), {"outcome": "go", "rationale": ""})
    assert resp.status_code == 400
    assert not GateDecision.objects.filter(gate=setup.gate).exists()
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]), {"outcome": "go", "rationale": "主任意见：技术路线有前景。"}
    )
    assert resp.status_code == 302
    assert GateDecision.objects.get(gate=setup.gate).outcome == "go"


def test_non_consensus_path_then_approval_with_the_pm_lead_endorsement(client, reference_data):
    _decisions()
    setup = _closed_split_gate(champion=True)
    client.force_login(setup.chair)
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]),
        {"outcome": "non_consensus", "rationale": "专家意见分歧，有支持专家。"},
    )
    assert resp.status_code == 302, resp.content.decode()[-2000:]
    setup.project.refresh_from_db()
    assert setup.project.status == "non_consensus"
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    assert 'id="non-consensus-approval"' in html
    resp = client.post(
        reverse("milestones:non_consensus_approve", args=[setup.gate.pk]),
        {"endorsement_by": setup.project.pm_team.lead_id, "endorsement": "项目经理团队背书，按风险可控方案推进。"},
    )
    assert resp.status_code == 302
    setup.project.refresh_from_db()
    assert setup.project.status == "approved"


def test_conditional_go_with_condition_rows_creates_tasks_with_due_dates(client, reference_data):
    _decisions()
    import datetime as dt

    from milestones.models import Milestone
    from projects.models import Task
    from tests.factories import MilestoneFactory

    setup = build_gate(kind="milestone", reviewers=3)
    Project.objects.filter(pk=setup.project.pk).update(status="active")
    milestone = MilestoneFactory(project=setup.project, sequence=1)
    Milestone.objects.filter(pk=milestone.pk).update(status="in_review")
    GateReview.objects.filter(pk=setup.gate.pk).update(milestone=milestone)
    for r in setup.reviewers:
        put_scorecard(setup, r, scores=(75, 70), rec="conditional_go")
    GateReview.objects.filter(pk=setup.gate.pk).update(status="closed")
    client.force_login(setup.chair)
    due1, due2 = dt.date.today() + dt.timedelta(days=30), dt.date.today() + dt.timedelta(days=60)
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]),
        {
            "outcome": "conditional_go",
            "condition_title_1": "补充第三方测试报告",
            "condition_due_1": due1.isoformat(),
            "condition_title_2": "完成中试线验收",
            "condition_due_2": due2.isoformat(),
        },
    )
    assert resp.status_code == 302, resp.content.decode()[-1500:]
    tasks = Task.objects.filter(gate_decision__gate=setup.gate).order_by("due_date")
    assert [(t.title, t.due_date) for t in tasks] == [("补充第三方测试报告", due1), ("完成中试线验收", due2)]
    milestone.refresh_from_db()
    assert milestone.status == "passed_with_conditions"
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    assert 'id="decision-outcome"' in html


def test_condition_row_without_a_due_date_is_refused(client, reference_data):
    _decisions()
    from milestones.models import Milestone
    from tests.factories import MilestoneFactory

    setup = build_gate(kind="milestone", reviewers=3)
    Project.objects.filter(pk=setup.project.pk).update(status="active")
    milestone = MilestoneFactory(project=setup.project, sequence=1)
    Milestone.objects.filter(pk=milestone.pk).update(status="in_review")
    GateReview.objects.filter(pk=setup.gate.pk).update(milestone=milestone)
    for r in setup.reviewers:
        put_scorecard(setup, r, scores=(75, 70), rec="conditional_go")
    GateReview.objects.filter(pk=setup.gate.pk).update(status="closed")
    client.force_login(setup.chair)
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]),
        {"outcome": "conditional_go", "condition_title_1": "补充测试报告"},
    )
    assert resp.status_code == 400
    assert not GateDecision.objects.filter(gate=setup.gate).exists()


def test_opening_an_already_open_gate_is_a_friendly_conflict_message(client, gate_setup):
    _gate_services()
    client.force_login(gate_setup.chair)
    resp = client.post(reverse("milestones:gate_transition", args=[gate_setup.gate.pk, "open"]), follow=True)
    assert resp.status_code == 200
    assert 'id="messages"' in resp.content.decode()
    gate_setup.gate.refresh_from_db()
    assert gate_setup.gate.status == "open"


def test_unknown_gate_transition_is_not_found(client, gate_setup):
    client.force_login(gate_setup.chair)
    assert client.post(reverse("milestones:gate_transition", args=[gate_setup.gate.pk, "explode"])).status_code == 404


# --- the list by urgency ----------------------------------------------------------------------------
def _tab_rows(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'class="gate-row" data-gate="(\d+)"', html)]


def _urgency_portfolio(chair):
    """One gate of each kind of urgency, all chaired by ``chair``."""
    today = dt.date.today()
    made = {}

    def gate(name, *, status, due, reviewers=2, submitted=0, project_status=None):
        setup = build_gate(reviewers=reviewers, status=status, due=due)
        GateReview.objects.filter(pk=setup.gate.pk).update(chair=chair)
        for r in setup.reviewers[:submitted]:
            put_scorecard(setup, r)
        if project_status:
            Project.objects.filter(pk=setup.project.pk).update(status=project_status)
        made[name] = setup.gate.pk

    gate("to_open", status="scheduled", due=today + dt.timedelta(days=20))
    gate("waiting", status="open", due=today + dt.timedelta(days=10), submitted=1)
    gate("all_in", status="open", due=today + dt.timedelta(days=30), submitted=2)
    gate("due_open", status="open", due=today - dt.timedelta(days=5), submitted=1)
    gate("to_decide", status="closed", due=today + dt.timedelta(days=3), submitted=2)
    gate("decided_late", status="decided", due=today - dt.timedelta(days=400), submitted=2, project_status="approved")
    gate("nc_waiting", status="decided", due=today - dt.timedelta(days=30), submitted=2, project_status="non_consensus")
    gate("cancelled", status="cancelled", due=today + dt.timedelta(days=5))
    return made


def test_chair_list_opens_on_needs_my_action_sorted_by_due_date(client, reference_data):
    chair = UserFactory()
    g = _urgency_portfolio(chair)
    client.force_login(chair)
    html = client.get(reverse("milestones:chair_gates")).content.decode()
    # scheduled (to open), open and due or everyone in (to close), closed (to decide), and the
    # non-consensus project waiting for approval — soonest due first
    assert _tab_rows(html) == [g["nc_waiting"], g["due_open"], g["to_decide"], g["to_open"], g["all_in"]]
    assert re.search(r'class="active" aria-current="page">需要我处理 <span class="badge badge-warn">5</span>', html)
    assert re.search(r'data-tab="progress">进行中 <span class="badge">1</span>', html)
    assert re.search(r'data-tab="done">已完成 <span class="badge">2</span>', html)
    progress = client.get(reverse("milestones:chair_gates") + "?tab=progress").content.decode()
    assert _tab_rows(progress) == [g["waiting"]]
    done = client.get(reverse("milestones:chair_gates") + "?tab=done").content.decode()
    assert _tab_rows(done) == [g["cancelled"], g["decided_late"]]  # latest due first
    # an unknown tab is the default one
    assert _tab_rows(client.get(reverse("milestones:chair_gates") + "?tab=zzz").content.decode())[0] == g["nc_waiting"]


def test_chair_list_shows_overdue_only_for_gates_still_open(client, reference_data):
    chair = UserFactory()
    _urgency_portfolio(chair)
    client.force_login(chair)
    done = client.get(reverse("milestones:chair_gates") + "?tab=done").content.decode()
    assert "已逾期" not in done and "overdue" not in done
    action = client.get(reverse("milestones:chair_gates")).content.decode()
    assert action.count("已逾期") == 1  # the open gate past its due date; not the decided one
    assert "待批准非共识项目" in action


def test_chair_list_query_count_is_the_same_for_every_tab_and_size(client, reference_data, django_assert_num_queries):
    chair = UserFactory()
    client.force_login(chair)
    url = reverse("milestones:chair_gates")
    _urgency_portfolio(chair)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _urgency_portfolio(chair)
    _urgency_portfolio(chair)
    for tab in ("action", "progress", "done"):
        with django_assert_num_queries(len(one)):
            assert client.get(f"{url}?tab={tab}").status_code == 200


# --- closing scoring ---------------------------------------------------------------------------------
def test_closing_with_reviewers_outstanding_warns_and_needs_a_confirmation(client, reference_data):
    setup = build_gate(reviewers=3)
    put_scorecard(setup, setup.reviewers[0])
    ReviewerAssignment.objects.filter(gate=setup.gate, reviewer=setup.reviewers[1]).update(has_conflict=False)
    client.force_login(setup.chair)
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    warning = html[html.index('id="outstanding-reviewers"') :]
    warning = warning[: warning.index("</div>")]
    assert "还有 2 位专家未完成评审" in warning
    assert f"{setup.reviewers[1]} — 尚未评分" in warning
    assert f"{setup.reviewers[2]} — 未声明利益冲突" in warning
    assert str(setup.reviewers[0]) not in warning
    assert 'name="confirm_outstanding"' in warning
    close = reverse("milestones:gate_transition", args=[setup.gate.pk, "close"])
    resp = client.post(close)
    assert resp.status_code == 400
    assert "请勾选确认后再截止评分" in resp.content.decode()
    setup.gate.refresh_from_db()
    assert setup.gate.status == "open"
    assert client.post(close, {"confirm_outstanding": "on"}).status_code == 302
    setup.gate.refresh_from_db()
    assert setup.gate.status == "closed"


def test_closing_with_every_reviewer_in_needs_no_confirmation(client, reference_data):
    setup = build_gate(reviewers=2)
    for r in setup.reviewers:
        put_scorecard(setup, r)
    ReviewerAssignment.objects.create(gate=setup.gate, reviewer=UserFactory(), has_conflict=True)  # recused: not awaited
    client.force_login(setup.chair)
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    assert 'id="close-form"' in html and 'id="outstanding-reviewers"' not in html
    assert client.post(reverse("milestones:gate_transition", args=[setup.gate.pk, "close"])).status_code == 302
    setup.gate.refresh_from_db()
    assert setup.gate.status == "closed"


# --- the decision form offers what the service accepts ---------------------------------------------
def _offered(html: str) -> list[str]:
    select = html[html.index('name="outcome"') :]
    select = select[: select.index("</select>")]
    return re.findall(r'<option value="([a-z_]+)"', select)


def test_without_quorum_only_hold_is_offered_and_the_reason_is_shown(client, reference_data):
    setup = build_gate(reviewers=3)  # quorum 3
    put_scorecard(setup, setup.reviewers[0])
    GateReview.objects.filter(pk=setup.gate.pk).update(status="closed")
    Project.objects.filter(pk=setup.project.pk).update(status="screening")
    client.force_login(setup.chair)
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    assert _offered(html) == ["hold"]
    not_offered = html[html.index('id="outcomes-not-offered"') :]
    assert "通过、有条件通过、终止" in not_offered
    assert "已提交评分的专家（1 人）未达到法定人数（3 人），只能暂缓或取消本次评审。" in not_offered
    assert "返工重审" in not_offered and "不适用于立项筛选" in not_offered
    assert 'id="condition-rows"' not in html  # conditional go is not on offer
    # a forged conditional go is refused with the same reason next to the outcome field, nothing saved
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]),
        {"outcome": "conditional_go", "rationale": "x", "condition_title_1": "a", "condition_due_1": "2099-01-02"},
    )
    assert resp.status_code == 400
    body = resp.content.decode()
    field = body[body.index('for="id_outcome"') :]
    assert "未达到法定人数" in field[: field.index("</div>")]
    assert not GateDecision.objects.filter(gate=setup.gate).exists()
    # hold is the computed outcome: recorded without a rationale
    assert client.post(reverse("milestones:gate_decide", args=[setup.gate.pk]), {"outcome": "hold"}).status_code == 302
    assert GateDecision.objects.get(gate=setup.gate).outcome == "hold"


@pytest.mark.parametrize(
    ("kind", "offered"),
    [
        ("screening", ["go", "conditional_go", "hold", "kill"]),
        ("milestone", ["go", "conditional_go", "hold", "recycle", "kill"]),
    ],
)
def test_with_quorum_the_form_offers_the_outcomes_of_the_gate_kind(client, reference_data, kind, offered):
    setup = build_gate(kind=kind, reviewers=3)
    for r in setup.reviewers:
        put_scorecard(setup, r)
    GateReview.objects.filter(pk=setup.gate.pk).update(status="closed")
    client.force_login(setup.chair)
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    assert _offered(html) == offered
    assert "转入非共识通道" in html[html.index('id="outcomes-not-offered"') :]
    assert 'id="condition-rows"' in html and 'type="date"' in html
    assert ('name="new_due_date"' in html) is (kind == "milestone")
    assert "系统建议为“通过”；作出其他决定时必须填写理由" in html


@pytest.mark.parametrize("submitted", [1, 3])
@pytest.mark.parametrize("champion", [False, True])
def test_the_form_offers_exactly_what_gate_decide_accepts(reference_data, submitted, champion):
    """The offered set and the service agree: every offered outcome passes the outcome check, every
    other one is refused on ``outcome`` with the reason the form shows."""
    from milestones.selectors.gates import decision_options, gate_computed_outcome
    from milestones.services.decisions import gate_decide
    from pmflow.errors import InvalidInput

    setup = build_gate(reviewers=3)
    recs = ["go", "kill", "hold"]
    for r, rec in zip(setup.reviewers[:submitted], recs, strict=False):
        put_scorecard(setup, r, rec=rec, champion=champion)
    GateReview.objects.filter(pk=setup.gate.pk).update(status="closed")
    summary = gate_computed_outcome(gate=setup.gate)
    for option in decision_options(kind="screening", summary=summary):
        try:
            # a rationale and a bad condition so that the call stops at validation whatever the outcome
            gate_decide(
                actor=setup.chair, gate_id=setup.gate.pk, outcome=option["value"], rationale="r", conditions=[{"title": ""}]
            )
        except InvalidInput as exc:
            assert exc.fields.get("outcome") == ([option["refusal"]] if option["refusal"] else None), option
        else:  # pragma: no cover - the bad condition always refuses
            raise AssertionError(option)
    assert not GateDecision.objects.filter(gate=setup.gate).exists()


def test_decided_gate_lists_its_conditions_decision_and_no_buttons(client, reference_data):
    from milestones.models import Milestone
    from tests.factories import MilestoneFactory

    setup = build_gate(kind="milestone", reviewers=3)
    Project.objects.filter(pk=setup.project.pk).update(status="active")
    milestone = MilestoneFactory(project=setup.project, sequence=1)
    Milestone.objects.filter(pk=milestone.pk).update(status="in_review")
    GateReview.objects.filter(pk=setup.gate.pk).update(milestone=milestone, due_date=dt.date.today() - dt.timedelta(days=60))
    for r in setup.reviewers:
        put_scorecard(setup, r, rec="conditional_go")
    GateReview.objects.filter(pk=setup.gate.pk).update(status="closed")
    client.force_login(setup.chair)
    due = dt.date.today() + dt.timedelta(days=30)
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]),
        {
            "outcome": "conditional_go",
            "rationale": "整改后推进",
            "condition_title_1": "补充第三方测试报告",
            "condition_due_1": due.isoformat(),
            "condition_title_2": "完成中试线验收",
            "condition_due_2": due.isoformat(),
        },
    )
    assert resp.status_code == 302
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    table = html[html.index('id="decision-conditions"') :]
    table = table[: table.index("</table>")]
    assert table.count('class="condition-row"') == 2
    assert "补充第三方测试报告" in table and "完成中试线验收" in table and due.isoformat() in table
    assert "未开始" in table  # the task's status
    assert "整改后推进" in html and str(setup.chair) in html[html.index('id="decision-by"') :]
    # a decided gate offers no transition and no decision form, and is not "overdue"
    assert 'id="gate-transitions"' not in html and 'id="decision-form"' not in html
    assert "已逾期" not in html


def test_condition_errors_sit_inside_the_condition_rows(client, reference_data):
    from milestones.models import Milestone
    from tests.factories import MilestoneFactory

    setup = build_gate(kind="milestone", reviewers=3)
    Project.objects.filter(pk=setup.project.pk).update(status="active")
    milestone = MilestoneFactory(project=setup.project, sequence=1)
    Milestone.objects.filter(pk=milestone.pk).update(status="in_review")
    GateReview.objects.filter(pk=setup.gate.pk).update(milestone=milestone, status="closed")
    for r in setup.reviewers:
        put_scorecard(setup, r, rec="conditional_go")
    client.force_login(setup.chair)
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]),
        {"outcome": "conditional_go", "condition_title_1": "补充测试报告"},
    )
    assert resp.status_code == 400
    html = resp.content.decode()
    rows = html[html.index('id="condition-rows"') :]
    assert "第 1 项条件必须有完成期限。" in rows[: rows.index("</fieldset>")]
    assert not GateDecision.objects.filter(gate=setup.gate).exists()
