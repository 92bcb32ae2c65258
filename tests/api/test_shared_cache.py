"""Two worker processes share one cache (Django's, Redis): a throttle count made in one is seen by
the other, and so is a cached hot read (issue 14: per-process counters made the documented rates as
many times looser as there were gunicorn workers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

WORKER = r"""
import json, sys
import django
django.setup()
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from pmflow.api.base import TokenThrottle

scope, requests, put, get = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

class Throttle(TokenThrottle):
    def get_rate(self):
        return "3/min"
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": scope, "ident": "203.0.113.7"}

allowed = [Throttle().allow_request(Request(APIRequestFactory().post("/")), None) for _ in range(requests)]
if put:
    cache.set(put, {"from": "first"}, 60)
print(json.dumps({"allowed": allowed, "got": cache.get(get) if get else None, "backend": __import__("django.conf").conf.settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[1]}))
"""


def _worker(*args: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pmflow.settings.test", "REDIS_URL": settings.REDIS_URL}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_processes_share_one_throttle_count_and_one_cache():
    scope, key = f"shared-{uuid.uuid4().hex}", f"pmflow:test:{uuid.uuid4().hex}"
    first = _worker(scope, "2", key, "")
    second = _worker(scope, "2", "", key)
    assert first["backend"] == second["backend"] == "RedisCache"
    assert first["allowed"] == [True, True]
    assert second["allowed"] == [True, False]  # the rate is 3 a minute across both processes
    assert second["got"] == {"from": "first"}
