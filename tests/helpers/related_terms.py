"""A small glossary whose texts are alike where a reader would say so, for the tests of
related-term suggestions (tests/search/test_related.py, tests/terms/, tests/browser/)."""

from terms.models import Term

from ..factories import CategoryFactory, TermFactory

TEXTS = {
    "Embedding": (
        "A list of numbers that stands for the meaning of a word, a sentence or an image.",
        "An **embedding** maps text or images to a vector of numbers, so that similar "
        "meanings lie close together. Embeddings power semantic search, clustering and "
        "recommendations.",
    ),
    "Vector Database": (
        "A database that stores embeddings and finds the nearest vectors quickly.",
        "A vector database indexes embedding vectors for nearest-neighbour search, so an "
        "application can find the documents closest in meaning to a question.",
    ),
    "Overfitting": (
        "When a model learns the noise in its training examples instead of the pattern.",
        "An overfitted model scores well on the examples it was trained on and badly on "
        "new ones. Regularisation and more varied training examples reduce it.",
    ),
    "Prompt Injection": (
        "Instructions hidden in content that make a chatbot ignore its own rules.",
        "An attacker plants instructions in a web page or an email; when the chatbot "
        "reads it, it follows them instead of the operator's rules.",
    ),
    "Red Teaming": (
        "Attacking your own system on purpose to find its failures before others do.",
        "A red team plays the attacker: it probes for unsafe answers, leaks and abuse, and "
        "reports each failure it finds so that it can be fixed before launch.",
    ),
}
# The term whose suggestions the tests ask for: about vector embeddings, saved as a draft.
SEMANTIC_SEARCH = (
    "Search by meaning: the question and the documents become vector embeddings, and the "
    "nearest vectors are the answer.",
    "**Semantic search** turns the question into an embedding vector and looks for the "
    "stored document embeddings nearest to it, so it finds the documents that mean the "
    "same thing in other words.",
)


def alike_glossary(**semantic_search) -> dict[str, Term]:
    """The published entries of TEXTS and a draft "Semantic Search" (``semantic_search``
    changes its fields), by title."""
    category = CategoryFactory(name="Foundations")
    terms = {
        title: TermFactory(
            title=title,
            category=category,
            summary=summary,
            definition=definition,
            why_it_matters="",
        )
        for title, (summary, definition) in TEXTS.items()
    }
    summary, definition = SEMANTIC_SEARCH
    terms["Semantic Search"] = TermFactory(
        title="Semantic Search",
        category=category,
        summary=summary,
        definition=definition,
        why_it_matters="",
        **{"status": Term.Status.DRAFT, **semantic_search},
    )
    return terms
