from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..jsonld import category_json_ld, term_json_ld
from ..selectors import site_settings


def absolute(context, path: str) -> str:
    return context["request"].build_absolute_uri(path)


def term_api_url(context, slug: str) -> str:
    return absolute(context, reverse("api:term-detail", kwargs={"slug": slug}))


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


class CallToActionSerializer(serializers.Serializer):
    heading = serializers.CharField()
    body = serializers.CharField()
    inquiry_url = serializers.CharField(help_text="The advisory contact form for this term.")


class TermListSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField(), source="alias_list")
    summary = serializers.CharField()
    category = CategoryRefSerializer()
    in_development = serializers.BooleanField(
        help_text="True when the entry carries a note that its content is still being developed."
    )
    updated_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="This term in the API.")
    web_url = serializers.SerializerMethodField(help_text="This term's public page.")

    def get_url(self, term) -> str:
        return term_api_url(self.context, term.slug)

    def get_web_url(self, term) -> str:
        return absolute(self.context, term.get_absolute_url())


class TermDetailSerializer(TermListSerializer):
    definition = serializers.CharField(help_text="Markdown.")
    definition_html = serializers.CharField(help_text="Sanitised HTML.")
    why_it_matters = serializers.CharField(help_text="Markdown: why it matters for business.")
    why_it_matters_html = serializers.CharField(help_text="Sanitised HTML.")
    key_considerations = serializers.SerializerMethodField()
    faqs = serializers.SerializerMethodField(
        help_text="The term's own questions, then those its category shares."
    )
    references = serializers.SerializerMethodField()
    related = serializers.SerializerMethodField(help_text="Published related terms only.")
    cta = serializers.SerializerMethodField(help_text="The call to action closing the page.")
    published_at = serializers.DateTimeField()
    json_ld = serializers.SerializerMethodField(
        help_text="schema.org DefinedTerm in its DefinedTermSet, and a FAQPage of the "
        "term's own FAQs (shared FAQs are marked up on their category)."
    )

    def get_key_considerations(self, term) -> list[str]:
        return [item.text for item in term.key_considerations.all()]

    @extend_schema_field(FAQSerializer(many=True))
    def get_faqs(self, term):
        faqs = [*term.faqs.all(), *term.category.shared_faqs.all()]
        return FAQSerializer(faqs, many=True).data

    @extend_schema_field(ReferenceSerializer(many=True))
    def get_references(self, term):
        return ReferenceSerializer(
            [citation.reference for citation in term.citations.all()], many=True
        ).data

    @extend_schema_field(RelatedTermSerializer(many=True))
    def get_related(self, term):
        return RelatedTermSerializer(term.related.all(), many=True).data

    @extend_schema_field(CallToActionSerializer)
    def get_cta(self, term):
        heading, body = site_settings().call_to_action(term)
        inquiry_url = absolute(self.context, f"/advisory/?term={term.slug}")
        return {"heading": heading, "body": body, "inquiry_url": inquiry_url}

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_json_ld(self, term):
        return term_json_ld(
            term,
            term_url=self.get_web_url(term),
            category_url=absolute(self.context, term.category.get_absolute_url()),
        )


class CategorySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    term_count = serializers.SerializerMethodField(help_text="Published terms in the category.")
    faqs = FAQSerializer(
        many=True, source="shared_faqs.all", help_text="Questions shared by every term in it."
    )
    url = serializers.SerializerMethodField(help_text="This category in the API.")
    web_url = serializers.SerializerMethodField(help_text="This category's public page.")
    terms_url = serializers.SerializerMethodField(help_text="Its published terms in the API.")

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
            shared_faqs=list(category.shared_faqs.all()),
        )


class LetterSerializer(serializers.Serializer):
    letter = serializers.CharField(help_text="A to Z, or 0-9.")
    count = serializers.IntegerField(help_text="Published terms under this letter.")
    terms_url = serializers.SerializerMethodField()

    def get_terms_url(self, row) -> str:
        return absolute(self.context, f"{reverse('api:term-list')}?letter={row['letter']}")
