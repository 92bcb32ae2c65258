"""Development and `make run`: embedded defaults (SQLite, filesystem broker), DEBUG on."""

from pmflow.settings.base import *  # noqa: F403
from pmflow.settings.base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
# Serve static files straight from the apps' folders too, so a dev server works before collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
