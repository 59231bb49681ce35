"""Load test of the production run: gunicorn with DEBUG off, static files collected (WhiteNoise),
demo data, and concurrent clients on the agents' queue page (session) and the ticket API (token).

    .venv/bin/python bench/load.py                       # SQLite file in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/load.py

With ``DATABASE_URL`` set, the run uses a database of its own on that server (the URL's name with
``_load`` appended), created for the run and dropped after it, so no existing data is touched.
Loopback only, bounded in time (``--duration``) and count (``--max-requests``). The client is a
small thread pool on ``http.client`` (one keep-alive connection per thread), so nothing extra is
installed; it shares the machine's CPUs with the server. Prints a Markdown table: requests,
errors, throughput and latency percentiles per kind of request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # loopback only
DEMO_USER, DEMO_PASSWORD = "agent", "demo-password-123"  # from seed_demo
MAX_CONNECTIONS, MAX_DURATION = 200, 300  # the bounds a run may ask for
# What each client thread does, by weight: the queue page is what agents keep open.
MIX = (("queue page", 45), ("API list", 25), ("API ticket", 20), ("API create", 10))


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies[kind].append(seconds)
            else:
                self.errors[kind] += 1
                if len(self.examples) < 5:
                    self.examples.append(f"{kind}: {error}")

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + sum(self.errors.values())


# --- The server ---------------------------------------------------------------------------------


def _run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _load_database(url: str) -> tuple[str, str]:
    """(URL of a fresh database for this run, its name) on the server of ``url``."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = (parts.path.lstrip("/") or "helpdesk") + "_load"
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), name


def _drop_database(url: str, name: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/accounts/login/", headers=_proxy_headers())
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer on {HOST}:{port}")


def _proxy_headers() -> dict[str, str]:
    """What the TLS-terminating proxy of the production set-up adds."""
    return {"X-Forwarded-Proto": "https"}


# --- The client ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    session_cookie: str
    token: str
    ticket_ids: list[int]


def _sign_in(port: int) -> str:
    """The ``Cookie`` header of a signed-in agent (the real sign-in form, with its CSRF token)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", "/accounts/login/", headers=_proxy_headers())
    response = connection.getresponse()
    page = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf_cookie and form_token, "no CSRF token on the sign-in page"
    body = urllib.parse.urlencode(
        {"username": DEMO_USER, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": form_token[1]}
    )
    connection.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            **_proxy_headers(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie[1]}",
            "Referer": f"https://{HOST}:{port}/accounts/login/",
        },
    )
    response = connection.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
    assert response.status == 302 and session, f"sign-in failed ({response.status})"
    connection.close()
    return f"sessionid={session[1]}; csrftoken={csrf_cookie[1]}"


def _request(kind: str, rng: random.Random, credentials: Credentials) -> tuple[str, str, bytes]:
    """(method, path, body) of one request of ``kind``."""
    if kind == "queue page":
        page = rng.choice(["", "?page=2", "?sla_status=overdue", "?owner=me", "?stage=any"])
        return "GET", f"/tickets/{page}", b""
    if kind == "API list":
        return "GET", rng.choice(["/api/tickets/", "/api/tickets/?sla_status=due_soon"]), b""
    if kind == "API ticket":
        return "GET", f"/api/tickets/{rng.choice(credentials.ticket_ids)}/", b""
    body = {
        "subject": f"Load test {rng.randrange(10**9)}",
        "body": "Created by bench/load.py.",
        "requester_email": "load@example.com",
        "priority": rng.choice(["low", "medium", "high", "urgent"]),
    }
    return "POST", "/api/tickets/", json.dumps(body).encode()


EXPECTED = {"queue page": 200, "API list": 200, "API ticket": 200, "API create": 201}


def _client(
    port: int,
    credentials: Credentials,
    results: Results,
    *,
    deadline: float,
    budget: threading.Semaphore,
    seed: int,
) -> None:
    rng = random.Random(seed)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    connection: http.client.HTTPConnection | None = None
    while time.monotonic() < deadline and budget.acquire(blocking=False):
        kind = rng.choice(kinds)
        method, path, body = _request(kind, rng, credentials)
        headers = {**_proxy_headers(), "Host": f"{HOST}:{port}"}
        if kind == "queue page":
            headers["Cookie"] = credentials.session_cookie
        else:
            headers["Authorization"] = f"Token {credentials.token}"
            if body:
                headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        error = None
        try:
            if connection is None:
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != EXPECTED[kind]:
                error = f"{method} {path}: {response.status}"
            if response.getheader("Connection", "").lower() == "close" or response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException) as exc:
            error = f"{method} {path}: {type(exc).__name__} {exc}"
            if connection is not None:
                connection.close()
            connection = None
        results.record(kind, time.perf_counter() - started, error)
    if connection is not None:
        connection.close()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _report(results: Results, *, elapsed: float, args: argparse.Namespace, database: str) -> str:
    lines = [
        f"{args.connections} connections for {elapsed:.1f} s against gunicorn "
        f"({args.workers} {'gthread' if args.threads > 1 else 'sync'} workers"
        f"{f' × {args.threads} threads' if args.threads > 1 else ''}), {database}, "
        f"{args.tickets} seeded tickets, DEBUG off, {os.cpu_count()} CPUs shared by server "
        f"and client (load average before the run: {args.load_before:.1f}).",
        "",
        "| requests | errors | throughput | p50 | p95 | p99 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [(kind, results.latencies[kind], results.errors[kind]) for kind, _ in MIX]
    everything = [v for values in results.latencies.values() for v in values]
    rows.append(("all", everything, sum(results.errors.values())))
    for kind, values, errors in rows:
        if not values:
            lines.append(f"| {kind} | {errors} | — | — | — | — |")
            continue
        count = len(values) + errors
        lines.append(
            f"| {kind}: {count:,} | {errors} | {count / elapsed:,.0f}/s | "
            f"{_percentile(values, 0.50) * 1000:.0f} ms | "
            f"{_percentile(values, 0.95) * 1000:.0f} ms | "
            f"{_percentile(values, 0.99) * 1000:.0f} ms |"
        )
    if everything:
        lines.append("")
        lines.append(f"Mean latency {statistics.fmean(everything) * 1000:.0f} ms.")
    if results.examples:
        lines.append("")
        lines.append("First errors: " + "; ".join(results.examples))
    return "\n".join(lines)


# --- Main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=1000, help="demo tickets to seed")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--threads", type=int, default=1, help=">1: gthread workers")
    args = parser.parse_args()
    if not 1 <= args.connections <= MAX_CONNECTIONS or not 0 < args.duration <= MAX_DURATION:
        parser.error(f"connections 1–{MAX_CONNECTIONS}, duration up to {MAX_DURATION} s")

    folder = Path(tempfile.mkdtemp(prefix="helpdesk-load-"))
    base_url = os.environ.get("DATABASE_URL", "")
    database_url, database_name = (
        _load_database(base_url) if base_url else (f"sqlite:///{folder / 'db.sqlite3'}", "")
    )
    database = "PostgreSQL" if base_url else "SQLite (WAL)"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(folder / "static"),
        "BROKER_DIR": str(folder / "broker"),
        "LOG_LEVEL": "WARNING",
        # The production HTTPS settings, behind a TLS proxy (the client sends its header).
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SESSION_COOKIE_SECURE": "true",
        "CSRF_COOKIE_SECURE": "true",
        "BEHIND_TLS_PROXY": "true",
    }
    python = str(BIN / "python")
    server = None
    try:
        print(f"Setting up in {folder} ({database}) …", file=sys.stderr)
        _run([python, "manage.py", "migrate", "--no-input", "-v0"], env)
        _run([python, "manage.py", "collectstatic", "--no-input", "-v0"], env)
        _run([python, "manage.py", "seed_demo", "--tickets", str(args.tickets)], env)
        token = _run([python, "manage.py", "create_api_token", DEMO_USER], env).split()[-1]
        port = _free_port()
        command = [str(BIN / "gunicorn"), "slaproject.wsgi", "--bind", f"{HOST}:{port}"]
        command += ["--workers", str(args.workers), "--log-level", "warning"]
        if args.threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(args.threads)]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        _wait_for(port)
        credentials = Credentials(
            session_cookie=_sign_in(port),
            token=token,
            ticket_ids=_ticket_ids(port, token),
        )
        results = Results()
        budget = threading.Semaphore(args.max_requests)
        print(
            f"{args.connections} connections for {args.duration:.0f} s on port {port} …",
            file=sys.stderr,
        )
        args.load_before = os.getloadavg()[0]
        started = time.monotonic()
        deadline = started + args.duration
        threads = [
            threading.Thread(
                target=_client,
                args=(port, credentials, results),
                kwargs={"deadline": deadline, "budget": budget, "seed": index},
            )
            for index in range(args.connections)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        print(_report(results, elapsed=elapsed, args=args, database=database))
        return 1 if sum(results.errors.values()) else 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if database_name:
            _drop_database(base_url, database_name)
        shutil.rmtree(folder, ignore_errors=True)


def _ticket_ids(port: int, token: str) -> list[int]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {**_proxy_headers(), "Authorization": f"Token {token}"}
    connection.request("GET", "/api/tickets/?page_size=100", headers=headers)
    response = connection.getresponse()
    assert response.status == 200, response.status
    ids = [ticket["id"] for ticket in json.loads(response.read())["results"]]
    connection.close()
    assert ids, "no tickets were seeded"
    return ids


if __name__ == "__main__":
    raise SystemExit(main())
