from django.apps import AppConfig


class WorkerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "glossary_project.worker"
    label = "worker"
    verbose_name = "Background worker"
