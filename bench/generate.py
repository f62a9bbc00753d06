"""Generate a realistic glossary of N terms in the glossary/1 interchange format.

    python bench/generate.py --terms 20000 --output /tmp/glossary.json [--seed 1]

The same seed gives the same file. Titles are unique ignoring case, aliases are unique
and never equal to a title, and every record passes the project's importer.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import re
import sys

FORMAT_NAME = "glossary/1"

# Each category owns the head nouns of its terms' titles.
CATEGORIES = {
    "Foundations": (
        "Core ideas that most modern AI systems share.",
        ["Model", "Network", "Representation", "Embedding", "Attention", "Tokenization"],
    ),
    "Machine Learning Methods": (
        "The ways models learn from data, and how they are tuned.",
        ["Learning", "Classification", "Clustering", "Regression", "Optimization", "Sampling"],
    ),
    "Generative AI & Language Models": (
        "Systems that write, draw, speak and summarise.",
        ["Generation", "Summarization", "Translation", "Decoding", "Prompting", "Grounding"],
    ),
    "Data & Infrastructure": (
        "Where training and business data comes from and how it is kept.",
        ["Pipeline", "Dataset", "Labeling", "Annotation", "Lineage", "Warehouse"],
    ),
    "MLOps & Deployment": (
        "Putting models into production and keeping them healthy.",
        ["Deployment", "Serving", "Monitoring", "Registry", "Observability", "Caching"],
    ),
    "Interpretability & Explainability": (
        "How people see why a model does what it does.",
        ["Interpretability", "Attribution", "Explanation", "Probing", "Saliency", "Circuits"],
    ),
    "AI Safety & Alignment": (
        "Making AI systems behave as intended, even under pressure.",
        ["Alignment", "Guardrails", "Red Teaming", "Robustness", "Oversight", "Evaluation"],
    ),
    "Governance, Risk & Compliance": (
        "Policies, audits and regulation around AI.",
        ["Governance", "Audit", "Risk Assessment", "Accountability", "Fairness", "Disclosure"],
    ),
    "Privacy & Security": (
        "Protecting people's data and the models themselves.",
        ["Privacy", "Security", "Encryption", "Watermarking", "Anonymization", "Provenance"],
    ),
    "Computer Vision & Perception": (
        "Models that see, read and locate things in images and video.",
        ["Detection", "Segmentation", "Recognition", "Tracking", "Reconstruction", "Captioning"],
    ),
    "AI Agents & Automation": (
        "Software that plans and acts on a user's behalf.",
        ["Agent", "Assistant", "Copilot", "Orchestration", "Planning", "Automation"],
    ),
    "AI Strategy & Business Value": (
        "Deciding where AI pays off and how to adopt it.",
        ["Strategy", "Roadmap", "Maturity", "Readiness", "Adoption", "Business Case"],
    ),
}

MODIFIERS = [
    "Adversarial", "Agentic", "Automated", "Bayesian", "Causal", "Contrastive",
    "Conversational", "Federated", "Generative", "Hierarchical", "Multimodal", "Neural",
    "Probabilistic", "Responsible", "Robust", "Self-Supervised", "Semantic", "Sparse",
    "Synthetic", "Zero-Shot", "Few-Shot", "Explainable", "Mechanistic", "Retrieval-Augmented",
    "Predictive", "Prescriptive", "Reinforcement", "Continual", "Differential", "Edge",
    "Enterprise", "Ethical", "Human-in-the-Loop", "Incremental", "Latent", "Low-Code",
    "Autonomous", "Cognitive", "Distributed", "Quantized", "Real-Time", "Scalable",
    "Supervised", "Unsupervised", "Transfer", "Trustworthy", "Vector", "Domain-Specific",
    "Open-Source", "Private", "Secure", "Streaming", "Temporal", "Graph", "Knowledge",
    "Data", "Token", "Diffusion", "Transformer", "Language", "Vision", "Speech", "Anomaly",
    "Fraud", "Customer", "Supply-Chain", "Marketing", "Sales", "Revenue", "Pricing", "Demand",
    "Churn", "Sentiment", "Document", "Code", "Clinical", "Financial", "Instruction",
    "Preference", "Constitutional", "Counterfactual", "Active", "Meta", "Curriculum",
]  # fmt: skip
DIGIT_PREFIXES = ["3D", "2D", "4-Bit", "8-Bit", "5G", "360-Degree", "1-Bit", "16-Bit"]

KINDS = [
    "technique", "practice", "method", "approach", "capability", "framework", "process",
    "design pattern", "discipline", "family of models",
]  # fmt: skip
DOES = [
    "turns raw data into reliable predictions", "checks model outputs against agreed rules",
    "reduces the cost of running large models", "adapts a general model to a narrow task",
    "explains which inputs drove a decision", "keeps sensitive records out of training data",
    "finds unusual patterns in transactions", "connects a language model to company documents",
    "splits a complex task into smaller automated steps",
    "measures how a model performs on real workloads", "tracks how data changes over time",
    "ranks options by their expected business value", "spots errors before users see them",
    "learns from feedback given by people", "combines text, images and tables in one model",
    "keeps a model's answers tied to trusted sources", "shrinks a model without losing accuracy",
    "records who changed what and why", "tests a system against deliberate attacks",
    "estimates how confident a prediction really is",
]  # fmt: skip
WHO = [
    "business teams", "risk and compliance teams", "product managers", "data scientists",
    "customer service leaders", "executives", "engineering teams", "auditors",
    "operations managers", "legal teams", "marketing teams", "finance teams",
]  # fmt: skip
OUTCOMES = [
    "make faster decisions with less manual review", "trust the results they act on",
    "launch new features with fewer surprises", "control costs as usage grows",
    "meet regulatory expectations", "serve customers around the clock",
    "prove where their data came from", "spot problems before they reach customers",
    "compare vendors on equal terms", "scale pilots into production",
]  # fmt: skip
SOURCES = [
    "historical transaction logs", "support tickets", "product catalogues", "sensor readings",
    "contracts and policies", "labelled examples", "public web text", "call transcripts",
    "medical records", "clickstream data", "scanned invoices", "code repositories",
]  # fmt: skip
DRIVERS = [
    "cheaper cloud hardware made large experiments affordable",
    "open-weight models became good enough for production",
    "regulators began asking for evidence rather than promises",
    "benchmark results stopped predicting real-world performance",
    "customers started expecting instant, personalised answers",
    "several public failures showed the cost of skipping this step",
]  # fmt: skip
FOCUSES = [
    "the quality of the data", "the people who review the results", "cost and latency",
    "measurable business outcomes", "the risks of failure", "day-to-day operations",
]  # fmt: skip
CONSIDERATIONS = [
    "Define who owns {lower} decisions before launch.",
    "Budget for ongoing monitoring, not just the first release.",
    "Check whether your current vendor already supports {lower}.",
    "Start with one well-scoped use case and measure the result.",
    "Document the data sources and their licences.",
    "Agree on a success metric that the business understands.",
    "Plan how people can review or overturn automated decisions.",
    "Test on your own data, not only on public benchmarks.",
    "Estimate running costs at ten times today's volume.",
    "Keep a record of model versions and the data behind them.",
    "Involve legal and compliance teams early.",
    "Train staff to recognise when {lower} gets it wrong.",
    "Set a clear process for incidents and rollbacks.",
    "Ask vendors for evidence, not only demonstrations.",
    "Review the approach again when regulations change.",
    "Measure bias across customer groups before going live.",
    "Decide what must stay on premises and what can go to the cloud.",
    "Plan for the skills needed to maintain {lower} after the project ends.",
    "Protect personal data at every step of the pipeline.",
    "Compare the result with a simple baseline before investing further.",
]
TERM_FAQS = [
    (
        "How long does it take to adopt {title}?",
        "Most teams run a pilot in six to twelve weeks. The slow part is rarely the "
        "technology: it is agreeing on data access, success metrics and who owns the result.",
    ),
    (
        "Do we need our own data for {title}?",
        "Not always. Many vendors offer pre-trained components, but results improve "
        "markedly with a **small, well-labelled sample** from your own business.",
    ),
    (
        "What does {title} cost?",
        "Costs depend on volume, hosting and the people needed to run it. Expect the "
        "*ongoing* costs of monitoring and maintenance to exceed the initial build.",
    ),
    (
        "How is {title} different from {other}?",
        "They overlap, but {title} puts more weight on {focus}, while {other} is usually "
        "chosen when the main concern lies elsewhere.",
    ),
    (
        "Is {title} covered by AI regulation?",
        "It can be. Whether rules apply depends on the use case more than on the "
        "technique, so check each application against the regulations that govern it.",
    ),
]
CATEGORY_FAQS = [
    (
        "Where should a company start with {lower}?",
        "Pick one process where {lower} addresses a measurable pain, involve the people "
        "who run that process, and set a review date before anything else.",
    ),
    (
        "Who should own {lower} in our organisation?",
        "Ownership works best with a named business lead supported by a technical lead. "
        "Committees help with oversight but should not be the owner.",
    ),
]
PUBLISHERS = [
    ("National Institute of Standards and Technology (NIST)", "www.nist.gov"),
    ("International Organization for Standardization (ISO)", "www.iso.org"),
    ("Organisation for Economic Co-operation and Development (OECD)", "oecd.ai"),
    ("European Commission", "digital-strategy.ec.europa.eu"),
    ("UK Information Commissioner's Office", "ico.org.uk"),
    ("Stanford Institute for Human-Centered AI", "hai.stanford.edu"),
    ("MIT Sloan Management Review", "sloanreview.mit.edu"),
    ("Harvard Business Review", "hbr.org"),
    ("Association for Computing Machinery (ACM)", "dl.acm.org"),
    ("IEEE Standards Association", "standards.ieee.org"),
    ("arXiv", "arxiv.org"),
    ("World Economic Forum", "www.weforum.org"),
]
DOC_TYPES = [
    "Guidelines for", "A Survey of", "Principles of", "A Practical Guide to",
    "Standard for", "Benchmarking", "Lessons Learned from", "Managing",
]  # fmt: skip
STATUSES_OTHER = ["draft", "review", "archived"]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def words_of(title: str) -> list[str]:
    return [word for word in re.split(r"[\s\-/]+", title) if word]


def make_titles(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """``count`` unique (title, category name) pairs."""
    heads = [(head, name) for name, (_, owned) in CATEGORIES.items() for head in owned]
    titles: list[tuple[str, str]] = []
    seen_titles: set[str] = set()
    seen_slugs: set[str] = set()
    attempts = 0
    while len(titles) < count:
        attempts += 1
        if attempts > count * 50:
            raise SystemExit(f"could not make {count} unique titles from the vocabulary")
        head, category = rng.choice(heads)
        roll = rng.random()
        if roll < 0.03:
            parts = [rng.choice(DIGIT_PREFIXES), *rng.sample(MODIFIERS, rng.randint(0, 1)), head]
        elif roll < 0.35:
            parts = [rng.choice(MODIFIERS), head]
        else:
            parts = [*rng.sample(MODIFIERS, 2), head]
        lowered = [word.lower() for part in parts for word in words_of(part)]
        if len(set(lowered)) < len(lowered):
            continue  # "Data Data Pipeline"
        title = " ".join(parts)
        slug = slugify(title)
        if title.casefold() in seen_titles or slug in seen_slugs:
            continue
        seen_titles.add(title.casefold())
        seen_slugs.add(slug)
        titles.append((title, category))
    return titles


def make_aliases(rng: random.Random, titles: list[str]) -> list[list[str]]:
    """About a third of terms get an acronym or a short form; none clashes with anything."""
    taken = {title.casefold() for title in titles}
    aliases: list[list[str]] = []
    for title in titles:
        words = words_of(title)
        candidates = []
        if len(words) >= 2 and rng.random() < 0.3:
            candidates.append("".join(word[0] for word in words).upper())
        if len(words) >= 2 and rng.random() < 0.1:
            candidates.append(" ".join(word[: rng.choice((4, 5, 6))] for word in words).lower())
        kept = []
        for alias in candidates:
            if alias.casefold() not in taken:
                taken.add(alias.casefold())
                kept.append(alias)
        aliases.append(kept)
    return aliases


def make_references(rng: random.Random, count: int) -> list[dict]:
    references, keys = [], set()
    while len(references) < count:
        publisher, domain = rng.choice(PUBLISHERS)
        owned = rng.choice(list(CATEGORIES.values()))[1]
        title = f"{rng.choice(DOC_TYPES)} {rng.choice(MODIFIERS)} {rng.choice(owned)}"
        year = rng.randint(1998, 2025)
        key = f"{slugify(title)}-{year}"
        if key in keys:
            continue
        keys.add(key)
        references.append(
            {
                "key": key,
                "title": title,
                "publisher": publisher,
                "year": year,
                "url": f"https://{domain}/publications/{key}",
            }
        )
    return references


def sentence_case(text: str) -> str:
    return text[0].upper() + text[1:]


def article(word: str) -> str:
    return "an" if word[0].lower() in "aeiou" else "a"


def timestamp(rng: random.Random, start: datetime.datetime, days: int) -> datetime.datetime:
    return start + datetime.timedelta(days=rng.randint(0, days), seconds=rng.randint(0, 86_399))


def iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_term(rng, title, category, aliases, others, category_slugs, reference_keys) -> dict:
    lower = title.lower()
    kind = rng.choice(KINDS)
    other = rng.choice([pair for pair in rng.sample(others, 2) if pair[0] != title])[0]
    focus = rng.choice(FOCUSES)
    summary = (
        f"{sentence_case(article(kind))} {kind} that {rng.choice(DOES)}, helping "
        f"{rng.choice(WHO)} {rng.choice(OUTCOMES)}."
    )
    paragraphs = [
        f"**{title}** is {article(kind)} {kind} in {category.lower()} that {rng.choice(DOES)}. "
        f"It brings together {words_of(title)[0].lower()} methods and "
        f"{words_of(title)[-1].lower()} so that a system {rng.choice(DOES)} without "
        f"constant supervision from {rng.choice(WHO)}.",
        f"In practice, teams start from {rng.choice(SOURCES)} or {rng.choice(SOURCES)}, "
        f"build a small prototype and compare it with the process it would replace. "
        f"Results are reviewed by {rng.choice(WHO)} before they reach customers. "
        f"The approach became common after {rng.randint(2012, 2024)}, when "
        f"{rng.choice(DRIVERS)}. Mature set-ups add `{slugify(title)[:24]}` checks "
        f"to their release pipeline.",
    ]
    if rng.random() < 0.6:
        paragraphs.append(
            f"It is closely related to *{other}*, but focuses more on {focus}. Vendors "
            f"often sell it as part of a wider {category} offering."
        )
    why = (
        f"{title} matters because it {rng.choice(DOES)} at a scale people cannot match. "
        f"Organisations that adopt it well tend to {rng.choice(OUTCOMES)}, while those that "
        f"ignore it risk falling behind competitors who already do. The real question is "
        f"not whether to use it but where, and that decision belongs with "
        f"{rng.choice(WHO)} as much as with engineers."
    )
    considerations = [
        text.format(lower=lower) for text in rng.sample(CONSIDERATIONS, rng.randint(3, 5))
    ]
    faqs = [
        {
            "question": question.format(title=title, other=other),
            "answer": answer.format(title=title, other=other, focus=focus),
        }
        for question, answer in rng.sample(TERM_FAQS, rng.choice((0, 1, 1, 2)))
    ]
    status = "published" if rng.random() < 0.95 else rng.choice(STATUSES_OTHER)
    published = timestamp(rng, datetime.datetime(2023, 1, 2, tzinfo=datetime.UTC), 1000)
    updated = published + datetime.timedelta(days=rng.randint(0, 300))
    cta = {"heading": "", "body": ""}
    if rng.random() < 0.05:
        cta = {
            "heading": f"Planning a {lower} project?",
            "body": f"Talk to our advisory team about where {title} fits your roadmap.",
        }
    slug = slugify(title)
    wanted = rng.randint(2, 4)
    related = [other_slug for _, other_slug in rng.sample(others, wanted + 1) if other_slug != slug]
    return {
        "slug": slug,
        "title": title,
        "aliases": aliases,
        "category": category_slugs[category],
        "status": status,
        "in_development": rng.random() < 0.03,
        "summary": summary,
        "definition": "\n\n".join(paragraphs),
        "why_it_matters": why,
        "key_considerations": considerations,
        "faqs": faqs,
        "references": rng.sample(reference_keys, rng.randint(1, 3)),
        "related": related[:wanted],
        "cta": cta,
        "published_at": iso(published) if status in ("published", "archived") else None,
        "updated_at": iso(updated),
    }


def generate(terms: int, seed: int = 1, references: int = 200) -> dict:
    if terms < 5:
        raise SystemExit("--terms must be at least 5 (each term names 2-4 related terms)")
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    categories = []
    category_slugs = {}
    for name, (description, _) in CATEGORIES.items():
        slug = slugify(name)
        category_slugs[name] = slug
        categories.append(
            {
                "slug": slug,
                "name": name,
                "description": description,
                "faqs": [
                    {
                        "question": question.format(lower=name.lower()),
                        "answer": answer.format(lower=name.lower()),
                    }
                    for question, answer in CATEGORY_FAQS
                ],
            }
        )
    reference_records = make_references(rng, references)
    reference_keys = [record["key"] for record in reference_records]
    titled = make_titles(rng, terms)
    aliases = make_aliases(rng, [title for title, _ in titled])
    others = [(title, slugify(title)) for title, _ in titled]
    term_records = [
        make_term(rng, title, category, alias, others, category_slugs, reference_keys)
        for (title, category), alias in zip(titled, aliases, strict=True)
    ]
    return {
        "format": FORMAT_NAME,
        "categories": categories,
        "references": reference_records,
        "terms": term_records,
    }


def search_queries(data: dict, seed: int = 1, count: int = 50) -> list[str]:
    """Search strings a reader might type: words, two-word phrases and misspellings."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    titles = [term["title"] for term in data["terms"]]
    vocabulary = sorted({word.lower() for title in titles for word in words_of(title)})
    vocabulary = [word for word in vocabulary if word.isalpha() and len(word) >= 4]
    phrases = []
    for title in rng.sample(titles, min(len(titles), 200)):
        words = [word.lower() for word in title.split()]
        if len(words) >= 2:
            start = rng.randrange(len(words) - 1)
            phrases.append(" ".join(words[start : start + 2]))
    words = rng.sample(vocabulary, min(len(vocabulary), 18))
    phrases = list(dict.fromkeys(phrases))[:16]
    misspelled = []
    for text in rng.sample(vocabulary, 8) + phrases[:8]:
        misspelled.append(" ".join(misspell(rng, word) for word in text.split()))
    queries = list(dict.fromkeys(words + phrases + misspelled))
    return queries[:count]


def misspell(rng: random.Random, word: str) -> str:
    """Drop a letter or swap two neighbours, as a hurried reader would."""
    if len(word) < 5:
        return word
    index = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.5:
        return word[:index] + word[index + 1 :]
    return word[:index] + word[index + 1] + word[index] + word[index + 2 :]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, required=True, help="number of terms")
    parser.add_argument("--output", required=True, help="JSON file to write, or - for stdout")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    data = generate(args.terms, args.seed)
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if args.output == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
