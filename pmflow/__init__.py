"""pmflow: the programme-manager team mechanism of 沪府办规〔2025〕8号.

The Celery app is imported here so that ``@shared_task`` binds to it whenever Django starts.
"""

from pmflow.celery import app as celery_app

__all__ = ["celery_app"]
