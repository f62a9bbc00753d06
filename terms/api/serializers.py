from datetime import UTC

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..jsonld import category_json_ld, term_json_ld
from ..search.suggest import SUGGESTIONS_MAX
from .fields import only_selected
from .filters import NOT_EMPTY_MESSAGE, SEARCH_MAX_LENGTH


def absolute(context, path: str) -> str:
    return context["request"].build_absolute_uri(path)


class CategoryRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class FAQSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField(help_text="Markdown.")
    answer_html = serializers.CharField(help_text="Sanitised HTML rendered from the answer.")


class ReferenceSerializer(serializers.Serializer):
    title = serializers.CharField()
    publisher = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(help_text="The source, http(s); empty when there is none.")


class RelatedTermSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()


class LinkedTermSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The linked term in the API.")
    web_url = serializers.CharField(help_text="The linked term's public page.")


class CallToActionSerializer(serializers.Serializer):
    heading = serializers.CharField()
    body = serializers.CharField(help_text="Markdown, {term} replaced by the title.")
    body_html = serializers.CharField(help_text="Sanitised HTML rendered from the body.")
    inquiry_url = serializers.CharField(help_text="The advisory contact form for this term.")


def iso_time(moment) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in UTC, with Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


class TermListSerializer(serializers.Serializer):
    """One term in a list.

    The fields below document the payload (the OpenAPI schema is built from them);
    ``to_representation`` writes the same keys directly, because DRF's per-field
    machinery costs more than the database on a list page. Tests hold the two together.
    """

    slug = serializers.CharField()
    title = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()
    category = CategoryRefSerializer()
    in_development = serializers.BooleanField(
        help_text="True when the entry carries a note that its content is still being developed."
    )
    updated_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When an editor last checked the entry (publishing counts); null if never.",
    )
    url = serializers.CharField(help_text="This term in the API.")
    web_url = serializers.CharField(help_text="This term's public page.")

    def to_representation(self, term) -> dict:
        # `fields` in the context: the selection of terms.api.fields (None: every field).
        return only_selected(self.represent(term), self.context.get("fields"))

    def represent(self, term) -> dict:
        """Every field of the item, in the order declared above."""
        api_base, web_base = self.url_bases()
        return {
            "slug": term.slug,
            "title": term.title,
            "aliases": term.alias_list,
            "summary": term.summary,
            "category": {"slug": term.category.slug, "name": term.category.name},
            "in_development": term.in_development,
            "updated_at": iso_time(term.updated_at),
            "reviewed_at": iso_time(term.reviewed_at),
            "url": f"{api_base}{term.slug}/",
            "web_url": f"{web_base}{term.slug}/",
        }

    def url_bases(self) -> tuple[str, str]:
        """Absolute addresses of the API's and the site's term lists, worked out once."""
        if not hasattr(self, "_url_bases"):
            self._url_bases = (
                absolute(self.context, reverse("api:term-list")),
                absolute(self.context, reverse("terms:glossary_index")),
            )
        return self._url_bases


class TermDetailSerializer(TermListSerializer):
    """A whole term page (a selectors.TermPage); written directly, as the list is."""

    definition = serializers.CharField(help_text="Markdown.")
    definition_html = serializers.CharField(help_text="Sanitised HTML, term links resolved.")
    why_it_matters = serializers.CharField(help_text="Markdown: why it matters for business.")
    why_it_matters_html = serializers.CharField(help_text="Sanitised HTML, term links resolved.")
    key_considerations = serializers.ListField(child=serializers.CharField())
    faqs = FAQSerializer(many=True, help_text="The term's own questions, then its category's.")
    references = ReferenceSerializer(many=True)
    related = RelatedTermSerializer(many=True, help_text="Published related terms only.")
    links_to = LinkedTermSerializer(
        many=True,
        help_text="The published terms this one links to in its text (definition, why it "
        "matters, FAQ answers, call to action), once each, in order of first appearance. "
        'In the HTML fields such a link is <a class="term-link">; a link to a term '
        "that is not published is its label alone.",
    )
    cta = CallToActionSerializer(help_text="The call to action closing the page.")
    published_at = serializers.DateTimeField()
    json_ld = serializers.JSONField(
        help_text="schema.org DefinedTerm in its DefinedTermSet, and a FAQPage of the "
        "term's own FAQs (shared FAQs are marked up on their category)."
    )

    @staticmethod
    def needs_lists(fields: frozenset[str] | None) -> bool:
        """Whether the selection asks for more than a list item has: if not, the page
        need not read its lists (selectors.term_page's ``whole``)."""
        return fields is None or not fields <= TermListSerializer._declared_fields.keys()

    def represent(self, page) -> dict:
        data = super().represent(page)
        fields = self.context.get("fields")
        if not self.needs_lists(fields):
            return data
        api_base, web_base = self.url_bases()
        data |= {
            "definition": page.definition,
            "definition_html": page.definition_html,
            "why_it_matters": page.why_it_matters,
            "why_it_matters_html": page.why_it_matters_html,
            "key_considerations": page.key_considerations,
            "faqs": [faq._asdict() for faq in page.faqs],
            "references": [reference._asdict() for reference in page.references],
            "related": [related._asdict() for related in page.related],
            "links_to": [
                {
                    "slug": linked.slug,
                    "title": linked.title,
                    "url": f"{api_base}{linked.slug}/",
                    "web_url": f"{web_base}{linked.slug}/",
                }
                for linked in page.links_to
            ],
            "cta": {
                "heading": page.cta.heading,
                "body": page.cta.body,
                "body_html": page.cta.body_html,
                "inquiry_url": absolute(
                    self.context, f"{reverse('advisory:inquiry_form')}?term={page.slug}"
                ),
            },
            "published_at": iso_time(page.published_at),
        }
        if fields is None or "json_ld" in fields:  # built only when asked for
            data["json_ld"] = term_json_ld(
                page.term,
                own_faqs=page.own_faqs,
                term_url=data["web_url"],
                category_url=absolute(self.context, page.category.get_absolute_url()),
            )
        return data


class CategorySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(help_text="Markdown.")
    description_html = serializers.CharField(
        help_text="Sanitised HTML rendered from the description, term links resolved."
    )
    term_count = serializers.SerializerMethodField(help_text="Published terms in the category.")
    faqs = FAQSerializer(
        many=True, source="page_faqs", help_text="Questions shared by every term in it."
    )
    url = serializers.SerializerMethodField(help_text="This category in the API.")
    web_url = serializers.SerializerMethodField(help_text="This category's public page.")
    terms_url = serializers.SerializerMethodField(help_text="Its published terms in the API.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `fields` in the context (terms.api.fields): the others are not even computed.
        selected = self.context.get("fields")
        if selected is not None:
            for name in set(self.fields) - selected:
                del self.fields[name]

    def get_term_count(self, category) -> int:
        return self.context["term_counts"].get(category.pk, 0)

    def get_url(self, category) -> str:
        return absolute(self.context, reverse("api:category-detail", args=[category.slug]))

    def get_web_url(self, category) -> str:
        return absolute(self.context, category.get_absolute_url())

    def get_terms_url(self, category) -> str:
        return absolute(self.context, f"{reverse('api:term-list')}?category={category.slug}")


class CategoryDetailSerializer(CategorySerializer):
    json_ld = serializers.SerializerMethodField(
        help_text="schema.org DefinedTermSet, and a FAQPage of the shared FAQs."
    )

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_json_ld(self, category):
        return category_json_ld(
            category,
            category_url=self.get_web_url(category),
            shared_faqs=category.page_faqs,
        )


class LetterSerializer(serializers.Serializer):
    letter = serializers.CharField(help_text="A to Z, or 0-9.")
    count = serializers.IntegerField(help_text="Published terms under this letter.")
    terms_url = serializers.SerializerMethodField()

    def get_terms_url(self, row) -> str:
        return absolute(self.context, f"{reverse('api:term-list')}?letter={row['letter']}")


class SuggestQuerySerializer(serializers.Serializer):
    """The query string of /api/v1/suggest/ (DRF's CharField refuses a NUL character)."""

    q = serializers.CharField(
        max_length=SEARCH_MAX_LENGTH,
        help_text="What the reader has typed so far, e.g. `mec`.",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=SUGGESTIONS_MAX,
        default=SUGGESTIONS_MAX,
        help_text=f"How many suggestions at most (1–{SUGGESTIONS_MAX}; {SUGGESTIONS_MAX} "
        "when absent).",
    )

    def validate(self, attrs):
        # Given empty, DRF would take the default: a parameter given must say something,
        # as the term list's filters require.
        if not str(self.initial_data.get("limit", "x")).strip():
            raise serializers.ValidationError({"limit": [NOT_EMPTY_MESSAGE]})
        return attrs


class SuggestionSerializer(serializers.Serializer):
    title = serializers.CharField()
    slug = serializers.CharField()
    matched_alias = serializers.CharField(
        allow_null=True,
        help_text="The alias the typed text matched, as written; null when it was the title.",
    )
    url = serializers.CharField(help_text="The term in the API.")
    web_url = serializers.CharField(help_text="The term's public page.")


class SuggestionsSerializer(serializers.Serializer):
    """The answer of /api/v1/suggest/; written directly, as the term list is."""

    query = serializers.CharField(
        help_text="The text the suggestions are for, as received (spaces around it dropped)."
    )
    results = SuggestionSerializer(many=True)

    def to_representation(self, answer) -> dict:
        query, found = answer
        api_base = absolute(self.context, reverse("api:term-list"))
        web_base = absolute(self.context, reverse("terms:glossary_index"))
        return {
            "query": query,
            "results": [
                {
                    "title": suggestion.title,
                    "slug": suggestion.slug,
                    "matched_alias": suggestion.matched_alias,
                    "url": f"{api_base}{suggestion.slug}/",
                    "web_url": f"{web_base}{suggestion.slug}/",
                }
                for suggestion in found
            ],
        }


class _SiteAddress:
    """Stands in for a request where a term is written out away from one (webhooks, the
    change feed): absolute addresses from SITE_URL."""

    def build_absolute_uri(self, path: str) -> str:
        return settings.SITE_URL.rstrip("/") + path


def term_public_json(page) -> dict:
    """A term page (selectors.TermPage) exactly as GET /api/v1/terms/<slug>/ returns it,
    its addresses absolute from SITE_URL."""
    return dict(TermDetailSerializer(page, context={"request": _SiteAddress()}).data)
