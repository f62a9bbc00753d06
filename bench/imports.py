"""How fast an import refuses a bad file: the validation pass over 20,000 terms.

    .venv/bin/python -m bench.imports [--terms 20000]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/glossary_imports \
        .venv/bin/python -m bench.imports

Generates --terms terms (bench/generate.py), then times validating the valid file (the
validation pass alone, nothing written) and ``glossary_import`` refusing the same file with
ONE bad record, the last, given a 304-character summary (issue 13: refused after 16 minutes
before the validation pass; the target is under 10 s). A fresh SQLite file unless
BENCH_DATABASE_URL names a PostgreSQL database, which it empties first.
"""

import argparse
import copy
import os
import tempfile
import time
from pathlib import Path

from bench.desk import configure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=20000)
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="bench-imports-")
    url = (
        os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder.name) / 'imports.sqlite3'}"
    )
    configure(url, Path(folder.name) / "static")

    from django.core.management import call_command
    from terms.imports.records import ImportReport
    from terms.imports.validate import GlossaryValidator
    from terms.models import Term
    from terms.services import GlossaryImportError, glossary_import

    from bench.generate import generate

    if "BENCH_DATABASE_URL" in os.environ:
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)
    database = url.split(":")[0]
    data = generate(options.terms)

    report = ImportReport()
    started = time.perf_counter()
    GlossaryValidator(report).run(data)
    took = time.perf_counter() - started
    print(
        f"valid file, {options.terms} terms validated in {took:.2f} s "
        f"({len(report.errors)} errors, {database})"
    )

    bad = copy.deepcopy(data)
    bad["terms"][-1]["summary"] = "s" * 304
    started = time.perf_counter()
    try:
        glossary_import(data=bad)
    except GlossaryImportError as error:
        took = time.perf_counter() - started
        print(
            f"one bad record (the last), {options.terms} terms refused in {took:.2f} s "
            f"({len(error.report.errors)} errors; {database})"
        )
        for problem in error.report.errors:
            print(f"  {problem}")
    else:
        raise SystemExit("the bad file was imported")
    if Term.objects.exists():
        raise SystemExit("a refused import wrote terms")
    folder.cleanup()


if __name__ == "__main__":
    main()
