from django.apps import AppConfig


class CdnConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "glossary_project.cdn"
    label = "cdn"
    verbose_name = "CDN and reverse-proxy cache"

    def ready(self):
        from terms.changes import content_changed

        from . import checks  # noqa: F401 - checks register themselves
        from .services import purge_queue_for_change

        content_changed.connect(purge_queue_for_change, dispatch_uid="cdn-purge-on-change")
