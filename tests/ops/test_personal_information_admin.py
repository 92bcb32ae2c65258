"""The user admin offers the export and anonymise actions to a programme admin."""

from __future__ import annotations

import json

from django.urls import reverse

from pmflow.models import AuditEntry, User
from tests.factories import UserFactory, make_admin


def test_admin_exports_and_anonymises_a_person_from_the_user_list(db, client):
    admin_user = make_admin(username="ops_admin")
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    person = UserFactory(username="pm_departed", display_name="李经理", email="li@example.cn")
    client.force_login(admin_user)
    url = reverse("admin:pmflow_user_changelist")

    response = client.post(url, {"action": "person_export_action", "_selected_action": [person.pk]})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    exported = json.loads(response.content)
    assert exported["pm_departed"]["person"]["fields"]["email"] == "li@example.cn"

    response = client.post(url, {"action": "person_anonymise_action", "_selected_action": [person.pk]}, follow=True)
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.username == f"departed-{person.pk}" and person.email == "" and not person.is_active
    assert AuditEntry.objects.filter(action="person_anonymise", object_id=str(person.pk), actor=admin_user).exists()
    assert User.objects.filter(pk=person.pk).count() == 1  # the row, and every link to it, stays
