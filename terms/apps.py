from django.apps import AppConfig


class TermsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "terms"
    verbose_name = "Glossary"

    def ready(self):
        from glossary_project.httpcache.hits import on_hit
        from glossary_project.httpcache.invalidation import watch

        from . import changes, models
        from .revisions import register_models
        from .search import counting

        register_models()
        # API searches answered from the response cache are counted too.
        on_hit(counting.count_cached_search)

        # Everything the public can see: any write moves the content generation.
        watch(
            models.Category,
            models.Term,
            models.FormerSlug,
            models.KeyConsideration,
            models.FAQ,
            models.Reference,
            models.TermReference,
            models.SiteSettings,
            relations=[models.Term.related.through],
        )
        # The same models, for the change feed (webhooks, CDN purges).
        changes.track()
