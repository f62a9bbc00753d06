"""Benchmark the glossary API against a bare-Django floor; run it through bench/run.

Generates N terms, imports them into a fresh PostgreSQL database, serves the site with
gunicorn (2 sync workers) once with the response cache and once without, loads each
endpoint with wrk, then serves the floor (bench/floor.py) the same way. Prints a Markdown
report and writes it to bench/results-N<N>-<timestamp>.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench import generate

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".cache"
VENV_BIN = ROOT / ".venv" / "bin"
DB_NAME = "glossary_bench"
PG_URL = "postgres://postgres@127.0.0.1:5432"
REDIS_DB = "2"
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
HOST = "127.0.0.1"
# Phase name -> (response cache on, settings over the site's usual ones). "Redis down"
# points CACHE_URL at a port nobody listens on: the fallback path of README "When things
# fail" (local memo and responses, generation read from PostgreSQL, local throttle).
# "no request log" is LOG_REQUESTS=0, to show what the line per request costs.
PHASES = {
    "cached": (True, {}),
    "uncached": (False, {}),
    "cached, Redis down": (True, {"redis_down": True}),
    "uncached, Redis down": (False, {"redis_down": True}),
    "cached, no request log": (True, {"LOG_REQUESTS": "0"}),
}
DEFAULT_PHASES = ("cached", "uncached", "cached, Redis down", "uncached, Redis down")
ENDPOINTS = ("list", "detail", "search", "letters")
LIST_PATH = "/api/v1/terms/"
LETTERS_PATH = "/api/v1/letters/"
SECRET_KEY = secrets.token_urlsafe(50)  # one per run, for the site and the floor
OTHERS_LIMIT = 0.1  # CPU share used by other processes above which a load is measured again
ATTEMPTS = 3


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)


def psql(sql: str, database: str = "postgres") -> str:
    return run(["psql", f"{PG_URL}/{database}", "-XAtqc", sql]).stdout.strip()


# Tools ----------------------------------------------------------------------------------


def check_tools() -> None:
    if not shutil.which("wrk"):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            sys.exit("wrk is missing: install it (Debian: sudo apt-get install -y wrk) and rerun.")
        log("wrk is missing; installing it with apt-get")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    for tool in ("psql", "pg_isready", "redis-cli"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: bench/run needs the PostgreSQL and Redis clients.")
    if not (VENV_BIN / "gunicorn").exists():
        sys.exit("gunicorn is not in .venv: .venv/bin/pip install -r requirements.txt")
    if subprocess.run(["pg_isready", "-q", "-h", HOST, "-p", "5432"]).returncode:
        sys.exit("PostgreSQL does not answer on 127.0.0.1:5432.")
    if run(["redis-cli", "-h", HOST, "ping"]).stdout.strip() != "PONG":
        sys.exit("Redis does not answer on 127.0.0.1:6379.")


def flush_cache() -> None:
    run(["redis-cli", "-h", HOST, "-n", REDIS_DB, "flushdb"])


# Data and database ----------------------------------------------------------------------


ANON_RATE = "100000000/minute"


def site_env(
    response_cache: bool = False, anon_rate: str = ANON_RATE, redis_down: bool = False, **extra
) -> dict:
    cache_url = f"redis://{HOST}:{free_port()}/0" if redis_down else REDIS_URL
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"{PG_URL}/{DB_NAME}",
        "CACHE_URL": cache_url,
        "API_ANON_RATE": anon_rate,
        "API_RESPONSE_CACHE": "1" if response_cache else "0",
        "BENCH_QUERY_COUNT": "1",
        **extra,
    }


def database_key(terms: int, seed: int) -> str:
    """What the database was built from: a changed generator rebuilds it (new migrations
    are applied to a reused database, see prepare_database)."""
    digest = hashlib.sha256()
    digest.update((BENCH / "generate.py").read_bytes())
    return f"N={terms} seed={seed} sources={digest.hexdigest()[:16]}"


def prepare_database(data_file: Path, terms: int, seed: int, reuse: bool) -> float:
    """Build glossary_bench from the data file; return the import time in seconds."""
    key = database_key(terms, seed)
    manage = [str(VENV_BIN / "python"), "manage.py"]
    if reuse:
        comment = psql(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            f"WHERE datname = '{DB_NAME}'"
        )
        if comment.startswith(key + " "):
            log(f"reusing database {DB_NAME} ({comment})")
            # Migrations added since it was built (new apps, indexes) apply to it too.
            run([*manage, "migrate", "--verbosity", "0"], cwd=ROOT, env=site_env())
            psql("VACUUM ANALYZE", DB_NAME)  # migrations may have rewritten rows
            return float(comment.rsplit("import_seconds=", 1)[1])
    log(f"creating database {DB_NAME}")
    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB_NAME}")
    run([*manage, "migrate", "--verbosity", "0"], cwd=ROOT, env=site_env())
    log(f"importing {data_file.name}")
    started = time.perf_counter()
    result = subprocess.run(
        [*manage, "import_glossary", str(data_file)],
        cwd=ROOT,
        env=site_env(),
        text=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"import_glossary failed:\n{result.stdout}{result.stderr[-5000:]}")
    log(f"import took {seconds:.1f} s: {result.stdout.strip()}")
    # Fresh statistics, as autovacuum would have within minutes of a real import.
    psql("VACUUM ANALYZE", DB_NAME)
    psql(f"COMMENT ON DATABASE {DB_NAME} IS '{key} import_seconds={seconds:.2f}'")
    return seconds


# Servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn with 2 sync workers on a free port, stopped on exit whatever happens."""

    running: list[Server] = []

    def __init__(self, name: str, app: str, env: dict):
        self.name = name
        self.port = free_port()
        self.log_path = WORK / f"gunicorn-{name}.log"
        command = [
            str(VENV_BIN / "gunicorn"),
            *("--workers", "2", "--worker-class", "sync"),
            *("--bind", f"{HOST}:{self.port}", "--chdir", str(ROOT)),
            *("--error-logfile", "-", "--log-level", "warning"),
            app,
        ]
        log(f"starting {name} server on port {self.port} (log: {self.log_path})")
        with self.log_path.open("w") as output:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        Server.running.append(self)
        self.wait_ready()

    def pids(self) -> list[int]:
        """The master and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [self.process.pid, *map(int, children.read_text().split())]
        return [self.process.pid]

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the {self.name} server exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                get(self.port, "/")
                return
            time.sleep(0.2)
        sys.exit(f"the {self.name} server did not answer in 30 s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text().splitlines()[-30:])
        return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ValueError):
            Server.running.remove(self)

    @classmethod
    def stop_all(cls) -> None:
        for server in list(cls.running):
            server.stop()


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    @property
    def queries(self) -> int | None:
        value = self.headers.get("x-query-count")
        return int(value) if value is not None else None


def get(port: int, path: str) -> Reply:
    """One GET without following redirects (a redirect must show, not be measured)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return Reply(response.status, headers, body)
    finally:
        connection.close()


def get_json(port: int, path: str) -> Reply:
    reply = get(port, path)
    content_type = reply.headers.get("content-type", "")
    if reply.status != 200 or not content_type.startswith("application/json"):
        sys.exit(
            f"GET {path} answered {reply.status} {content_type!r}, not 200 JSON:\n"
            f"{reply.body[:500].decode(errors='replace')}"
        )
    return reply


# wrk ------------------------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50: float  # milliseconds
    p99: float
    requests: int
    errors: int  # non-2xx/3xx responses plus socket errors
    others: float = 0.0  # share of the machine's CPU used by other processes meanwhile


# Other work on the machine (a test suite, say) skews a load. The harness counts the CPU
# time of everything it runs (wrk, gunicorn, Redis, the PostgreSQL backends serving the
# site) and compares it with the whole machine's; the rest is "others".


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot."""
    values = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    total = sum(values)
    return total - values[3] - values[4], total  # less idle and iowait


def process_ticks(pids: Iterable[int]) -> dict[int, int]:
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks


def children_ticks() -> int:
    """CPU ticks of finished child processes (wrk) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK"))


def our_pids(server: Server) -> list[int]:
    pids = server.pids()
    redis = re.search(r"process_id:(\d+)", run(["redis-cli", "-h", HOST, "info", "server"]).stdout)
    if redis:
        pids.append(int(redis[1]))
    backends = psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{DB_NAME}'")
    return pids + [int(pid) for pid in backends.split()]


class CpuMeter:
    """The share of the machine's CPU that other processes use while this is open.

    Our processes are listed again at the end, so that a database backend that a
    worker opened meanwhile counts as ours.
    """

    def __init__(self, server: Server):
        self.server = server

    # Listing our processes runs psql and redis-cli: outside the window, so not counted.
    def __enter__(self) -> CpuMeter:
        pids = our_pids(self.server)
        self.busy, self.total = machine_ticks()
        self.children = children_ticks()
        self.ours = process_ticks(pids)
        return self

    def __exit__(self, *exc_info) -> None:
        busy, total = machine_ticks()
        ours = children_ticks() - self.children  # wrk
        for pid, ticks in process_ticks(our_pids(self.server)).items():
            ours += ticks - self.ours.get(pid, 0)
        self.others = max(0.0, (busy - self.busy - ours) / max(1, total - self.total))


def wait_until_quiet(server: Server, limit: float = 60) -> float:
    """Wait (up to ``limit`` seconds) until other processes leave the CPUs alone."""
    deadline = time.monotonic() + limit
    while True:
        before = process_ticks(all_pids())
        with CpuMeter(server) as meter:
            time.sleep(0.5)
        if meter.others <= OTHERS_LIMIT or time.monotonic() > deadline:
            return meter.others
        after = process_ticks(set(all_pids()) - set(our_pids(server)))
        busiest = max(after, key=lambda pid: after[pid] - before.get(pid, 0))
        left = deadline - time.monotonic()
        log(
            f"other processes use {meter.others:.0%} of the CPUs, the busiest "
            f"{command_of(busiest)!r}; waiting up to {left:.0f} s for quiet"
        )
        time.sleep(2)


def all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def command_of(pid: int) -> str:
    with contextlib.suppress(OSError):
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        return command.strip()[:80] or Path(f"/proc/{pid}/comm").read_text().strip()
    return str(pid)


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(output: str) -> Load:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M)
        if not match:
            raise ValueError(f"no {percent}% latency in wrk output:\n{output}")
        return float(match[1]) * UNITS_MS[match[2]]

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in", output, re.M)
    if not rps or not total:
        raise ValueError(f"unexpected wrk output:\n{output}")
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx[1])
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if sockets:
        errors += sum(int(count) for count in sockets.groups())
    return Load(float(rps[1]), latency("50"), latency("99"), int(total[1]), errors)


def wrk(url: str, connections: int, seconds: float, script: Path | None = None) -> Load:
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    # wrk's own timeout (2 s) and duration bound every load; this bounds wrk itself.
    output = run([*command, url], timeout=seconds + 30).stdout
    return parse_wrk(output)


def measure(server: Server, url: str, connections: int, args, script: Path | None = None) -> Load:
    """The median run (by requests/s) of --repeat runs, each run while others kept quiet."""
    runs = []
    for _ in range(args.repeat):
        for attempt in range(1, ATTEMPTS + 1):
            wait_until_quiet(server)
            with CpuMeter(server) as meter:
                load = wrk(url, connections, args.duration, script)
            load.others = meter.others
            if load.others <= OTHERS_LIMIT:
                break
            again = "measuring again" if attempt < ATTEMPTS else "keeping it, marked"
            log(f"other processes used {load.others:.0%} of the CPUs meanwhile; {again}")
        runs.append(load)
    runs.sort(key=lambda load: load.rps)
    median = runs[len(runs) // 2]
    median.others = max(load.others for load in runs)
    return median


def search_script(queries: list[str]) -> Path:
    paths = ", ".join(
        json.dumps(LIST_PATH + "?search=" + urllib.parse.quote_plus(query)) for query in queries
    )
    script = WORK / "search.lua"
    script.write_text(
        "-- Rotate through the search queries; each thread starts at its own offset.\n"
        f"local paths = {{{paths}}}\n"
        "offset = 0 -- global, so that setup() can set it in each thread\n"
        "local counter = 0\n"
        "function setup(thread)\n"
        "  thread:set('offset', counter * 7)\n"
        "  counter = counter + 1\n"
        "end\n"
        "function request()\n"
        "  offset = offset % #paths + 1\n"
        "  return wrk.format('GET', paths[offset])\n"
        "end\n"
    )
    return script


# The run --------------------------------------------------------------------------------


@dataclass
class Row:
    endpoint: str
    phase: str
    many: Load
    one: Load
    queries_warm: int | None = None
    queries_first: int | None = None
    size: int | None = None


def bench_site(phase: str, paths: dict, queries: list[str], script: Path, args) -> list[Row]:
    response_cache, settings = PHASES[phase]
    env = site_env(response_cache, args.anon_rate, **settings)
    server = Server(
        phase.replace(", ", "-").replace(" ", "-"), "glossary_project.wsgi:application", env
    )
    rows = []
    try:
        for endpoint in ENDPOINTS:
            path = paths[endpoint]
            url = server.url(path) if endpoint != "search" else server.url(LIST_PATH)
            flush_cache()
            first = get_json(server.port, path)
            log(f"{phase} {endpoint}: warming up")
            wrk(url, 16, args.warmup, script if endpoint == "search" else None)
            warm = get_json(server.port, path)
            log(f"{phase} {endpoint}: 16 connections, then 1")
            many = measure(server, url, 16, args, script if endpoint == "search" else None)
            one = measure(server, url, 1, args, script if endpoint == "search" else None)
            rows.append(
                Row(endpoint, phase, many, one, warm.queries, first.queries, len(warm.body))
            )
    finally:
        server.stop()
    return rows


def bench_floor(bodies: Path, args) -> dict[str, Row]:
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "FLOOR_BODIES": str(bodies)}
    server = Server("floor", "bench.floor:application", env)
    rows = {}
    try:
        for endpoint in ("list", "detail"):
            url = server.url("/" + endpoint)
            log(f"floor {endpoint}: warming up, then 16 connections, then 1")
            wrk(url, 16, args.warmup)
            many, one = measure(server, url, 16, args), measure(server, url, 1, args)
            rows[endpoint] = Row(
                endpoint, "floor", many, one, size=len(get(server.port, "/" + endpoint).body)
            )
    finally:
        server.stop()
    return rows


def typical_slug(data: dict) -> str:
    """A published term with the typical amount of content, all of its related published."""
    published = {term["slug"] for term in data["terms"] if term["status"] == "published"}
    for term in data["terms"]:
        if (
            term["slug"] in published
            and (len(term["faqs"]), len(term["references"]), len(term["related"])) == (1, 2, 3)
            and len(term["key_considerations"]) == 4
            and published.issuperset(term["related"])
        ):
            return term["slug"]
    return min(published)


def discover(data: dict, queries: list[str]) -> tuple[dict, Path, dict]:
    """Check the API answers, pick a published slug, capture the floor's bodies."""
    server = Server("probe", "glossary_project.wsgi:application", site_env(False))
    try:
        listing = get_json(server.port, LIST_PATH)
        slug = typical_slug(data)
        paths = {
            "list": LIST_PATH,
            "detail": f"{LIST_PATH}{slug}/",
            "search": LIST_PATH + "?search=" + urllib.parse.quote_plus(queries[0]),
            "letters": LETTERS_PATH,
        }
        detail = get_json(server.port, paths["detail"])
        get_json(server.port, paths["letters"])
        hits = {}
        for query in queries:
            reply = get_json(server.port, LIST_PATH + "?search=" + urllib.parse.quote_plus(query))
            hits[query] = json.loads(reply.body).get("count")
        bodies = WORK / "floor"
        bodies.mkdir(exist_ok=True)
        (bodies / "list.json").write_bytes(listing.body)
        (bodies / "detail.json").write_bytes(detail.body)
        if listing.queries is None:
            log("warning: no X-Query-Count header (is BENCH_QUERY_COUNT wired in settings?)")
    finally:
        server.stop()
    return paths, bodies, hits


# Report ---------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def ratio(value: float, floor: Load | None) -> str:
    return f"{value / floor.rps:.2f}" if floor else ""


def table(rows: list[Row], floor: dict[str, Row]) -> list[str]:
    lines = [
        "| endpoint | phase | req/s 16c | × floor | p50 16c | p99 16c "
        "| req/s 1c | × floor | p50 1c | p99 1c | SQL/req | SQL first | bytes |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    ordered = sorted(
        rows, key=lambda row: (ENDPOINTS.index(row.endpoint), list(PHASES).index(row.phase))
    )
    for endpoint in ENDPOINTS:
        group = [row for row in ordered if row.endpoint == endpoint]
        if endpoint in floor:
            group.append(floor[endpoint])
        for row in group:
            base = floor.get(endpoint)
            many_base, one_base = (base.many, base.one) if base else (None, None)
            errors = row.many.errors + row.one.errors
            note = f" ⚠ {errors} errors" if errors else ""
            others = max(row.many.others, row.one.others)
            if others > OTHERS_LIMIT:
                note += f" ⚠ others {others:.0%} CPU"
            lines.append(
                f"| {row.endpoint} | {row.phase}{note} | {row.many.rps:,.0f} "
                f"| {ratio(row.many.rps, many_base)} | {ms(row.many.p50)} | {ms(row.many.p99)} "
                f"| {row.one.rps:,.0f} | {ratio(row.one.rps, one_base)} "
                f"| {ms(row.one.p50)} | {ms(row.one.p99)} "
                f"| {dash(row.queries_warm)} | {dash(row.queries_first)} | {dash(row.size)} |"
            )
    return lines


def dash(value) -> str:
    return "—" if value is None else f"{value}"


def targets(rows: list[Row], floor: dict[str, Row]) -> list[str]:
    found = {(row.endpoint, row.phase): row for row in rows}
    checks = []
    for endpoint in ("detail", "list"):
        if (endpoint, "cached") in found:
            value = found[endpoint, "cached"].many.rps / floor[endpoint].many.rps
            checks.append(
                (f"cached {endpoint} req/s (16c) ≥ 0.5 × floor", f"{value:.2f}", value >= 0.5)
            )
    for endpoint, limit in (("detail", 5), ("list", 10)):
        if (endpoint, "uncached") in found:
            value = found[endpoint, "uncached"].one.p50
            checks.append((f"uncached {endpoint} p50 (1c) < {limit} ms", ms(value), value < limit))
    for phase in ("cached", "uncached"):
        if ("search", phase) in found:
            load = found["search", phase].one
            checks.append((f"{phase} search p50 (1c) < 20 ms", ms(load.p50), load.p50 < 20))
            checks.append((f"{phase} search p99 (1c) < 50 ms", ms(load.p99), load.p99 < 50))
    lines = ["| target | measured | |", "|---|--:|---|"]
    lines += [
        f"| {name} | {value} | {'pass' if ok else '**FAIL**'} |" for name, value, ok in checks
    ]
    return lines


def costs(rows: list[Row]) -> list[str]:
    """Each variant phase next to its usual one: requests/s at 16 connections and p50 at 1."""
    found = {(row.endpoint, row.phase): row for row in rows}
    lines = []
    for phase in PHASES:
        usual = phase.split(",")[0]
        if phase == usual:
            continue
        for endpoint in ENDPOINTS:
            row, base = found.get((endpoint, phase)), found.get((endpoint, usual))
            if row and base:
                lines.append(
                    f"| {endpoint} | {phase} | {row.many.rps / base.many.rps:.2f} "
                    f"| {ms(base.one.p50)} → {ms(row.one.p50)} |"
                )
    if not lines:
        return []
    return [
        "| endpoint | phase | req/s 16c × usual | p50 1c usual → this |",
        "|---|---|--:|--:|",
        *lines,
    ]


def machine_info() -> list[str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())[1]
    memory = ""
    with contextlib.suppress(OSError, TypeError):
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    redis = re.search(r"redis_version:(\S+)", run(["redis-cli", "-h", HOST, "info"]).stdout)
    versions = {
        "PostgreSQL": psql("SHOW server_version"),
        "Redis": redis[1] if redis else "unknown",
        "Python": platform.python_version(),
        "gunicorn": run([str(VENV_BIN / "gunicorn"), "--version"]).stdout.split()[-1].strip(")"),
        "wrk": wrk_version(),
    }
    return [
        f"- machine: {os.cpu_count()} CPUs (nproc {run(['nproc']).stdout.strip()}), {cpu}{memory}, "
        f"Linux {platform.release()}, load average at start {os.getloadavg()[0]:.2f}",
        "- " + ", ".join(f"{name} {version}" for name, version in versions.items()),
    ]


def wrk_version() -> str:
    result = subprocess.run(["wrk", "-v"], text=True, capture_output=True)
    match = re.search(r"wrk (\S+)", result.stdout + result.stderr)
    return match[1] if match else "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, required=True, help="number of terms to generate")
    parser.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per load (10)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per endpoint (3)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per load; the median is kept")
    parser.add_argument(
        "--reuse-db", action="store_true", help="keep glossary_bench if built from the same data"
    )
    parser.add_argument(
        "--anon-rate", default=ANON_RATE, help=f"API_ANON_RATE for the site ({ANON_RATE})"
    )
    parser.add_argument(
        "--phase",
        action="append",
        choices=[*PHASES, "all"],
        help="a phase to run, repeatable; 'all' for every one "
        f"(default: {'; '.join(DEFAULT_PHASES)})",
    )
    args = parser.parse_args(argv)
    if not args.phase:
        args.phase = list(DEFAULT_PHASES)
    elif "all" in args.phase:
        args.phase = list(PHASES)
    command = shlex.join(["bench/run", *(sys.argv[1:] if argv is None else argv)])
    started = datetime.datetime.now(datetime.UTC)

    check_tools()
    WORK.mkdir(exist_ok=True)
    info = machine_info()
    data_file = WORK / f"glossary-N{args.terms}-seed{args.seed}.json"
    log(f"generating {args.terms} terms into {data_file}")
    data = generate.generate(args.terms, args.seed)
    data_file.write_text(json.dumps(data, ensure_ascii=False))
    queries = generate.search_queries(data, args.seed)
    import_seconds = prepare_database(data_file, args.terms, args.seed, args.reuse_db)

    paths, bodies, hits = discover(data, queries)
    script = search_script(queries)
    rows = []
    for phase in args.phase:
        rows += bench_site(phase, paths, queries, script, args)
    floor = bench_floor(bodies, args)

    published = sum(term["status"] == "published" for term in data["terms"])
    found = sum(1 for count in hits.values() if count)
    report = [
        f"## N = {args.terms:,} terms ({published:,} published), {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command}`",
        "",
        *info,
        f"- import: {import_seconds:.1f} s for {args.terms:,} terms "
        f"(`manage.py import_glossary`, wall clock)",
        f"- gunicorn 2 sync workers; wrk -t2 -c16 and -t1 -c1, {args.duration:g} s each "
        f"after {args.warmup:g} s warm-up, median of {args.repeat}",
        f"- detail: `{paths['detail']}`; search rotates {len(queries)} queries "
        f"({found} with results), e.g. {', '.join(repr(q) for q in queries[-3:])}",
        f"- API_ANON_RATE={args.anon_rate}; CPU used by other processes during a load: "
        f"at most {max(max(r.many.others, r.one.others) for r in [*rows, *floor.values()]):.0%}"
        f" (a load over {OTHERS_LIMIT:.0%} is measured again, up to {ATTEMPTS} times)",
        "- SQL/req: `X-Query-Count` after warm-up; SQL first: first request after flushing "
        "the Redis cache. × floor: requests/s over the floor's at the same concurrency.",
        "",
        *table(rows, floor),
        "",
        *targets(rows, floor),
        "",
        *costs(rows),
        "",
    ]
    text = "\n".join(report)
    print(text)
    output = BENCH / f"results-N{args.terms}-{started:%Y%m%dT%H%M%SZ}.md"
    output.write_text(text)
    log(f"written to {output.relative_to(ROOT)}")


def on_signal(number, _frame) -> None:
    sys.exit(128 + number)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        main()
    finally:
        Server.stop_all()
