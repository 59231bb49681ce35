"""``./dev run`` stops web, worker and beat together and only then ends: on SIGTERM to its process
group (as ``timeout`` sends it), on Ctrl-C (SIGINT to the terminal's process group), when one of
the three ends, on a signal that comes while the three are still being started, and with a worker
that does not stop (killed after ``STOP_GRACE`` seconds).

The script runs a copy of ``dev`` whose virtualenv holds stand-ins for ``python`` and ``celery``
(migrate and seed_demo return at once, runserver and beat wait for a signal, the worker stops its
pool process and takes half a second more, like a warm shutdown), so each case takes seconds."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[1]
ROLES = ("worker", "beat", "runserver")

FAKE_PYTHON = """#!/usr/bin/env bash
# python manage.py COMMAND: migrate and seed_demo are done at once; runserver runs until signalled.
if [ "$2" = runserver ]; then
  echo $$ > "$FAKE_DIR/runserver.pid"
  exec sleep 600
fi
"""

FAKE_CELERY = """#!/usr/bin/env bash
# celery -A slaproject worker|beat …
role="$3"
echo $$ > "$FAKE_DIR/$role.pid"
if [ "$role" = beat ]; then
  exec sleep 600
fi
if [ -n "${FAKE_SIGNAL_WHILE_STARTING:-}" ]; then
  kill -TERM "$PPID"  # a signal to ./dev run while it is still starting the three
fi
if [ -n "${FAKE_STUCK_WORKER:-}" ]; then
  trap '' TERM  # a worker that does not stop
else
  # A pool process: the worker stops it itself; a TERM from anyone else is noted (a real worker
  # whose pool is signalled from outside waits for ever in its warm shutdown).
  bash -c 'trap "touch \"$FAKE_DIR/pool-signalled\"; exit 1" TERM; while :; do sleep 0.1; done' &
  pool=$!
  echo $pool > "$FAKE_DIR/pool.pid"
  # Its running task first (warm shutdown), then its pool.
  trap 'sleep 0.3; kill -USR1 $pool; sleep 0.2; exit 0' TERM
fi
while :; do sleep 0.1; done
"""


@pytest.fixture
def fake_checkout(tmp_path: Path) -> Iterator[Path]:
    """A checkout with ``dev``, a requirements file, and a virtualenv of stand-ins marked as
    installed (so ``./dev run`` installs nothing)."""
    shutil.copy(BASE_DIR / "dev", tmp_path / "dev")
    requirements = b"django\n"
    (tmp_path / "requirements.txt").write_bytes(requirements)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    stamp = hashlib.sha1(requirements + requirements).hexdigest()[:12]
    (tmp_path / ".venv" / f".installed-{stamp}").touch()
    for name, text in (("python", FAKE_PYTHON), ("celery", FAKE_CELERY)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "fake").mkdir()
    yield tmp_path


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _pids(checkout: Path) -> dict[str, int]:
    """The stand-ins started so far (web, worker, beat, the worker's pool): name -> pid."""
    found = {}
    for path in (checkout / "fake").glob("*.pid"):
        if path.read_text().strip():
            found[path.stem] = int(path.read_text())
    return found


class DevRun:
    def __init__(self, checkout: Path, **env: str) -> None:
        self.checkout = checkout
        self.process = subprocess.Popen(
            ["bash", str(checkout / "dev"), "run"],
            cwd=checkout,
            env={
                "PATH": os.environ["PATH"],
                "HOME": str(checkout),
                "FAKE_DIR": str(checkout / "fake"),
                "PORT": "8299",
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as under `timeout` or a terminal
        )

    def wait_until_running(self) -> None:
        deadline = time.monotonic() + 20
        while not set(ROLES) <= set(_pids(self.checkout)) or not all(
            _alive(pid) for pid in _pids(self.checkout).values()
        ):
            assert time.monotonic() < deadline, "the three did not start"
            time.sleep(0.05)

    def signal_group(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def ended(self, timeout: float) -> int:
        """The script's exit status once it has ended (the test fails if it has not)."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"./dev run still runs {timeout} s after the signal")

    def left_running(self) -> list[str]:
        return [role for role, pid in _pids(self.checkout).items() if _alive(pid)]

    def clean_up(self) -> None:
        """Whatever a failing case left behind: this run's processes, by their pids only."""
        for pid in [self.process.pid, *_pids(self.checkout).values()]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def dev_run(fake_checkout: Path) -> Iterator[Callable[..., DevRun]]:
    runs: list[DevRun] = []

    def start(**env: str) -> DevRun:
        run = DevRun(fake_checkout, **env)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.clean_up()


@pytest.mark.parametrize(
    ("signum", "status"),
    [
        pytest.param(signal.SIGTERM, 143, id="SIGTERM, as timeout sends it"),
        pytest.param(signal.SIGINT, 130, id="Ctrl-C"),
    ],
)
def test_a_signal_stops_web_worker_and_beat_before_the_script_ends(
    dev_run, signum: int, status: int
) -> None:
    run = dev_run()
    run.wait_until_running()
    run.signal_group(signum)
    assert run.ended(timeout=15) == status
    # Nothing is left, not even the worker finishing its task: the script waited for it.
    assert run.left_running() == []
    assert b"Stopping web, worker and beat" in run.process.stdout.read()
    # The signal reached the script only; the worker stopped its pool itself.
    assert not (run.checkout / "fake" / "pool-signalled").exists()


def test_when_one_of_the_three_ends_the_others_are_stopped(dev_run) -> None:
    run = dev_run()
    run.wait_until_running()
    os.kill(_pids(run.checkout)["runserver"], signal.SIGTERM)  # say its port was taken
    assert run.ended(timeout=15) == 1
    assert run.left_running() == []
    assert b"The web server stopped: stopping the others." in run.process.stdout.read()


def test_a_signal_while_the_three_are_starting_starts_no_more(dev_run) -> None:
    run = dev_run(FAKE_SIGNAL_WHILE_STARTING="1")
    assert run.ended(timeout=15) == 143
    assert run.left_running() == []


def test_a_worker_that_does_not_stop_is_killed_after_the_grace(dev_run) -> None:
    run = dev_run(FAKE_STUCK_WORKER="1", STOP_GRACE="1")
    run.wait_until_running()
    started = time.monotonic()
    run.signal_group(signal.SIGTERM)
    assert run.ended(timeout=15) == 143
    assert time.monotonic() - started < 10
    assert run.left_running() == []
