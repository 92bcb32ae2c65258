"""Factories for every model. Reference data (directions, fields, tiers, categories, measures) is
not built by factories: tests use the real policy data loaded by the ``reference_data`` fixture."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from milestones.models import Committee, GateReview, Milestone
from pmflow.models import Organisation, User
from pmflow.rules import PROGRAMME_ADMIN_GROUP
from projects.models import Field, KeyTaskList, PMTeam, PMTeamMembership, Project, Task, TaskCategory


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试单位{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password("pw-secret-123")


def make_admin(**kwargs) -> User:
    user = UserFactory(**kwargs)
    group, _ = Group.objects.get_or_create(name=PROGRAMME_ADMIN_GROUP)
    user.groups.add(group)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


class PMTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PMTeam
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"项目经理团队{n}")
    lead = factory.SubFactory(UserFactory)
    term_start = dt.date(2025, 10, 1)
    term_end = dt.date(2030, 9, 25)
    non_consensus_quota = 2

    @factory.post_generation
    def with_lead_membership(self, create, extracted, **kwargs):
        if create:
            PMTeamMembership.objects.get_or_create(team=self, user=self.lead, defaults={"role": PMTeamMembership.Role.LEAD})


def add_member(team: PMTeam, user: User | None = None) -> User:
    user = user or UserFactory()
    PMTeamMembership.objects.create(team=team, user=user, role=PMTeamMembership.Role.MEMBER)
    return user


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"FI-2026-{n:04d}")
    title = factory.Sequence(lambda n: f"测试项目{n}")
    field = factory.LazyFunction(lambda: Field.objects.get(code="quantum"))
    pm_team = factory.SubFactory(PMTeamFactory)
    performer = factory.SubFactory(OrganisationFactory)
    lead = factory.SubFactory(UserFactory)
    budget = Decimal("10000000.00")
    support_mode = "direct_subsidy"
    planned_start = dt.date(2026, 1, 5)
    planned_end = dt.date(2028, 12, 29)


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    name = factory.Sequence(lambda n: f"评审委员会{n}")
    chair = factory.SubFactory(UserFactory)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"里程碑{n}")
    baseline_due = dt.date(2026, 12, 31)
    current_due = factory.LazyAttribute(lambda o: o.baseline_due)
    tranche_amount = Decimal("1000000.00")


class GateReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GateReview

    kind = "screening"
    project = factory.SubFactory(ProjectFactory)
    committee = factory.SubFactory(CommitteeFactory)
    chair = factory.LazyAttribute(lambda o: o.committee.chair)
    quorum = 3
    due_date = dt.date(2026, 12, 31)


class KeyTaskListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyTaskList

    pm_team = factory.SubFactory(PMTeamFactory)
    title = factory.Sequence(lambda n: f"重点任务清单{n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    task_list = factory.SubFactory(KeyTaskListFactory)
    category = factory.LazyFunction(lambda: TaskCategory.objects.order_by("order").first())
    title = factory.Sequence(lambda n: f"任务{n}")
    start_date = dt.date(2026, 1, 1)
    due_date = dt.date(2026, 12, 31)
