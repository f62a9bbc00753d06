"""How fast a glossary file is imported: refused when bad, written when valid, and
imported again unchanged.

    .venv/bin/python -m bench.imports [--terms 20000]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/glossary_imports \
        .venv/bin/python -m bench.imports

Generates --terms terms (bench/generate.py), then times, into an empty database:
validating the valid file (the validation pass alone, nothing written); ``glossary_import``
refusing the same file with ONE bad record, the last, given a 304-character summary
(issue 13: refused after 16 minutes before the validation pass; target under 10 s);
importing the valid file (target at 20,000 terms on PostgreSQL: under 60 s); importing it
again, which must change nothing (target: under 30 s). Prints the process's peak resident
memory after each step (target: under 500 MB) and the CPU time of the imports: this
process's, its Markdown process's (terms/imports/render.py) and PostgreSQL's backend's,
which together are the import's cost whatever else the machine runs. A fresh
SQLite file unless BENCH_DATABASE_URL names a PostgreSQL database, which it empties first.
"""

import argparse
import copy
import os
import resource
import tempfile
import time
from pathlib import Path

from bench.desk import configure


def backend_cpu() -> float:
    """CPU seconds PostgreSQL's backend of this connection has used (on this machine; 0
    for SQLite, whose work is this process's): with this process's, the import's cost
    whatever else the machine runs."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds of the child processes that have ended (terms/imports/render.py's)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


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
    from reversion.models import Version
    from terms.imports.records import ImportReport
    from terms.imports.validate import GlossaryValidator
    from terms.models import Term, TermRevision
    from terms.services import GlossaryImportError, glossary_import

    from bench.generate import generate

    if "BENCH_DATABASE_URL" in os.environ:
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)
    database = url.split(":")[0]
    data = generate(options.terms)
    print(f"{options.terms} terms, {database}; peak memory after generating: {peak_mb():.0f} MB")

    report = ImportReport()
    started = time.perf_counter()
    GlossaryValidator(report).run(data)
    took = time.perf_counter() - started
    print(f"valid file validated in {took:.2f} s ({len(report.errors)} errors)")

    bad = copy.deepcopy(data)
    bad["terms"][-1]["summary"] = "s" * 304
    started = time.perf_counter()
    try:
        glossary_import(data=bad)
    except GlossaryImportError as error:
        took = time.perf_counter() - started
        print(
            f"one bad record (the last) refused in {took:.2f} s ({len(error.report.errors)} errors)"
        )
        for problem in error.report.errors:
            print(f"  {problem}")
    else:
        raise SystemExit("the bad file was imported")
    del bad
    if Term.objects.exists():
        raise SystemExit("a refused import wrote terms")

    for label in ("import", "re-import"):
        fresh = copy.deepcopy(data)
        started, cpu, database_cpu = time.perf_counter(), time.process_time(), backend_cpu()
        children = children_cpu()
        report = glossary_import(data=fresh)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        database_cpu, children = backend_cpu() - database_cpu, children_cpu() - children
        print(
            f"{label}: {took:.2f} s (CPU: {cpu:.2f} s this process, {children:.2f} s the "
            f"Markdown process, {database_cpu:.2f} s PostgreSQL), "
            f"peak memory {peak_mb():.0f} MB; {report.summary()}"
        )
        if label == "re-import" and report.changed_anything:
            raise SystemExit("importing the same file again changed something")
    print(
        f"stored: {Term.objects.count()} terms, {TermRevision.objects.count()} revisions, "
        f"{Version.objects.count()} versions"
    )
    folder.cleanup()


if __name__ == "__main__":
    main()
