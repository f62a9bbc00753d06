import argparse
import json

from django.core.management.base import BaseCommand, CommandError

from terms.search.relevance import (
    DEFAULT_JUDGEMENTS,
    DEPTH,
    JudgementsError,
    evaluate,
    load_judgements,
)


def recall_floor(value: str) -> float:
    try:
        floor = float(value)
    except ValueError:
        floor = -1.0
    if not 0 <= floor <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {value!r}")
    return floor


class Command(BaseCommand):
    help = (
        "Score search on the current database's glossary against a judged query set: "
        f"recall@1, recall@5 and mean reciprocal rank over the first {DEPTH} results, "
        "then the queries whose expected term did not come first (verbosity 2: every "
        "query). Load the demo glossary first (manage.py load_demo). Reads only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--judgements",
            default=str(DEFAULT_JUDGEMENTS),
            help="The judged set, a judgements/1 JSON file (default: %(default)s).",
        )
        parser.add_argument(
            "--fail-under-recall-at-5",
            type=recall_floor,
            metavar="X",
            help="Exit with an error if recall@5 is below X (0 to 1).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print the scores and every query's rank as JSON.",
        )

    def handle(self, *args, judgements, fail_under_recall_at_5, as_json, **options):
        try:
            evaluation = evaluate(load_judgements(judgements).judgements)
        except JudgementsError as error:
            raise CommandError(str(error)) from error
        if as_json:
            self.print_json(evaluation)
        elif options["verbosity"] >= 1:
            self.print_report(evaluation, judgements, every_query=options["verbosity"] >= 2)
        recall = evaluation.recall_at(5)
        if fail_under_recall_at_5 is not None and recall < fail_under_recall_at_5:
            raise CommandError(
                f"recall@5 is {recall:.3f}, below the required {fail_under_recall_at_5:.3f}."
            )

    def print_json(self, evaluation):
        self.stdout.write(json.dumps(evaluation.as_json(), indent=2, ensure_ascii=False))

    def print_report(self, evaluation, source, *, every_query):
        queries = len(evaluation.results)
        write = self.stdout.write
        write(f"Search relevance on {evaluation.vendor}: {queries} judged queries ({source})")
        for cutoff in (1, 5):
            write(
                f"recall@{cutoff:<3} {evaluation.recall_at(cutoff):.3f}  "
                f"({evaluation.hits_at(cutoff)}/{queries})"
            )
        write(f"MRR@{DEPTH:<5} {evaluation.mean_reciprocal_rank:.3f}")
        by_kind = evaluation.hits_at_by_kind(5)
        write(
            "recall@5 by kind: "
            + ", ".join(f"{kind} {hits}/{total}" for kind, (hits, total) in by_kind.items())
        )
        shown = evaluation.results if every_query else evaluation.not_first
        if not shown:
            write(self.style.SUCCESS("Every expected term came first."))
            return
        heading = "Every query" if every_query else "Not first"
        write(f"{heading} ({len(shown)}):")
        for result in shown:
            write("  " + self.describe(result))

    def describe(self, result) -> str:
        judgement = result.judgement
        where = f"rank {result.rank}" if result.rank else f"not in the first {DEPTH}"
        first = result.found[0] if result.found else "nothing found"
        line = f'[{judgement.kind}] "{judgement.query}" → {judgement.expected}: {where}'
        if result.rank == 1:
            return self.style.SUCCESS(line)
        return line + f" (first: {first})"
