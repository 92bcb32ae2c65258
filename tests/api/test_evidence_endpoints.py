"""Evidence in the API: list what the caller may read (the web's rule), upload by multipart through
the same service (400 naming ``file`` for a refused file, nothing stored; 403 for a reviewer; 404 for
another PM team), the file read back only through the web download view."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from milestones.models import Evidence
from milestones.services.evidence import evidence_add
from tests.api.conftest import client_for
from tests.web.evidence_world import PDF, build_world, pdf

pytestmark = pytest.mark.django_db

URL = "/api/v1/evidence/"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def world(reference_data, media):
    return build_world()


def _files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def _post(user, milestone, file, **extra):
    data = {"milestone": milestone.pk, "title": "测试报告", "kind": "test_result", "file": file, **extra}
    return client_for(user).post(URL, data, format="multipart")


def test_project_lead_uploads_and_the_team_lists_it(world, media):
    resp = _post(world.project_lead, world.in_progress, pdf("r.pdf"))
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["title"] == "测试报告" and body["original_name"] == "r.pdf" and body["size"] == len(PDF)
    assert body["download_url"].endswith(f"/evidence/{body['id']}/download/")
    listed = client_for(world.pm_member).get(URL, {"milestone": world.in_progress.pk}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    download = client_for(world.pm_member).get(body["file_url"])
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF and download["X-Content-Type-Options"] == "nosniff"
    assert client_for(world.other_team_member).get(body["file_url"]).status_code == 404


@pytest.mark.parametrize("who", ["reviewer_other_gate", "reviewer_recused", "reviewer_undeclared", "other_team_member"])
def test_list_and_detail_hide_evidence_from_who_may_not_see_it(world, who):
    e = evidence_add(actor=world.pm_member, milestone_id=world.in_progress.pk, title="t", kind="report", file=pdf())
    client = client_for(getattr(world, who))
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{e.pk}/").status_code == 404


def test_unconflicted_reviewer_of_the_gate_lists_it(world):
    e = evidence_add(actor=world.pm_member, milestone_id=world.in_progress.pk, title="t", kind="report", file=pdf())
    assert [r["id"] for r in client_for(world.reviewer_ok).get(URL).json()["results"]] == [e.pk]


def test_refused_file_is_a_400_naming_file_and_nothing_is_stored(world, media):
    resp = _post(world.project_lead, world.in_progress, SimpleUploadedFile("r.pdf", b"<html><script></script></html>"))
    assert resp.status_code == 400
    assert "file" in resp.json()["error"]["fields"]
    assert not Evidence.objects.exists() and _files(media) == []


def test_oversized_file_is_a_400_and_nothing_is_stored(world, media, settings):
    settings.PMFLOW = {**settings.PMFLOW, "EVIDENCE_MAX_BYTES": 100}
    resp = _post(world.project_lead, world.in_progress, pdf(body=PDF * 10))
    assert resp.status_code == 400 and "file" in resp.json()["error"]["fields"]
    assert not Evidence.objects.exists() and _files(media) == []


def test_missing_fields_are_named(world, media):
    resp = client_for(world.pm_member).post(URL, {"milestone": world.in_progress.pk}, format="multipart")
    assert resp.status_code == 400
    assert {"title", "kind", "file"} <= set(resp.json()["error"]["fields"])


def test_reviewer_upload_is_403_and_other_team_404(world, media):
    assert _post(world.reviewer_ok, world.in_progress, pdf()).status_code == 403
    assert _post(world.other_team_member, world.in_progress, pdf()).status_code == 404
    assert not Evidence.objects.exists() and _files(media) == []


def test_upload_to_a_planned_milestone_is_a_409(world, media):
    assert _post(world.pm_member, world.planned, pdf()).status_code == 409
    assert _files(media) == []


def test_bad_milestone_filter_is_a_400(world):
    resp = client_for(world.pm_member).get(URL, {"milestone": "x"})
    assert resp.status_code == 400 and "milestone" in resp.json()["error"]["fields"]
