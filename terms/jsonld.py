"""schema.org markup for terms and categories, shared by the API and the pages."""

from django.utils.html import strip_tags

from .markdown import plain_text


def term_json_ld(term, *, own_faqs, term_url: str, category_url: str) -> dict:
    """A DefinedTerm in its category's DefinedTermSet, plus a FAQPage of the term's own FAQs.

    A category's shared FAQs are marked up once, on the category, never on each term.
    """
    defined_term = {
        "@type": "DefinedTerm",
        "@id": term_url,
        "name": term.title,
        "url": term_url,
        "description": term.summary or strip_tags(term.definition_html).strip(),
        "inDefinedTermSet": {
            "@type": "DefinedTermSet",
            "@id": category_url,
            "name": term.category.name,
            "url": category_url,
        },
    }
    if term.alias_list:
        defined_term["alternateName"] = term.alias_list
    graph = [defined_term]
    if own_faqs:
        graph.append(faq_page(own_faqs, page_url=term_url))
    return {"@context": "https://schema.org", "@graph": graph}


def category_json_ld(category, *, category_url: str, shared_faqs) -> dict:
    """A category (from selectors.with_readers_html) as a DefinedTermSet, plus a FAQPage
    of its shared FAQs."""
    graph = [
        {
            "@type": "DefinedTermSet",
            "@id": category_url,
            "name": category.name,
            "url": category_url,
            "description": plain_text(category.description_html),
        }
    ]
    if shared_faqs:
        graph.append(faq_page(shared_faqs, page_url=category_url))
    return {"@context": "https://schema.org", "@graph": graph}


def faq_page(faqs, *, page_url: str) -> dict:
    return {
        "@type": "FAQPage",
        "@id": f"{page_url}#faq",
        "mainEntity": [
            {
                "@type": "Question",
                "name": faq.question,
                "acceptedAnswer": {"@type": "Answer", "text": faq.answer_html},
            }
            for faq in faqs
        ],
    }
