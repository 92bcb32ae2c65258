"""Production settings pass ``manage.py check --deploy`` with no warnings, and refuse to start
without a real secret key."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pmflow.settings.production",
            "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
            "CELERY_BROKER_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        }
    )
    env.update(extra)
    return env


def test_check_deploy_reports_no_warnings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(DJANGO_SECRET_KEY=secrets.token_urlsafe(64))
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_production_refuses_a_missing_or_short_secret_key():
    for key in ("", "too-short"):
        result = run_manage("check", env=production_env(DJANGO_SECRET_KEY=key))
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY" in result.stderr
