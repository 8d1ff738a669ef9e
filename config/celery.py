"""The Celery app: `celery -A config worker` / `celery -A config beat`.

Broker and result backend are Redis (REDIS_URL); every setting is `CELERY_*` in settings.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
