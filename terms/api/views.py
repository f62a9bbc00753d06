from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils.http import http_date
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from glossary_project.cdn import tags
from glossary_project.httpcache.generation import content_generation
from glossary_project.httpcache.hits import attach_note

from .. import selectors
from ..preview import previewed_term_id
from ..search import counting
from ..search.engine import SearchResults
from ..search.suggest import SUGGESTIONS_MAX, suggestions
from .fields import fields_parameter, selected_fields
from .filters import (
    SEARCH_MAX_LENGTH,
    StrictFilterBackend,
    TermFilter,
    reject_unknown_parameters,
)
from .pagination import GlossaryPagination
from .schema import NOT_MODIFIED, PAGINATION_PARAMETERS, bad_request, error
from .serializers import (
    CategoryDetailSerializer,
    CategorySerializer,
    LetterSerializer,
    SuggestionsSerializer,
    SuggestQuerySerializer,
    TermDetailSerializer,
    TermListSerializer,
)

NO_NUL = r"^[^\x00]*$"  # Django's forms refuse a NUL character in text
SLUG = r"^[-a-zA-Z0-9_]+$"
ERRORS = {
    304: NOT_MODIFIED,
    400: bad_request(
        "A query parameter is unknown, empty or malformed. The body maps each parameter "
        'to its messages, e.g. {"letter": ["Select a valid choice. Q1 is not one of the '
        'available choices."]}.'
    ),
    404: error("Not found, not published, or past the last page."),
}


def permanent_redirect(request, view_name: str, slug: str) -> HttpResponsePermanentRedirect:
    """301 to the same view for ``slug``, keeping the query string."""
    url = reverse(view_name, kwargs={"slug": slug})
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


class PublicContentMixin:
    """Read-only, published content: cache headers and tags (glossary_project.cdn), and
    no unknown query parameters."""

    query_parameters: tuple[str, ...] = ("format",)
    cache_tags: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not self.answers_method(request.method):
            return  # a 405 (with Allow) from DRF, whatever the query says
        if not getattr(self, "filter_backends", None) or self.action != "list":
            reject_unknown_parameters(request, self)

    def answers_method(self, method: str) -> bool:
        name = method.lower()
        return name in self.http_method_names and hasattr(self, name)

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404 as error:
            raise ValidationError({"format": ["Unsupported format; use json."]}) from error

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            generation = content_generation()
            if generation is not None:
                response["Last-Modified"] = http_date(generation.changed_at.timestamp())
            tags.tag(response, *self.get_cache_tags(request))
        return response

    def get_cache_tags(self, request) -> tuple[str, ...]:
        """What the response shows, for purging shared caches when it changes."""
        return self.cache_tags


class PublicReadOnlyViewSet(
    PublicContentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """List and read by slug; nothing else (no writes were designed for content).
    `?fields=` selects the fields of each item (terms.api.fields) on both."""

    lookup_field = "slug"
    lookup_value_regex = "[^/\x00]+"  # anything else is a JSON 404 from the view
    list_query_parameters: tuple[str, ...] = ("fields",)
    retrieve_query_parameters: tuple[str, ...] = ("fields",)
    field_selection: frozenset[str] | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.answers_method(request.method):
            # Before any work: a list's unknown parameters first (its filter backend
            # checks them again, later), then the selection.
            reject_unknown_parameters(request, self)
            self.field_selection = selected_fields(request, self.get_serializer_class())

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "fields": self.field_selection}


@extend_schema_view(
    list=extend_schema(
        summary="List published terms",
        description="Paginated; filter by category, letter, search or change time.",
        parameters=[
            *PAGINATION_PARAMETERS,
            OpenApiParameter(
                "search",
                {"type": "string", "maxLength": SEARCH_MAX_LENGTH, "pattern": NO_NUL},
                description=TermFilter.base_filters["search"].extra["help_text"],
            ),
            OpenApiParameter(
                "search_exact",
                {"type": "boolean"},
                description=TermFilter.base_filters["search_exact"].extra["help_text"],
            ),
            OpenApiParameter(
                "category",
                {"type": "string", "minLength": 1, "pattern": SLUG},
                description=TermFilter.base_filters["category"].extra["help_text"],
            ),
            fields_parameter(TermListSerializer),
        ],
        responses={200: TermListSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="One term with everything its page shows",
        description="A term that was renamed answers 301 from its old slug to the new one.",
        parameters=[
            OpenApiParameter(
                "preview",
                str,
                description="A preview token (from the term's admin page) shows the term "
                "even if it is not published; such responses are private and never cached.",
            ),
            fields_parameter(TermDetailSerializer),
        ],
        responses={
            200: TermDetailSerializer,
            301: OpenApiResponse(description="Renamed: Location is the term's address now."),
            **ERRORS,
        },
    ),
)
class TermViewSet(PublicReadOnlyViewSet):
    filter_backends = [StrictFilterBackend]
    filterset_class = TermFilter
    pagination_class = GlossaryPagination
    list_query_parameters = ("page", "page_size", "fields")
    retrieve_query_parameters = ("preview", "fields")
    page_tags: tuple[str, ...] = ()

    def get_queryset(self):
        return selectors.term_list()

    def get_cache_tags(self, request) -> tuple[str, ...]:
        if self.action == "retrieve":
            return self.page_tags
        if request.query_params.get("search"):
            return (tags.TERMS_LIST, tags.SEARCH)
        return (tags.TERMS_LIST,)

    def list(self, request, *args, **kwargs):
        found = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(found)
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        results = self.paginator.page.paginator.count
        if isinstance(found, SearchResults):
            closest = found.closest_titles() if results == 0 else []
            response.data["search_corrected_to"] = found.corrected_to
            response.data["search_suggestions"] = self.get_serializer(closest, many=True).data
        search = request.query_params.get("search")
        if search:  # counted as typed, with what the (corrected) search found
            if counting.is_reader(request):
                counting.record_search(search, results)
            attach_note(response, counting.cache_note(search, results))
        return response

    def retrieve(self, request, *args, **kwargs):
        slug, preview = kwargs["slug"], request.query_params.get("preview")
        preview_id = previewed_term_id(preview)
        whole = TermDetailSerializer.needs_lists(self.field_selection)
        try:
            page = selectors.term_page(slug=slug, preview_id=preview_id, whole=whole)
        except Http404:
            moved_to = selectors.current_slug(slug, preview_id=preview_id)
            if moved_to is not None:
                return permanent_redirect(request, "api:term-detail", moved_to)
            if preview:
                raise NotFound(
                    "Not found, or the preview link is invalid or has expired."
                ) from None
            raise
        self.page_tags = tags.term_page_tags(
            term_id=page.term.pk, category_id=page.term.category_id, shown=page.shown_term_ids
        )
        return Response(self.get_serializer(page).data)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if "preview" in request.query_params:
            # A draft must never reach a shared cache (or a search engine).
            response["Cache-Control"] = "private, no-store"
            response["X-Robots-Tag"] = "noindex"
            del response["Last-Modified"]
        return response

    def get_serializer_class(self):
        return TermDetailSerializer if self.action == "retrieve" else TermListSerializer


@extend_schema_view(
    list=extend_schema(
        summary="All categories with their shared FAQs and published term counts",
        parameters=[fields_parameter(CategorySerializer)],
        responses={200: CategorySerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="One category, with its schema.org markup",
        parameters=[fields_parameter(CategoryDetailSerializer)],
        responses={200: CategoryDetailSerializer, **ERRORS},
    ),
)
class CategoryViewSet(PublicReadOnlyViewSet):
    pagination_class = None
    category_tag = ""

    def get_cache_tags(self, request) -> tuple[str, ...]:
        if self.action == "retrieve":  # with its term count
            return (self.category_tag, tags.TERMS_LIST)
        return (tags.CATEGORIES_LIST,)

    def get_queryset(self):
        return selectors.public_categories()

    def get_serializer_class(self):
        return CategoryDetailSerializer if self.action == "retrieve" else CategorySerializer

    def list(self, request, *args, **kwargs):
        categories = selectors.with_readers_html(self.get_queryset())
        return Response(self.get_serializer(categories, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        [category] = selectors.with_readers_html([self.get_object()])
        self.category_tag = tags.category(category.pk)
        return Response(self.get_serializer(category).data)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "term_counts": selectors.category_term_counts()}


class LettersView(PublicContentMixin, APIView):
    action = "letters"
    cache_tags = (tags.LETTERS,)

    @extend_schema(
        summary="The A–Z index",
        description="Every letter A–Z and 0-9, with its number of published terms (zero included).",
        responses={200: LetterSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        rows = selectors.letter_counts()
        return Response(LetterSerializer(rows, many=True, context={"request": request}).data)


class SuggestView(PublicContentMixin, APIView):
    action = "suggest"
    cache_tags = (tags.TERMS_LIST, tags.SEARCH)
    query_parameters = ("format", "q", "limit")

    @extend_schema(
        summary="Suggest titles and aliases as a reader types",
        description="Up to 8 published terms for the text typed so far: first those whose "
        "title or an alias starts with it, then those whose words start with the words "
        "typed, in order (`lang mod` finds Large Language Model), then those that contain "
        "it. Case, accents and punctuation are ignored (`fine tun` finds Fine-Tuning). "
        "Each term comes once, with the alias that matched (null for the title).",
        parameters=[
            OpenApiParameter(
                "q",
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": SEARCH_MAX_LENGTH,
                    "pattern": NO_NUL,
                },
                required=True,
                description=SuggestQuerySerializer().fields["q"].help_text,
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": SUGGESTIONS_MAX},
                description=SuggestQuerySerializer().fields["limit"].help_text,
            ),
        ],
        responses={200: SuggestionsSerializer, **ERRORS},
    )
    def get(self, request):
        asked = SuggestQuerySerializer(data=request.query_params)
        asked.is_valid(raise_exception=True)
        query, limit = asked.validated_data["q"], asked.validated_data["limit"]
        found = suggestions(query, limit=limit)
        return Response(SuggestionsSerializer((query, found), context={"request": request}).data)


class SchemaView(SpectacularAPIView):
    """/api/schema/: the schema in YAML, or JSON with ?format=json; an error (an unknown
    format) in JSON, as every error under /api/ is, not in the schema's YAML."""

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
