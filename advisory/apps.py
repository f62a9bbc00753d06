from django.apps import AppConfig


class AdvisoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "advisory"

    def ready(self):
        from . import checks  # noqa: F401 - registers the checks
