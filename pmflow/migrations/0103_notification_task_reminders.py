# Task reminder kinds; fewer indexes on the outbox (every index costs each reminder written).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("pmflow", "0102_notification_delivery_claim"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("review_due", "评审即将到期"),
                    ("review_overdue", "评审已逾期"),
                    ("review_escalation", "评审逾期升级"),
                    ("milestone_due", "里程碑即将到期"),
                    ("milestone_overdue", "里程碑已逾期"),
                    ("milestone_escalation", "里程碑逾期升级"),
                    ("review_assigned", "评审任务分配"),
                    ("gate_decided", "关口评审决定"),
                    ("state_changed", "状态变更"),
                    ("change_request", "变更申请"),
                    ("assessment_open", "评估开始"),
                    ("task_condition", "整改条件任务"),
                    ("digest", "每日摘要"),
                    ("delivery_delayed", "邮件发送受阻"),
                    ("task_due", "任务即将到期"),
                    ("task_overdue", "任务已逾期"),
                    ("task_overdue_weekly", "逾期任务周报"),
                ],
                max_length=32,
                verbose_name="类型",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="recipient",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="content_type",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, to="contenttypes.contenttype"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "待发送"),
                    ("sending", "发送中"),
                    ("sent", "已发送"),
                    ("failed", "发送失败"),
                    ("digested", "已并入摘要"),
                    ("skipped", "无需发送"),
                ],
                default="pending",
                max_length=16,
                verbose_name="状态",
            ),
        ),
    ]
