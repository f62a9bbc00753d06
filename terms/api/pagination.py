from django.core.paginator import EmptyPage, Paginator
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from ..selectors import count_of


class GlossaryPagination(PageNumberPagination):
    """Page numbers with a strict reading of ``page`` and ``page_size``.

    A malformed value is a 400 naming the parameter, a page past the end a 404, and
    the total comes from ``count_of`` (once per content change, not per request).
    """

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._positive_int(request, self.page_size_query_param, self.page_size)
        if size > self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"At most {self.max_page_size} items a page."]}
            )
        number = self._positive_int(request, self.page_query_param, 1)
        paginator = Paginator(queryset, size)
        paginator.count = self.count(queryset)
        try:
            self.page = paginator.page(number)
        except EmptyPage as error:
            raise NotFound(
                f"There is no page {number}; the last page is {paginator.num_pages}."
            ) from error
        return list(self.page)

    def count(self, queryset) -> int:
        if isinstance(queryset, QuerySet):
            return count_of(queryset)
        return queryset.count()  # search results count once per content change themselves

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] |= {
            "search_corrected_to": {
                "type": "string",
                "nullable": True,
                "description": "Only with `search`: the query actually run when words of "
                "it were corrected (a misspelling, two words written as one), else null. "
                "Show it as “Showing results for …”, and offer the words as typed with "
                "`search_exact=true`.",
                "example": "mechanistic interpretability",
            },
            "search_suggestions": {
                "type": "array",
                "items": schema["items"],
                "description": "Only with `search`: when nothing was found, the terms whose "
                "title or an alias is most like the query (at most 3), else empty.",
            },
        }
        return paginated

    @staticmethod
    def _positive_int(request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ValidationError({name: ["Must be a whole number, 1 or more."]})
        return int(raw)
