"""Substring search by trigram index, in a side table (PostgreSQL only; issue 25).

The queue's search (subject or requester contains the text) read every ticket: 322 ms at 1M
open tickets. ``pg_trgm`` answers ``upper(x) LIKE upper('%text%')`` (what Django's
``icontains`` writes) from a GIN index. The index is not on ``tickets_ticket``: every SLA update
of a ticket (the recompute, the services) is a non-HOT update (its sort key is indexed), which
would write a dozen trigram entries into a GIN index each time. ``tickets_ticket_search`` holds
each ticket's subject and requester, upper-cased once when written (so neither the index nor a
scan of the table for a text too short for trigrams calls ``upper`` per row), and changes only
when they do: triggers keep it (inserted
tickets, whether by the ORM or COPY; an update of the subject or requester; deleted and truncated
tickets), so no writer has to remember it and the SLA updates, which name neither column, do not
fire them. ``tickets.selectors.ticket_search_q`` reads it; SQLite keeps the plain scan.

Reversing drops the table, its triggers and functions; the extension stays (other databases
objects may use it, and it costs nothing).
"""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE tickets_ticket_search (
    ticket_id bigint PRIMARY KEY,
    subject_upper text NOT NULL,
    requester_email_upper text NOT NULL
);
INSERT INTO tickets_ticket_search (ticket_id, subject_upper, requester_email_upper)
SELECT id, upper(subject), upper(requester_email) FROM tickets_ticket;
CREATE INDEX ticket_search_subject_trgm ON tickets_ticket_search
    USING gin (subject_upper gin_trgm_ops);
CREATE INDEX ticket_search_requester_trgm ON tickets_ticket_search
    USING gin (requester_email_upper gin_trgm_ops);

CREATE FUNCTION tickets_ticket_search_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tickets_ticket_search (ticket_id, subject_upper, requester_email_upper)
    SELECT id, upper(subject), upper(requester_email) FROM inserted_tickets
    ON CONFLICT (ticket_id) DO UPDATE
        SET subject_upper = EXCLUDED.subject_upper,
            requester_email_upper = EXCLUDED.requester_email_upper;
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_ticket_search_insert AFTER INSERT ON tickets_ticket
    REFERENCING NEW TABLE AS inserted_tickets
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_ticket_search_inserted();

CREATE FUNCTION tickets_ticket_search_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets_ticket_search
        SET subject_upper = upper(NEW.subject), requester_email_upper = upper(NEW.requester_email)
        WHERE ticket_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_ticket_search_update AFTER UPDATE OF subject, requester_email
    ON tickets_ticket FOR EACH ROW
    WHEN (OLD.subject IS DISTINCT FROM NEW.subject
          OR OLD.requester_email IS DISTINCT FROM NEW.requester_email)
    EXECUTE FUNCTION tickets_ticket_search_updated();

CREATE FUNCTION tickets_ticket_search_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tickets_ticket_search WHERE ticket_id IN (SELECT id FROM deleted_tickets);
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_ticket_search_delete AFTER DELETE ON tickets_ticket
    REFERENCING OLD TABLE AS deleted_tickets
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_ticket_search_deleted();

CREATE FUNCTION tickets_ticket_search_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE tickets_ticket_search;
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_ticket_search_truncate AFTER TRUNCATE ON tickets_ticket
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_ticket_search_truncated();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS tickets_ticket_search_insert ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_ticket_search_update ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_ticket_search_delete ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_ticket_search_truncate ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_ticket_search_inserted();
DROP FUNCTION IF EXISTS tickets_ticket_search_updated();
DROP FUNCTION IF EXISTS tickets_ticket_search_deleted();
DROP FUNCTION IF EXISTS tickets_ticket_search_truncated();
DROP TABLE IF EXISTS tickets_ticket_search;
"""


def _run(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)  # several statements: no parameters


def forward(apps, schema_editor) -> None:
    _run(schema_editor, FORWARD)


def backward(apps, schema_editor) -> None:
    _run(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0019_ticket_active_until")]

    operations = [migrations.RunPython(forward, backward)]
