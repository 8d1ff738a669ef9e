from django.apps import AppConfig


class CleanupConfig(AppConfig):
    name = "cleanup"
