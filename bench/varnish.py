"""Reads through Varnish next to gunicorn directly and the floor.

Builds the glossary as bench/run does (generated, imported into PostgreSQL), serves it
with gunicorn (2 sync workers, response cache on), puts varnishd in front of it with the
shipped VCL (glossary_project/cdn/varnish.vcl: 64 MB of memory, no privilege
separation), then loads the term list and a term page with wrk, once at gunicorn and
once at Varnish (every read a hit after the first), and the floor (bench/floor.py) the
same way. Also times a purge: a publish until the new list shows through Varnish, with
the worker as scripts/start runs it. Prints a Markdown report.

    .venv/bin/python -m bench.varnish --terms 1000 [--database glossary_bench] [--reuse-db]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench import generate, harness
from bench.harness import HOST, ROOT, VENV_BIN, WORK, Row, Server, free_port, get, log, wrk

VARNISHD = "/usr/sbin/varnishd"
WORKER_INTERVAL = "0.25"  # as scripts/start runs it


class Varnishd:
    """varnishd in the foreground on a free port, stopped (its whole session) on exit."""

    def __init__(self, backend_port: int):
        self.port = free_port()
        work = WORK / "varnish"
        work.mkdir(parents=True, exist_ok=True)
        vcl = work / "glossary.vcl"
        vcl.write_text(
            subprocess.run(
                [str(VENV_BIN / "python"), "manage.py", "varnish_vcl",
                 "--backend", f"{HOST}:{backend_port}", "--purge-from", HOST],
                cwd=ROOT, env=harness.site_env(), check=True, capture_output=True, text=True,
            ).stdout
        )  # fmt: skip
        self.log_path = work / "varnishd.log"
        command = [
            VARNISHD, "-F", "-j", "none", "-n", str(work / "state"),
            "-a", f"{HOST}:{self.port}", "-f", str(vcl), "-s", "malloc,64m", "-T", "none",
        ]  # fmt: skip
        log(f"starting varnishd on port {self.port} (log: {self.log_path})")
        with self.log_path.open("w") as output:
            self.process = subprocess.Popen(
                command, start_new_session=True, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                get(self.port, "/health/live")
                return
            time.sleep(0.2)
        self.stop()
        sys.exit(f"varnishd did not answer in 30 s:\n{self.log_path.read_text()[-2000:]}")

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def load(url: str, args) -> tuple[harness.Load, harness.Load]:
    wrk(url, 16, args.warmup)
    runs = {16: [], 1: []}
    for _ in range(args.repeat):
        for connections in runs:
            runs[connections].append(wrk(url, connections, args.duration))
    median = {c: sorted(r, key=lambda x: x.rps)[len(r) // 2] for c, r in runs.items()}
    for value in median.values():
        value.others = 0.0  # not measured here: see the report's note on the machine
    return median[16], median[1]


def bench_floor(bodies: Path, args) -> dict[str, Row]:
    """The floor measured as the rows above are (bench/harness.py's own waits for an idle
    machine, which a shared one never is)."""
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "FLOOR_BODIES": str(bodies)}
    server = Server("floor", "bench.floor:application", env)
    try:
        return {
            endpoint: Row(endpoint, "floor", *load(server.url("/" + endpoint), args))
            for endpoint in ("list", "detail")
        }
    finally:
        server.stop()


def publish_latency(server: Server, edge: Varnishd, slug: str) -> float:
    """Seconds from a publish's commit (in this process's manage.py shell) until the
    term list through Varnish shows it, with the worker purging."""
    env = {**harness.site_env(True), "CDN_PURGE_BACKENDS": f"varnish:{edge.url('')}"}
    worker = subprocess.Popen(
        [str(VENV_BIN / "python"), "manage.py", "db_worker", "--no-reload",
         "--interval", WORKER_INTERVAL, "--verbosity", "0"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(3)  # the worker starting
        path = "/api/v1/terms/?ordering=-updated_at&page_size=1"
        get(edge.port, path)
        script = (
            "import time; from terms.models import Term; from terms.services import "
            f"term_archive, term_publish; t = Term.objects.get(slug={slug!r}); "
            "term_archive(term=t); t.refresh_from_db(); term_publish(term=t); "
            "print(time.time())"
        )
        shell = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", "shell", "-c", script],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        committed = float(shell.stdout.strip().splitlines()[-1])
        while time.time() - committed < 10:
            if slug.encode() in get(edge.port, path).body:
                return time.time() - committed
            time.sleep(0.02)
        return float("nan")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(15)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.varnish", description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--database", default=harness.DB_NAME, help="PostgreSQL database")
    parser.add_argument("--redis-db", default=harness.REDIS_DB, help="Redis database number")
    parser.add_argument("--reuse-db", action="store_true")
    args = parser.parse_args(argv)
    harness.DB_NAME = args.database
    harness.REDIS_DB = args.redis_db
    harness.REDIS_URL = f"redis://{HOST}:6379/{args.redis_db}"

    harness.check_tools()
    if not Path(VARNISHD).exists():
        sys.exit("varnishd is missing: apt-get install -y varnish varnish-modules")
    WORK.mkdir(exist_ok=True)
    data = generate.generate(args.terms, args.seed)
    data_file = WORK / f"glossary-N{args.terms}-seed{args.seed}.json"
    data_file.write_text(json.dumps(data, ensure_ascii=False))
    queries = generate.search_queries(data, args.seed)
    harness.prepare_database(data_file, args.terms, args.seed, args.reuse_db)
    paths, bodies, _hits = harness.discover(data, queries)

    rows: list[Row] = []
    server = Server("varnish-backend", "glossary_project.wsgi:application", harness.site_env(True))
    edge = None
    try:
        edge = Varnishd(server.port)
        for endpoint in ("list", "detail"):
            path = paths[endpoint]
            harness.flush_cache()
            log(f"{endpoint}: gunicorn directly")
            rows.append(Row(endpoint, "gunicorn (response cache)", *load(server.url(path), args)))
            log(f"{endpoint}: through Varnish")
            rows.append(Row(endpoint, "through Varnish (hits)", *load(edge.url(path), args)))
            for row in rows[-2:]:
                rates = f"{row.many.rps:,.0f} req/s 16c, {row.one.rps:,.0f} 1c"
                log(f"{row.endpoint} {row.phase}: {rates}")
            hit = get(edge.port, path)
            if hit.headers.get("x-cache") != "HIT":
                sys.exit(f"{path} through Varnish was not a hit: {hit.headers}")
        slug = harness.typical_slug(data)
        latency = publish_latency(server, edge, slug)
        log(f"publish → through Varnish: {latency:.3f} s")
    finally:
        if edge is not None:
            edge.stop()
        server.stop()
    floor = bench_floor(bodies, args)

    lines = [
        f"N = {args.terms:,} terms; wrk -t2 -c16 and -t1 -c1, {args.duration:g} s after "
        f"{args.warmup:g} s warm-up, median of {args.repeat}; gunicorn 2 sync workers.",
        "",
        "| endpoint | served by | req/s 16c | p50 16c | p99 16c | req/s 1c | p50 1c | p99 1c |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in [*rows, *floor.values()]:
        lines.append(
            f"| {row.endpoint} | {row.phase} | {row.many.rps:,.0f} | {harness.ms(row.many.p50)} "
            f"| {harness.ms(row.many.p99)} | {row.one.rps:,.0f} | {harness.ms(row.one.p50)} "
            f"| {harness.ms(row.one.p99)} |"
        )
    lines += ["", f"Publish → new list through Varnish: {latency:.3f} s after the commit."]
    print("\n".join(lines))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda number, _frame: sys.exit(128 + number))
    try:
        main()
    finally:
        Server.stop_all()
