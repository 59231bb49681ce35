"""The three ways mail arrives — the ``ingest_email`` pipe, ``POST /api/inbound-email/`` and the
IMAP poll — and what agents and support staff see of it: downloads, the original, the admin."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from tests.factories import ApiTokenFactory, UserFactory
from tests.tickets.inbound.conftest import Mailbox, corpus, email_bytes, ingest
from tickets.inbound.mailbox import ImapMailbox
from tickets.inbound.models import Attachment, InboundEmail, RejectedEmail
from tickets.inbound.tasks import imap_poll_task
from tickets.models import Message, Ticket

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "docs" / "samples" / "printer-on-fire.eml"


# --- The pipe: python manage.py ingest_email < message.eml --------------------------------------


def run_command(raw: bytes, monkeypatch) -> tuple[str, str, int]:
    stdin = io.TextIOWrapper(io.BytesIO(raw))
    monkeypatch.setattr(sys, "stdin", stdin)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ingest_email", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code)
    return out.getvalue().strip(), err.getvalue().strip(), code


def test_the_pipe_takes_a_message_from_standard_input(db, sla_settings, monkeypatch):
    out, _err, code = run_command(corpus("iso_8859_1"), monkeypatch)
    ticket = Ticket.objects.get()
    assert (out, code) == (f"Opened ticket #{ticket.pk}.", 0)
    assert InboundEmail.objects.get().via == "pipe"
    out, _err, code = run_command(corpus("iso_8859_1"), monkeypatch)
    assert (out, code) == ("Already taken in (<4f1c2d3e.iso@example.se>): nothing changed.", 0)


def test_the_pipe_refuses_an_oversized_message_so_the_mail_server_bounces_it(
    db, monkeypatch, settings
):
    settings.INBOUND_EMAIL_MAX_BYTES = 1000
    raw = email_bytes(body="x" * 5000)
    out, err, code = run_command(raw, monkeypatch)
    assert code == 65  # EX_DATAERR: the mail server returns it to the sender with the message
    assert err.startswith("The message is 5 kB; the help desk accepts messages up to 1000 bytes")
    assert RejectedEmail.objects.get().size == len(raw)


def test_the_readme_pipe_command_works_as_written(tmp_path):
    """``python manage.py ingest_email < docs/samples/printer-on-fire.eml`` in a fresh process
    on its own SQLite database; and exit 75 (try again later) when the database is down."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEBUG": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    def pipe(extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        with SAMPLE.open("rb") as stdin:
            return subprocess.run(
                [python, "manage.py", "ingest_email"],
                cwd=ROOT,
                env={**env, **(extra_env or {})},
                stdin=stdin,
                capture_output=True,
                text=True,
            )

    first = pipe()
    assert (first.returncode, first.stdout.strip()) == (0, "Opened ticket #1."), first.stderr
    again = pipe()
    assert again.returncode == 0 and "nothing changed" in again.stdout
    down = pipe({"DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"})
    assert down.returncode == 75, down.stderr
    assert "Temporary failure, try again later" in down.stderr


# --- The webhook: POST /api/inbound-email/ ------------------------------------------------------


def post(client: Client, raw: bytes, *, path: str = "/api/inbound-email/", **kwargs):
    return client.post(path, raw, content_type="message/rfc822", **kwargs)


@pytest.fixture
def token_client(db) -> Client:
    token = ApiTokenFactory()
    return Client(headers={"Authorization": f"Token {token.key}"})


def test_the_webhook_takes_a_raw_message_with_an_agents_token(sla_settings, token_client):
    response = post(token_client, corpus("attachments"))
    assert response.status_code == 202, response.content
    body = response.json()
    ticket = Ticket.objects.get()
    assert body == {
        "outcome": "ticket_created",
        "detail": "",
        "ticket": ticket.pk,
        "message": ticket.messages.get().pk,
    }
    assert InboundEmail.objects.get().via == "webhook"
    again = post(token_client, corpus("attachments"))
    assert again.status_code == 202 and again.json()["outcome"] == "duplicate"


def test_the_webhook_takes_a_secret_in_the_url_for_services_without_headers(db, settings):
    settings.INBOUND_EMAIL_KEY = "s3cret-key-for-mailgun"
    with_key = "/api/inbound-email/?key=s3cret-key-for-mailgun"
    response = post(Client(), corpus("iso_8859_1"), path=with_key)
    assert response.status_code == 202 and response.json()["outcome"] == "ticket_created"
    wrong = post(Client(), corpus("html_only"), path="/api/inbound-email/?key=guess")
    assert wrong.status_code == 401 and wrong.json() == {"errors": {"key": ["Invalid key."]}}
    settings.INBOUND_EMAIL_KEY = ""  # no key configured: no key is valid, not even an empty one
    empty = post(Client(), corpus("html_only"), path="/api/inbound-email/?key=")
    assert empty.status_code == 401
    assert Ticket.objects.count() == 1


def test_the_webhook_with_a_key_is_rate_limited_per_address(db, settings, token_client):
    # Limits are off in the suite (tests/conftest.py); switched on here, as a deployment has them.
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "inbound_email": [(3, 60)]}
    settings.INBOUND_EMAIL_KEY = "s3cret-key-for-mailgun"
    with_key = "/api/inbound-email/?key=s3cret-key-for-mailgun"

    def mail(n: int) -> bytes:
        return email_bytes(subject=f"Mail {n}", message_id=f"<limit-{n}@example.se>")

    with time_machine.travel("2026-12-01T09:00:10Z", tick=False):
        answers = [post(Client(), mail(n), path=with_key, REMOTE_ADDR="10.0.0.7") for n in (1, 2)]
        # A wrong key counts too: guessing keys is limited as well.
        answers.append(
            post(Client(), mail(3), path="/api/inbound-email/?key=guess", REMOTE_ADDR="10.0.0.7")
        )
        assert [a.status_code for a in answers] == [202, 202, 401]
        refused = post(Client(), mail(4), path=with_key, REMOTE_ADDR="10.0.0.7")
        assert refused.status_code == 429 and refused["Retry-After"] == "50"
        assert "try again in 50 seconds" in refused.json()["errors"][""][0]
        # Another address, and a caller with a token (limited per token), are not held up.
        assert post(Client(), mail(5), path=with_key, REMOTE_ADDR="10.0.0.8").status_code == 202
        assert post(token_client, mail(6), REMOTE_ADDR="10.0.0.7").status_code == 202
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Mail 1",
        "Mail 2",
        "Mail 5",
        "Mail 6",
    ]
    with time_machine.travel("2026-12-01T09:01:00Z", tick=False):  # the next minute's window
        assert post(Client(), mail(4), path=with_key, REMOTE_ADDR="10.0.0.7").status_code == 202


def test_the_webhook_without_credentials_or_by_a_non_agent_is_refused(db):
    anonymous = post(Client(), corpus("iso_8859_1"))
    assert anonymous.status_code == 401 and "errors" in anonymous.json()
    customer_token = ApiTokenFactory(user=UserFactory())
    customer = post(Client(headers={"Authorization": f"Token {customer_token.key}"}), b"x")
    assert customer.status_code == 403
    assert not Ticket.objects.exists() and not RejectedEmail.objects.exists()


def test_the_webhook_answers_bad_requests_in_json(token_client):
    wrong_type = token_client.post("/api/inbound-email/", {"a": "b"})
    assert wrong_type.status_code == 415
    assert wrong_type.json() == {
        "errors": {"": ["Send the raw message with Content-Type: message/rfc822."]}
    }
    empty = post(token_client, b"")
    assert empty.status_code == 400
    assert empty.json() == {"errors": {"": ["The body is empty: send the raw message."]}}
    get = token_client.get("/api/inbound-email/")
    assert get.status_code == 405 and get["Allow"] == "POST"
    unreadable = post(token_client, corpus("broken_mime"))
    assert unreadable.status_code == 202 and unreadable.json()["outcome"] == "rejected"


def test_the_webhook_refuses_an_oversized_message_with_413_and_keeps_it(
    sla_settings, token_client, settings
):
    settings.INBOUND_EMAIL_MAX_BYTES = 4 * 1024 * 1024
    # Over Django's in-memory limit for form posts (2.5 MB), under ours: taken.
    fine = email_bytes(message_id="<three-mb@example.com>", body="y" * 3_000_000)
    assert post(token_client, fine).status_code == 202
    big = email_bytes(message_id="<five-mb@example.com>", body="z" * 5_000_000)
    response = post(token_client, big)
    assert response.status_code == 413
    assert response.json() == {
        "errors": {
            "": [
                "The message is 4.8 MB; the help desk accepts messages up to 4.0 MB "
                "(attachments included). Send large files as a link."
            ]
        }
    }
    kept = RejectedEmail.objects.get()
    assert kept.size == len(big) and len(bytes(kept.raw)) == 4 * 1024 * 1024
    assert Ticket.objects.count() == 1


# --- The IMAP poll (Celery beat) ----------------------------------------------------------------


@pytest.fixture
def polled(mailbox: Mailbox, settings) -> Mailbox:
    settings.IMAP_URL = mailbox.url()
    settings.IMAP_DONE_FOLDER = "Processed"
    return mailbox


def test_the_beat_task_takes_the_mailbox_and_moves_what_it_took(sla_settings, polled):
    polled.deliver(corpus("iso_8859_1"))
    polled.deliver(corpus("bulk_newsletter"))
    polled.deliver(corpus("broken_mime"))
    result = imap_poll_task()
    assert result == {"taken": 3, "ticket_created": 1, "ignored": 1, "rejected": 1}
    assert polled.messages("INBOX") == [] and len(polled.messages("Processed")) == 3
    assert Ticket.objects.count() == 1 and RejectedEmail.objects.count() == 1
    assert {e.via for e in InboundEmail.objects.all()} == {"imap"}


def test_an_imap_poll_interrupted_after_ingesting_leaves_one_message(
    sla_settings, polled, monkeypatch
):
    polled.deliver(corpus("no_message_id"))
    polled.deliver(corpus("iso_8859_1"))
    real_mark_done = ImapMailbox.mark_done

    def connection_lost(self, uid):
        raise ConnectionResetError("the server went away")

    monkeypatch.setattr(ImapMailbox, "mark_done", connection_lost)
    with pytest.raises(ConnectionResetError):
        imap_poll_task()
    # The first message was committed, but is still in the mailbox.
    assert Ticket.objects.count() == 1 and len(polled.messages("INBOX")) == 2
    monkeypatch.setattr(ImapMailbox, "mark_done", real_mark_done)
    result = imap_poll_task()
    assert result == {"taken": 2, "duplicate": 1, "ticket_created": 1}
    assert Ticket.objects.count() == 2 and Message.objects.count() == 2
    assert polled.messages("INBOX") == []


def test_the_beat_task_does_nothing_without_a_mailbox(db, settings):
    settings.IMAP_URL = ""
    assert imap_poll_task() == {"taken": 0}


def test_a_poll_with_the_database_down_leaves_the_mail_in_place(sla_settings, polled, monkeypatch):
    from django.db import OperationalError

    import tickets.inbound.services

    def database_down(identity: str) -> bool:
        raise OperationalError("could not connect to server")

    polled.deliver(corpus("iso_8859_1"))
    monkeypatch.setattr(tickets.inbound.services, "_is_known", database_down)
    with pytest.raises(OperationalError):
        imap_poll_task()
    assert len(polled.messages("INBOX")) == 1 and not Ticket.objects.exists()


# --- What agents see: attachments, the original ------------------------------------------------


@pytest.fixture
def with_attachments(db, sla_settings) -> Ticket:
    result = ingest(corpus("attachments"))
    return Ticket.objects.get(pk=result.ticket_id)


def test_attachments_are_served_to_agents_only_as_downloads(with_attachments, agent_client):
    html = Attachment.objects.get(filename="invoice.html")
    url = f"/tickets/{with_attachments.pk}/attachments/{html.pk}/"
    response = agent_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="invoice.html"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"].split("; ")
    assert response.content == bytes(html.content)
    pdf = Attachment.objects.get(content_type="application/pdf")
    named = agent_client.get(f"/tickets/{with_attachments.pk}/attachments/{pdf.pk}/")
    assert named["Content-Disposition"] == (
        "attachment; filename*=utf-8''r%C3%A4kning%20december.pdf"
    )


def test_attachments_are_not_served_to_others_or_through_another_ticket(
    with_attachments, thread, client
):
    attachment = Attachment.objects.first()
    url = f"/tickets/{with_attachments.pk}/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 302  # to the sign-in page
    visitor = Client()
    visitor.force_login(UserFactory())
    assert visitor.get(url).status_code == 403
    agent = Client()
    agent.force_login(thread.reply.author)
    other_ticket = f"/tickets/{thread.ticket.pk}/attachments/{attachment.pk}/"
    assert agent.get(other_ticket).status_code == 404


def test_agents_view_and_download_the_original_email(with_attachments, agent_client):
    message = with_attachments.messages.get()
    url = f"/tickets/{with_attachments.pk}/messages/{message.pk}/original/"
    shown = agent_client.get(url)
    assert shown.status_code == 200
    assert shown["Content-Type"] == "text/plain; charset=utf-8"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in shown["Content-Security-Policy"].split("; ")
    assert shown.content == corpus("attachments")
    download = agent_client.get(url + "?download=1")
    assert download["Content-Type"] == "message/rfc822"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.content == corpus("attachments")
    missing = f"/tickets/{with_attachments.pk}/messages/{message.pk + 99}/original/"
    assert agent_client.get(missing).status_code == 404


def test_the_ticket_page_lists_attachments_the_original_and_the_sender(thread, agent_client):
    colleague = corpus("attachments").replace(
        b"Message-ID: <attachments-1@shop.se>",
        b"Message-ID: <attachments-1@shop.se>\nIn-Reply-To: <reply-1@helpdesk.example.com>",
    )
    ingest(colleague)
    page = agent_client.get(f"/tickets/{thread.ticket.pk}/").content.decode()
    assert "Ana Ferreira &lt;ana.ferreira@gmail.com&gt;" in page
    assert "bo@shop.se" in page  # the colleague's message shows who wrote it
    for name in ("screenshot.png", "räkning december.pdf", "invoice.html"):
        assert name in page
    attachment = Attachment.objects.get(filename="invoice.html")
    assert f'href="/tickets/{thread.ticket.pk}/attachments/{attachment.pk}/" download' in page
    assert page.count("View original") == 2  # Ana's first email and Bo's; not our reply


def test_the_ticket_page_reads_attachments_in_a_fixed_number_of_queries(
    thread, agent_client, django_assert_max_num_queries
):
    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get(f"/tickets/{thread.ticket.pk}/").status_code == 200
        return len(captured.captured_queries)

    def message_with_attachments(n: int) -> None:
        raw = corpus("attachments").replace(b"<attachments-1@shop.se>", f"<a{n}@shop.se>".encode())
        raw = raw.replace(b"Subject: Invoice and screenshot", b"Subject: [#1] More")
        ingest(raw.replace(b"From: Bo Berg <bo@shop.se>", b"From: ana.ferreira@gmail.com"))

    # A page with no attachments skips their query; one with a message of them reads them all
    # in one query, however many messages have them.
    message_with_attachments(0)
    before = queries()
    for n in range(1, 6):
        message_with_attachments(n)
    assert queries() == before


# --- Support staff: the admin ------------------------------------------------------------------


def test_rejected_mail_is_listed_with_its_reason_and_bytes_and_can_be_tried_again(
    sla_settings, admin_client_, monkeypatch
):
    import tickets.inbound.services

    real = tickets.inbound.services.ticket_create
    monkeypatch.setattr(tickets.inbound.services, "ticket_create", lambda **kw: 1 / 0)
    ingest(corpus("iso_8859_1"))
    ingest(corpus("broken_mime"))
    listing = admin_client_.get("/admin/inbound/rejectedemail/").content.decode()
    assert "ZeroDivisionError" in listing and "without a boundary" in listing
    stuck = RejectedEmail.objects.get(reason__contains="ZeroDivisionError")
    page = admin_client_.get(f"/admin/inbound/rejectedemail/{stuck.pk}/change/").content.decode()
    assert "Skrivaren p=E5 v=E5ning" in page  # the bytes, as text
    download = admin_client_.get(f"/admin/inbound/rejectedemail/{stuck.pk}/download/")
    assert download.content == corpus("iso_8859_1")
    assert download["Content-Disposition"] == f'attachment; filename="rejected-{stuck.pk}.eml"'
    # Once the cause is fixed, trying again takes it in (and the broken one stays).
    monkeypatch.setattr(tickets.inbound.services, "ticket_create", real)
    response = admin_client_.post(
        "/admin/inbound/rejectedemail/",
        {"action": "try_again", "_selected_action": [r.pk for r in RejectedEmail.objects.all()]},
        follow=True,
    )
    text = response.content.decode()
    assert "1 email taken in." in text and "still cannot be taken in" in text
    assert Ticket.objects.count() == 1
    assert list(RejectedEmail.objects.values_list("kind", flat=True)) == ["unreadable"]


def test_the_inbound_mail_list_shows_every_outcome(thread, admin_client_):
    ingest(corpus("bulk_newsletter"))
    listing = admin_client_.get("/admin/inbound/inboundemail/").content.decode()
    assert "Opened a ticket" in listing and "Ignored (automatic or bulk mail, no ticket)" in listing
    assert admin_client_.get("/admin/inbound/inboundemail/add/").status_code == 403


def test_the_webhook_with_the_database_down_asks_to_be_sent_again(token_client, monkeypatch):
    from django.db import OperationalError

    import tickets.inbound.services

    def database_down(identity: str) -> bool:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(tickets.inbound.services, "_is_known", database_down)
    response = post(token_client, corpus("iso_8859_1"))
    assert response.status_code == 503
    assert response.json() == {
        "errors": {"": ["Temporarily unavailable: send the message again later."]}
    }


def test_poll_mailbox_takes_the_mail_now_and_says_what_became_of_it(sla_settings, polled):
    polled.deliver(corpus("iso_8859_1"))
    polled.deliver(corpus("bulk_newsletter"))
    out = io.StringIO()
    call_command("poll_mailbox", stdout=out)
    assert out.getvalue().strip() == "Took 2 message(s) (ignored 1, ticket_created 1)."


def test_poll_mailbox_says_what_is_wrong(db, settings, mailbox):
    from django.core.management import CommandError

    settings.IMAP_URL = ""
    with pytest.raises(CommandError, match="IMAP_URL is not set"):
        call_command("poll_mailbox")
    settings.IMAP_URL = mailbox.url().replace(":mailbox-secret-1@", ":wrong@")
    with pytest.raises(CommandError, match="Sign-in failed"):
        call_command("poll_mailbox")


def test_the_beat_schedule_polls_the_mailbox_only_when_one_is_set():
    command = (
        "from django.conf import settings; print(settings.CELERY_BEAT_SCHEDULE.get('imap-poll'))"
    )

    def schedule(**env: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", command],
            cwd=ROOT,
            env={**os.environ, "DEBUG": "true", **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    assert schedule(IMAP_URL="") == "None"
    assert schedule(IMAP_URL="imaps://u:p@imap.example.com/INBOX", IMAP_POLL_SECONDS="2.5") == (
        "{'task': 'inbound.tasks.imap_poll_task', 'schedule': 2.5}"
    )


@pytest.mark.django_db(transaction=True)
def test_celery_beat_and_a_worker_take_mail_from_the_mailbox(
    celery_app, mailbox: Mailbox, settings, tmp_path
):
    """As deployed: beat queues the poll every IMAP_POLL_SECONDS (half a second here), a real
    worker runs it, and the customer's email becomes a ticket."""
    from celery.beat import EmbeddedService
    from celery.contrib.testing.worker import start_worker

    settings.IMAP_URL = mailbox.url()
    settings.IMAP_DONE_FOLDER = "Processed"
    mailbox.deliver(corpus("iso_8859_1"))
    celery_app.conf.beat_schedule = {
        "imap-poll": {"task": "inbound.tasks.imap_poll_task", "schedule": 0.5}
    }
    beat = EmbeddedService(celery_app, thread=True, schedule_filename=str(tmp_path / "beat"))
    with start_worker(celery_app, pool="solo", perform_ping_check=False):
        beat.start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not mailbox.messages("Processed"):
                time.sleep(0.2)
        finally:
            beat.stop()
    assert Ticket.objects.get().subject == "Skrivaren"
    assert mailbox.messages("INBOX") == [] and len(mailbox.messages("Processed")) == 1
