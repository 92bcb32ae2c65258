"""Notification preferences: reading the page writes nothing; saving goes through
notification_preference_set, which audits what changed and writes nothing when nothing did."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pmflow.audit import audit_trail_for
from pmflow.models import NotificationPreference
from pmflow.services.preferences import notification_preference_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_opening_the_preferences_page_creates_no_row(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("preferences"))
    assert response.status_code == 200
    assert not NotificationPreference.objects.filter(user=user).exists()


def test_saving_the_form_stores_the_choice_with_an_audit_row(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("preferences"), {"daily_digest": "on"})  # e-mail box left unticked
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=user)
    assert (pref.email_enabled, pref.daily_digest) == (False, True)
    entry = audit_trail_for(pref).get()
    assert entry.action == "update_preferences"
    assert entry.data == {
        "before": {"email_enabled": True, "daily_digest": False},
        "after": {"email_enabled": False, "daily_digest": True},
    }


def test_saving_the_same_choice_again_writes_nothing():
    user = UserFactory()
    notification_preference_set(actor=user, email_enabled=False, daily_digest=True)
    pref = NotificationPreference.objects.get(user=user)
    notification_preference_set(actor=user, email_enabled=False, daily_digest=True)
    assert audit_trail_for(pref).count() == 1
