"""The receiver of docs/API.md ("Verifying a signature") runs as written: the block saved as a
file and started with ``python3 receiver.py`` (its own process, the documented environment
variables) takes a real, signed delivery with 204 and refuses a forged one with 400."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.factories import TicketFactory
from tests.tickets.webhooks.conftest import deliver_pending
from tickets.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db
API_DOC = Path(__file__).resolve().parents[3] / "docs" / "API.md"


def _documented_receiver() -> str:
    section = API_DOC.read_text().split("### Verifying a signature", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the documented receiver did not start listening")


def test_the_documented_receiver_runs_as_written(tmp_path, receiver, endpoint) -> None:
    script = tmp_path / "receiver.py"
    script.write_text(_documented_receiver())
    port = _free_port()
    hook = endpoint(events=["ticket.created"])
    hook.url = f"http://127.0.0.1:{port}/"
    hook.save()
    process = subprocess.Popen(
        [sys.executable, str(script)],
        env={"WEBHOOK_SECRET": hook.secret, "PORT": str(port), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_listening(port, process)
        ticket = TicketFactory()
        assert list(deliver_pending().values()) == ["delivered"]
        assert WebhookDelivery.objects.get().last_status_code == 204

        forged = urllib.request.Request(
            f"http://127.0.0.1:{port}/",
            data=json.dumps({"type": "ticket.created"}).encode(),
            headers={"Webhook-Signature": f"t={int(time.time())},v1={'0' * 64}"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=10)
        assert refused.value.code == 400
    finally:
        process.terminate()
        output, _errors = process.communicate(timeout=10)
    assert output.splitlines() == [f"ticket.created {ticket.pk}"]
