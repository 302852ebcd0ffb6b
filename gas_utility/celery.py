"""The Celery application: the job queue (emails, alerts, exports) and the scheduler's tasks.

    celery -A gas_utility worker --loglevel=INFO        # runs the tasks
    celery -A gas_utility beat --loglevel=INFO          # enqueues the periodic jobs

Configuration comes from Django's settings (the CELERY_* names in settings/base.py).
Without REDIS_URL there is no broker: tasks run eagerly, in the process that enqueues them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gas_utility.settings.production")

app = Celery("gas_utility")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
