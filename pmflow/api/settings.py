"""API-only settings, read by the API code (the project settings stay with the settings owner).

Every value can be overridden from ``settings.PMFLOW_API`` (a dict) without touching this module.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Pagination: ``?page=<n>&page_size=<m>``; page_size is capped.
    "PAGE_SIZE": 50,
    "MAX_PAGE_SIZE": 200,
    # Throttle scopes (rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] when set there).
    "THROTTLE_RATES": {"token": "20/min", "writes": "600/min"},
    # Default project-list pages and project details kept per process (each), served again while the
    # portfolio data version stands (pmflow/portfolio_version.py); 0 turns the caches off.
    "CACHE_SIZE": 256,
    # Mount the bare JSON view used by bench/api_load.py as the baseline.
    "BENCH_VIEWS": False,
}


def api_setting(name: str) -> Any:
    overrides = getattr(settings, "PMFLOW_API", {}) or {}
    if name in overrides:
        return overrides[name]
    if name == "CACHE_SIZE" and os.environ.get("PMFLOW_API_CACHE_SIZE", "") != "":
        return int(os.environ["PMFLOW_API_CACHE_SIZE"])
    if name == "BENCH_VIEWS":
        return os.environ.get("PMFLOW_BENCH_VIEWS", "").lower() in {"1", "true", "yes", "on"}
    return DEFAULTS[name]
