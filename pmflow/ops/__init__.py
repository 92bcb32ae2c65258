"""Operations: readiness, backup and restore, metrics, request ids in logs, personal-data requests.

A core package (imports no app): where it needs an app's model it asks ``django.apps.apps.get_model``.
See docs/operations.md."""
