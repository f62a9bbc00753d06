from django.db import models


class ContentGeneration(models.Model):
    """The one durable record of which content is current: a single row whose value moves,
    in the same transaction, with every change to published content.

    The shared cache (Redis) mirrors it so that readers learn of a change on their next
    request; when the mirror fails, every process still finds the new value here within
    CONTENT_GENERATION_CHECK_SECONDS.
    """

    ROW = 1

    # Nanoseconds since 1970 at the change (or the last value plus one, if the clock is
    # behind it): it only ever grows, and doubles as the content's Last-Modified time.
    value = models.BigIntegerField()

    class Meta:
        verbose_name = "content generation"

    def __str__(self) -> str:
        return str(self.value)
