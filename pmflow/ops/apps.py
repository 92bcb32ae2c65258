from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "pmflow.ops"
    label = "ops"
    verbose_name = _("运维")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Celery signals that carry the request id from a web request into the tasks it enqueues.
        from pmflow.ops import request_id

        request_id.connect_celery_signals()
