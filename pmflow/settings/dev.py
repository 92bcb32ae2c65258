"""Development and `make run`: embedded defaults (SQLite, filesystem broker), DEBUG on."""

from pmflow.settings.base import *  # noqa: F403
from pmflow.settings.base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
