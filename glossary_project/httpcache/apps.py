from django.apps import AppConfig


class HttpCacheConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "glossary_project.httpcache"
    label = "httpcache"
    verbose_name = "HTTP cache"

    def ready(self):
        from . import checks  # noqa: F401 - checks register themselves
