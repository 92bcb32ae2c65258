"""A person's data: exported as JSON (user row without the password, memberships, assignments and
scorecards, notifications, audit rows they acted in), then anonymised by an admin: names replaced,
login disabled, every link and audit row kept."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError

from pmflow.audit import audit_record
from pmflow.models import AuditEntry, Notification, User
from tests.factories import GateReviewFactory, UserFactory, make_admin


@pytest.fixture
def reviewer(reference_data):
    person = UserFactory(
        username="expert_zhang", display_name="张专家", email="zhang@example.cn", first_name="伟", last_name="张"
    )
    gate = GateReviewFactory()
    assignment = apps.get_model("milestones", "ReviewerAssignment").objects.create(gate=gate, reviewer=person, has_conflict=False)
    scorecard = apps.get_model("milestones", "Scorecard").objects.create(
        assignment=assignment, recommendation="go", comments="技术路线清晰", weighted_score=Decimal("86.50")
    )
    audit_record(obj=scorecard, actor=person, action="scorecard_submit", data={"gate": gate.pk})
    Notification.objects.create(
        recipient=person,
        kind="review_due",
        content_type=ContentType.objects.get_for_model(gate),
        object_id=str(gate.pk),
        subject="评审即将到期",
    )
    return person


def test_export_holds_everything_about_the_person_and_no_password(reviewer):
    out = io.StringIO()
    call_command("person_export", "expert_zhang", stdout=out)
    data = json.loads(out.getvalue())
    assert data["person"]["fields"]["username"] == "expert_zhang"
    assert data["person"]["fields"]["email"] == "zhang@example.cn"
    assert "password" not in data["person"]["fields"]
    records = data["records"]
    (assignment,) = records["milestones.reviewerassignment.reviewer"]
    (scorecard,) = records["milestones.scorecard.assignment"]
    assert scorecard["fields"]["comments"] == "技术路线清晰" and scorecard["fields"]["assignment"] == assignment["pk"]
    assert [r["fields"]["action"] for r in records["pmflow.auditentry.actor"]] == ["scorecard_submit"]
    assert [r["fields"]["subject"] for r in records["pmflow.notification.recipient"]] == ["评审即将到期"]


def test_anonymise_replaces_names_and_keeps_scorecards_and_audit_rows(reviewer):
    admin = make_admin(username="sstc_admin_ops")
    audit_before = list(AuditEntry.objects.filter(actor=reviewer).values())
    scorecard_model = apps.get_model("milestones", "Scorecard")
    scorecard = scorecard_model.objects.get(assignment__reviewer=reviewer)

    call_command("person_anonymise", "expert_zhang", actor="sstc_admin_ops", stdout=io.StringIO())

    person = User.objects.get(pk=reviewer.pk)
    assert person.username == f"departed-{reviewer.pk}"
    assert (person.first_name, person.last_name, person.email) == ("", "", "")
    assert "张" not in str(person) and str(reviewer.pk) in str(person)
    assert not person.is_active and not person.has_usable_password()
    assert person.calendar_token != reviewer.calendar_token
    # Links kept: the same scorecard of the same assignment of the same user id; audit rows untouched.
    kept = scorecard_model.objects.get(pk=scorecard.pk)
    assert kept.assignment.reviewer_id == reviewer.pk and kept.comments == "技术路线清晰"
    assert list(AuditEntry.objects.filter(actor=reviewer).values()) == audit_before
    anonymised = AuditEntry.objects.get(action="person_anonymise")
    assert anonymised.actor == admin and anonymised.object_id == str(reviewer.pk)
    assert not Notification.objects.filter(recipient=reviewer, status="pending").exists()
    # The export now shows the placeholder, nothing of the old identity.
    exported = io.StringIO()
    call_command("person_export", f"departed-{reviewer.pk}", stdout=exported)
    assert "expert_zhang" not in exported.getvalue() and "zhang@example.cn" not in exported.getvalue()
    # The old login is gone.
    assert not User.objects.filter(username="expert_zhang").exists()


def test_only_an_admin_may_anonymise_and_not_themself(reviewer):
    UserFactory(username="plain_pm")
    with pytest.raises(CommandError, match="只有管理员"):
        call_command("person_anonymise", "expert_zhang", actor="plain_pm")
    make_admin(username="admin_self")
    with pytest.raises(CommandError, match="不能匿名化自己"):
        call_command("person_anonymise", "admin_self", actor="admin_self")
    assert User.objects.get(pk=reviewer.pk).username == "expert_zhang"
