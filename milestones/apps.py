from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MilestonesConfig(AppConfig):
    name = "milestones"
    verbose_name = _("里程碑与关口评审")

    def ready(self) -> None:
        # The core's daily reminder sweep runs the sources the apps register (it imports no app);
        # models are loaded by now, so the sources' module can be imported here.
        from milestones.services.reminders import milestone_reminder_rows, review_reminder_rows
        from pmflow.services.reminders import reminder_source_register

        reminder_source_register("milestones.gate_reviews", review_reminder_rows)
        reminder_source_register("milestones.milestones", milestone_reminder_rows)
