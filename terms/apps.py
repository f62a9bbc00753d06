from django.apps import AppConfig


class TermsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "terms"
    verbose_name = "Glossary"

    def ready(self):
        from . import checks, signals  # noqa: F401 - checks register themselves

        signals.connect()
