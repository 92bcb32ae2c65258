from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PmflowConfig(AppConfig):
    name = "pmflow"
    label = "pmflow"
    verbose_name = _("平台核心")
