"""Server CPU time per request of the agents' pages and polls, measured in the serving process.

    DATABASE_URL=postgres://…/NAME .venv/bin/python bench/page_cpu.py [--requests 200]
    .venv/bin/python bench/page_cpu.py --compare OLD_TREE [--old-db NAME] [--rounds 6]
        [--requests 60]

On a database filled by ``bench/generate.py`` (``--db NAME`` as the other benchmarks, or
``DATABASE_URL``), Django's test client (in-process: middleware, view, ORM, template; no HTTP
server) requests each page as the signed-in demo agent. The figure is the CPU time of this
process's thread during the request (``time.thread_time``), so neither PostgreSQL's backend nor
anything else sharing the cores is counted; wall time is printed beside it, and the queries of one
request. The ticket page uses one ticket made here through the services (a conversation of six
messages, property changes, a reply that completes its first-response clock), created once.

``--compare OLD_TREE`` runs this same file from ``OLD_TREE`` (another checkout, e.g. made with
``git archive <commit> | tar -x -C OLD_TREE``) and from this tree in turns, ``--rounds`` times
each, on the same database, and prints the median of each side's rounds: old and new alternated
in one sitting, so both see the same machine; ``--old-db`` gives the old side a database of its
own (generated with the old commit's schema). A page the old commit does not have (404) is left
out of its side; on a commit before ``ticket_reply_and_move`` the ticket is made with
``ticket_message_add`` and ``ticket_update``. ``--only LABEL`` limits either form to the requests
whose label starts so. After the table it says, for issue 25's goals, the new CPU as a share of
the old (or in ms) and whether the goal is met; the goals are against the commit before that
issue's page work, 9f463c0:

    mkdir /tmp/speed-old && git archive 9f463c0 | tar -x -C /tmp/speed-old
    echo 9f463c0 > /tmp/speed-old/COMMIT && cp bench/page_cpu.py /tmp/speed-old/bench/
    .venv/bin/python bench/page_cpu.py --db NAME --compare /tmp/speed-old --rounds 6 --requests 60
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import ROOT, django_setup

BENCH_SUBJECT = "Bench: the ticket page"
# (label, path; "{ticket}" is the bench ticket's id).
PAGES = (
    ("queue page (default view)", "/tickets/"),
    ("queue page, overdue", "/tickets/?sla_status=overdue"),
    ("queue poll (rows)", "/tickets/rows/"),
    # The poll sends the state the page's rows were rendered in, its earliest change moved far
    # ahead (as if time had not ticked), so that it measures the answer when nothing changed;
    # code without that state (before) renders the rows.
    ("queue poll, nothing changed", "/tickets/rows/?state={state}"),
    ("ticket page", "/tickets/{ticket}/"),
    ("ticket poll", "/tickets/{ticket}/live/"),
    # As the page's poll sends it: what the page has (its latest message, its notice's start, its
    # conversation's and history's hashes, its properties form's version) and its state, the
    # earliest change moved far ahead as for the queue; code without that state (before) renders
    # the regions that are always sent (not the conversation and history: their hashes match).
    ("ticket poll, nothing changed", "/tickets/{ticket}/live/?{ticket_state}"),
    ("report page (7 days)", "/reports/sla/"),
)


# Issue 25's goals: (label, goal, "ratio" of new to old CPU or "ms" of new CPU).
TARGETS = (
    ("queue page (default view)", 0.40, "ratio"),
    ("queue poll, nothing changed", 3.0, "ms"),
    ("ticket page", 0.50, "ratio"),
    ("ticket poll, nothing changed", 3.0, "ms"),
)


def bench_ticket() -> int:
    """The ticket the ticket page is measured on (made once, through the services)."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from settings_app.models import Team
    from tickets.models import Message, Ticket, TicketChange
    from tickets.services import ticket_create, ticket_message_add

    found = Ticket.objects.filter(subject=BENCH_SUBJECT).values_list("pk", flat=True).first()
    if found:
        return found
    agent = get_user_model().objects.get(username="agent")
    start = timezone.now() - datetime.timedelta(hours=5)
    ticket = ticket_create(
        subject=BENCH_SUBJECT,
        body="The printer is on fire.\n\nIt has been since this morning.",
        requester_email="ana@example.com",
        priority="high",
        now=start,
    )
    moment = start
    for number in range(1, 6):
        moment += datetime.timedelta(minutes=31)
        if number % 2:
            _agent_reply(
                ticket_id=ticket.pk,
                body=f"Agent reply {number}: we are looking at it.",
                author=agent,
                now=moment,
                is_internal=number == 3,
            )
        else:
            ticket_message_add(
                ticket_id=ticket.pk,
                body=f"Customer answer {number}.",
                author_kind=Message.Author.CUSTOMER,
                now=moment,
            )
    team = Team.objects.order_by("pk").first()
    changes = {"priority": "urgent", "team": team, "owner": agent}
    try:
        from tickets.services import ticket_update_checked
    except ImportError:  # a commit before the ticket page's workspace (issue 16)
        from tickets.services import ticket_update

        ticket_update(
            ticket_id=ticket.pk,
            now=moment + datetime.timedelta(minutes=3),
            actor=agent,
            via=TicketChange.Via.PAGE,
            **changes,
        )
    else:
        ticket_update_checked(
            ticket_id=ticket.pk,
            now=moment + datetime.timedelta(minutes=3),
            changes=changes,
            since_version=None,
            actor=agent,
            via=TicketChange.Via.PAGE,
        )
    assert Message.objects.filter(ticket=ticket).count() == 6
    return ticket.pk


def _agent_reply(**arguments: Any) -> None:
    """An agent's reply through the page's service (``ticket_message_add`` before it existed)."""
    try:
        from tickets.services import ticket_reply_and_move
    except ImportError:  # a commit before the ticket page's workspace (issue 16)
        from tickets.models import Message
        from tickets.services import ticket_message_add

        ticket_message_add(author_kind=Message.Author.AGENT, **arguments)
    else:
        ticket_reply_and_move(**arguments)


def _unchanged_state(client: Any) -> str:
    """The queue page's rows' state, its earliest change a day ahead ("" before it existed)."""
    import re

    html = client.get("/tickets/").content.decode()
    found = re.search(r'id="queue-rows"[^>]* data-state="(\d+)-(\w+)"', html)
    if found is None:
        return ""
    return f"{int(found.group(1)) + 86_400_000}-{found.group(2)}"


def _ticket_unchanged_params(client: Any, ticket: int) -> str:
    """The ticket page's poll parameters as its script sends them, its state's earliest change a
    day ahead (no state before it existed)."""
    import re
    from urllib.parse import urlencode

    html = client.get(f"/tickets/{ticket}/").content.decode()
    if 'id="live-state"' not in html:  # a commit before the page's poll
        return ""
    live = html.split('id="live-state"', 1)[1].split("</div>", 1)[0]
    params = dict(re.findall(r'name="(\w+)" value="([^"]*)"', live))
    version = re.search(r'<input type="hidden" name="version" value="(\d*)"', html)
    params["version"] = version.group(1) if version else ""
    params["replying"] = "0"
    found = re.search(r'id="ticket-live"[^>]* data-state="(\d+)-(\w+)"', html)
    if found is not None:
        params["state"] = f"{int(found.group(1)) + 86_400_000}-{found.group(2)}"
    return urlencode(params)


def measure(requests: int, only: str = "") -> dict[str, dict[str, float]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    agent = get_user_model().objects.get(username="agent")
    ticket = bench_ticket()
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    results = {}
    for label, template in PAGES:
        if only and not label.startswith(only):
            continue
        path = template.format(
            ticket=ticket,
            state=_unchanged_state(client) if "{state}" in template else "",
            ticket_state=(
                _ticket_unchanged_params(client, ticket) if "{ticket_state}" in template else ""
            ),
        )
        if client.get(path).status_code == 404:  # a page this commit does not have
            continue
        for _ in range(5):  # warm caches, the settings snapshot, the template loader
            response = client.get(path)
            assert response.status_code in (200, 204), (path, response.status_code)
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(path)
        cpu, wall = [], []
        for _ in range(requests):
            started_cpu, started = time.thread_time(), time.perf_counter()
            response = client.get(path)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
        results[label] = {
            "cpu": statistics.median(cpu),
            "wall": statistics.median(wall),
            "queries": len(queries),
            "status": response.status_code,
            "bytes": len(response.content),
        }
    return results


def compare(
    old_tree: Path, rounds: int, requests: int, db: str, old_db: str, only: str = ""
) -> None:
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    for round_number in range(rounds):
        for side, tree, side_db in (("old", old_tree, old_db), ("new", ROOT, db)):
            output = subprocess.run(
                [
                    sys.executable,
                    str(Path(tree) / "bench" / "page_cpu.py"),
                    "--json",
                    "--db",
                    side_db,
                    "--requests",
                    str(requests),
                    *(["--only", only] if only else []),
                ],
                cwd=Path(tree) / "bench",
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            runs[side].append(json.loads(output.strip().splitlines()[-1]))
            print(f"  round {round_number + 1} {side} done", file=sys.stderr, flush=True)
    marker = Path(old_tree) / "COMMIT"
    old_name = marker.read_text().strip() if marker.exists() else "(no COMMIT file)"
    print(f"old: {old_tree} at {old_name}; new: {ROOT}")
    print(
        "| request | old CPU ms | new CPU ms | new / old | old wall ms | new wall ms "
        "| queries old → new |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, _path in PAGES:
        if only and not label.startswith(only):
            continue
        if label not in runs["new"][0]:
            continue
        if label not in runs["old"][0]:
            print(f"| {label} | — | {median_of(runs, 'new', 'cpu', label):.2f} | — | — | — | — |")
            continue
        old_cpu, new_cpu = (
            median_of(runs, "old", "cpu", label),
            median_of(runs, "new", "cpu", label),
        )
        print(
            f"| {label} | {old_cpu:.2f} | {new_cpu:.2f} | {new_cpu / old_cpu:.0%} | "
            f"{median_of(runs, 'old', 'wall', label):.2f} | "
            f"{median_of(runs, 'new', 'wall', label):.2f} | "
            f"{runs['old'][0][label]['queries']} → {runs['new'][0][label]['queries']} |"
        )
    print(f"\n(medians of {rounds} alternated rounds of {requests} requests each)")
    # Issue 25's goals, against the commit before its page work (9f463c0).
    print("\nIssue 25's goals (server CPU per request, new against old):")
    for label, goal, kind in TARGETS:
        if only and not label.startswith(only):
            continue
        if label not in runs["old"][0] or label not in runs["new"][0]:
            continue
        old_cpu = median_of(runs, "old", "cpu", label)
        new_cpu = median_of(runs, "new", "cpu", label)
        if kind == "ratio":
            verdict = "met" if new_cpu / old_cpu <= goal else "NOT met"
            print(f"  {label}: {new_cpu / old_cpu:.0%} of old (goal ≤ {goal:.0%}): {verdict}")
        else:
            verdict = "met" if new_cpu <= goal else "NOT met"
            print(f"  {label}: {new_cpu:.2f} ms (goal ≤ {goal:g} ms): {verdict}")
    print("CPU ms of each round, old / new:")
    for label, _path in PAGES:
        rounds_cpu = [
            "/".join(f"{run[label]['cpu']:.2f}" if label in run else "—" for run in runs[side])
            for side in ("old", "new")
        ]
        print(f"  {label}: old {rounds_cpu[0]}; new {rounds_cpu[1]}")
    print(json.dumps(runs))


def median_of(runs: dict[str, list[dict]], side: str, key: str, label: str) -> float:
    return statistics.median(run[label][key] for run in runs[side])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--compare", type=Path, help="another checkout to alternate with")
    parser.add_argument("--old-db", help="the other checkout's database (default: --db)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--only", default="", help="the requests whose label starts so")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compare:
        compare(
            args.compare, args.rounds, args.requests, args.db, args.old_db or args.db, args.only
        )
        return
    django_setup(args.db)
    results = measure(args.requests, args.only)
    if args.json:
        print(json.dumps(results))
        return
    print("| request | CPU ms (median) | wall ms (median) | queries | status | bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, figures in results.items():
        print(
            f"| {label} | {figures['cpu']:.2f} | {figures['wall']:.2f} | {figures['queries']} "
            f"| {figures['status']} | {figures['bytes']:,} |"
        )


if __name__ == "__main__":
    main()
