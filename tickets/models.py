"""Tickets, their messages, their SLA clocks and the clocks' events.

A clock stores its moments (start, due, due soon, completion) and the status last persisted by a
service or the sweep; the status a person sees is always derived from the moments and ``now``
(``tickets.sla.clock_status`` in Python, ``tickets.selectors`` in SQL), so it is right even when the
sweep is late. Writes go through ``tickets.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from settings_app.labels import CLOCK_LABELS
from settings_app.models import Pipeline, Priority, Source, Stage, Team
from slaproject.text_fields import SingleLineCharField

# The longest subject and message body a ticket keeps; the forms, the API and email in use them.
MAX_SUBJECT = 200
MAX_BODY = 50_000


class Ticket(models.Model):
    subject = SingleLineCharField(max_length=MAX_SUBJECT, verbose_name=_("subject"))
    requester_email = models.EmailField(max_length=254, verbose_name=_("requester email"))
    # The requester's name as their email gave it ("Ana Ferreira"); blank when unknown.
    requester_name = SingleLineCharField(
        max_length=200, blank=True, verbose_name=_("requester name")
    )
    priority = models.CharField(
        max_length=10, choices=Priority, blank=True, default="", verbose_name=_("priority")
    )
    # Team, stage and owner have no single-column index: the composite (…, sla_due_at) indexes
    # below lead with them, and every index on this table is rewritten by each SLA update.
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        verbose_name=_("team"),
    )
    source = models.CharField(
        max_length=10, choices=Source, default=Source.EMAIL, verbose_name=_("source")
    )
    # No index: only deleting a pipeline looks tickets up by it (a rare settings change, which
    # may scan), while every SLA update of a ticket would rewrite the index entry.
    pipeline = models.ForeignKey(
        Pipeline,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
        verbose_name=_("pipeline"),
    )
    stage = models.ForeignKey(
        Stage,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
        verbose_name=_("stage"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_tickets",
        db_index=False,
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    # Moment the ticket entered a pause stage; null while it is not in one.
    paused_since = models.DateTimeField(null=True, blank=True, verbose_name=_("paused since"))
    # Finished stretches that no clock counts: [{"start", "end", "why": "paused"|"closed"}, …].
    # Pauses exclude time from every clock; closed stretches only from the close clock.
    excluded_periods = models.JSONField(
        default=list, blank=True, verbose_name=_("excluded periods")
    )
    first_replied_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("first replied at")
    )
    last_replied_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last replied at"))
    # The oldest customer message not yet answered by a public reply (or a close): where a
    # next-response cycle starts.
    awaiting_reply_since = models.DateTimeField(
        null=True, blank=True, verbose_name=_("awaiting reply since")
    )
    # The goal row that applies, by a reference that survives renames ("all", "priority:urgent",
    # "priority:" for the no-priority row, "team:<id>"; ``settings_app.selectors.goal_ref``) and
    # the settings version it was picked from; null when no goal applies.
    sla_goal_value = models.CharField(
        max_length=100, null=True, blank=True, verbose_name=_("SLA goal value")
    )
    sla_settings_version = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("SLA settings version")
    )
    # Earliest due moment among the running, unpaused clocks (null: none): the queue's sort key.
    sla_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("SLA due at"))
    # From when the ticket matches the "Overdue" filter (null: no running clock can make it):
    # the earliest due moment among its running unpaused clocks and its paused clocks that were
    # already overdue when they paused (those stay overdue while paused). The filter is then
    # ``sla_overdue_at < now``: one index range, however many tickets there are.
    sla_overdue_at = models.DateTimeField(null=True, blank=True, verbose_name=_("SLA overdue at"))
    # Until when (exclusive) the ticket matches the "Active" filter (null: no running clock is or
    # will be Active): the latest end of an Active stretch among its running unpaused clocks
    # (``min(due_soon_at, due_at + 1 µs)``), or ``sla.ACTIVE_WHILE_PAUSED`` for a paused clock
    # that was Active when it paused. The filter is then ``sla_active_until > now``: one index
    # range for the count, and the page walks the sort index with the test on its included
    # column (``tickets.sla.ticket_active_until``).
    sla_active_until = models.DateTimeField(
        null=True, blank=True, verbose_name=_("SLA active until")
    )
    # People copied on the ticket (addresses): inbound mail's CC adds them, and public replies
    # are copied to them.
    cc_emails = models.JSONField(default=list, blank=True, verbose_name=_("cc emails"))
    # The customer's language for the emails we send them ("sv", "en"), where known; blank: the
    # help desk's default language.
    requester_language = models.CharField(
        max_length=10, blank=True, verbose_name=_("requester language")
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Queue default sort: nearest due first, then newest (tickets without one last).
            models.Index(fields=["sla_due_at", "id"], name="ticket_sla_due_idx"),
            # Queue filters by stage / owner / team (open tickets are the common case).
            models.Index(fields=["stage", "sla_due_at"], name="ticket_stage_due_idx"),
            models.Index(fields=["owner", "sla_due_at"], name="ticket_owner_due_idx"),
            models.Index(fields=["team", "sla_due_at"], name="ticket_team_due_idx"),
            # The "Overdue" filter and its count, answered from the index alone (partial: open
            # tickets, the only ones with running clocks; the filter says so too). It is also the
            # open-tickets index that SQLite uses for the report's running clocks.
            models.Index(
                fields=["sla_overdue_at"],
                condition=Q(closed_at__isnull=True),
                name="ticket_overdue_idx",
            ),
            # The "Active" filter's count, from the index alone (``sla_active_until > now`` on
            # open tickets; partial: open tickets with a running clock that is or will be
            # Active). On PostgreSQL ticket_sla_due_idx also carries sla_active_until and
            # closed_at (INCLUDE, migration 0019), so the filter's page walks the sort index
            # without heap fetches.
            models.Index(
                fields=["sla_active_until"],
                condition=Q(closed_at__isnull=True, sla_active_until__isnull=False),
                name="ticket_active_idx",
            ),
            # On PostgreSQL also ticket_open_sort_key_idx, (id) INCLUDE (sla_due_at) WHERE open,
            # for the "Due soon" filter's page (migration 0006: Django would warn on SQLite).
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Message(models.Model):
    class Author(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("Automatic")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket")
    )
    author_kind = models.CharField(max_length=10, choices=Author, verbose_name=_("author kind"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(max_length=MAX_BODY, verbose_name=_("body"))
    is_internal = models.BooleanField(default=False, verbose_name=_("is internal"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    # The RFC 5322 Message-ID header of the email this message is, angle brackets included:
    # ours (random, on the help desk's domain) for a public agent reply, the sender's for an
    # incoming email. Unique, so that the same email ingested twice makes one message and a
    # reply's In-Reply-To finds its ticket.
    message_id = models.CharField(
        max_length=255, null=True, blank=True, unique=True, verbose_name=_("message id")
    )
    # Who wrote a customer message when it was not the requester (someone copied, a colleague).
    sender_email = models.EmailField(blank=True, verbose_name=_("sender email"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_idx")]

    def __str__(self) -> str:
        return gettext("%(author)s message on #%(ticket)s") % {
            "author": self.get_author_kind_display(),
            "ticket": self.ticket_id,
        }


class TicketChange(models.Model):
    """One change of a ticket's owner, a property or its stage, with who made it and how.

    Written by the ticket services (``ticket_update`` and a customer message that moves the
    ticket), one row per field, never on ``Ticket.save``: the sweep and the settings recompute
    write tickets at high volume and record nothing here. The values are kept as keys (for the
    collision check of the ticket page) and as the labels people saw then (a team or stage may
    be renamed or deleted later). The ticket page's form carries the id of the ticket's latest
    row as its version.
    """

    class Field(models.TextChoices):
        OWNER = "owner", _("Owner")
        PRIORITY = "priority", _("Priority")
        TEAM = "team", _("Team")
        SOURCE = "source", _("Source")
        PIPELINE = "pipeline", _("Pipeline")
        STAGE = "stage", _("Stage")

    class Via(models.TextChoices):
        PAGE = "page", _("ticket page")
        API = "api", "API"
        ADMIN = "admin", _("admin")
        EMAIL = "email", _("email")
        CUSTOMER = "customer", _("customer message")
        SYSTEM = "system", _("automatic")

    class State(models.TextChoices):
        """What a stage change did to the ticket as a whole."""

        NONE = "", "—"
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")

    # Indexed by (ticket, id) below: the ticket page reads a ticket's rows, and the rows after
    # the version it was loaded from.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="changes",
        db_index=False,
        verbose_name=_("ticket"),
    )
    at = models.DateTimeField(verbose_name=_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    via = models.CharField(max_length=10, choices=Via, default=Via.SYSTEM, verbose_name=_("via"))
    field = models.CharField(max_length=10, choices=Field, verbose_name=_("field"))
    old_value = models.CharField(max_length=200, blank=True, verbose_name=_("old value"))
    new_value = models.CharField(max_length=200, blank=True, verbose_name=_("new value"))
    old_label = models.CharField(max_length=200, blank=True, verbose_name=_("old label"))
    new_label = models.CharField(max_length=200, blank=True, verbose_name=_("new label"))
    state = models.CharField(
        max_length=10, choices=State, blank=True, default=State.NONE, verbose_name=_("state")
    )

    class Meta:
        verbose_name = _("ticket change")
        verbose_name_plural = _("ticket changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "id"], name="ticket_change_idx")]

    def __str__(self) -> str:
        old, new = self.old_label or "—", self.new_label or "—"
        return f"#{self.ticket_id} {self.get_field_display()}: {old} → {new}"


class TicketPresence(models.Model):
    """Who has a ticket's page open, and whether they are writing a reply there.

    One row per ticket and agent, written each time their page polls (``seen_at``); a row older
    than ``TICKET_PRESENCE_SECONDS`` means they left. Kept in the database rather than the cache
    so that every web process sees it, whatever the cache (docs/DECISIONS.md).
    """

    class State(models.TextChoices):
        VIEWING = "viewing", _("Viewing")
        REPLYING = "replying", _("Replying")

    # Indexed by the unique (ticket, user) constraint below.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("ticket")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    state = models.CharField(
        max_length=10, choices=State, default=State.VIEWING, verbose_name=_("state")
    )
    seen_at = models.DateTimeField(verbose_name=_("seen at"))

    class Meta:
        verbose_name = _("ticket presence")
        verbose_name_plural = _("ticket presences")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="presence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.state} #{self.ticket_id}"


class ClockKind(models.TextChoices):
    # Labelled as everywhere else (settings_app.labels): "First reply", "Next reply", "Close".
    FIRST_RESPONSE = "first_response", CLOCK_LABELS["first_response"]
    NEXT_RESPONSE = "next_response", CLOCK_LABELS["next_response"]
    CLOSE = "close", CLOCK_LABELS["close"]


class ClockStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    COMPLETED_ON_TIME = "completed_on_time", _("Completed on time")
    COMPLETED_LATE = "completed_late", _("Completed late")


class SlaClock(models.Model):
    """One SLA clock of a ticket. Next-response clocks have one row per cycle (1, 2, …).

    On PostgreSQL the table keeps half of each page free (fill factor 50, migration 0005) so that
    a rewritten clock stays on its page; see that migration for why and what it costs.
    """

    # No index of its own: the unique (ticket, kind, cycle) constraint leads with ticket_id, and
    # every extra index on this hot table makes each sweep update costlier.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="clocks",
        db_index=False,
        verbose_name=_("ticket"),
    )
    kind = models.CharField(max_length=20, choices=ClockKind, verbose_name=_("kind"))
    cycle = models.PositiveIntegerField(default=1, verbose_name=_("cycle"))
    goal_minutes = models.PositiveIntegerField(verbose_name=_("goal minutes"))
    due_soon_minutes = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("due soon minutes")
    )
    settings_version = models.PositiveIntegerField(verbose_name=_("settings version"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    due_at = models.DateTimeField(verbose_name=_("due at"))
    due_soon_at = models.DateTimeField(null=True, blank=True, verbose_name=_("due soon at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    completed_by = models.CharField(
        max_length=10, blank=True, default="", verbose_name=_("completed by")
    )  # "reply" | "close"
    # While the ticket is in a pause stage: when this clock stopped (its status is frozen there).
    paused_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paused at"))
    # The status last persisted (by a service or the sweep); compare-and-swap key of the sweep.
    status = models.CharField(
        max_length=20, choices=ClockStatus, default=ClockStatus.ACTIVE, verbose_name=_("status")
    )
    # When the persisted status can next change (due_soon_at or due_at); null when it cannot
    # (completed, paused, overdue). The sweep reads only rows with next_check_at <= now.
    next_check_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next check at"))

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["ticket_id", "kind", "cycle"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "cycle"], name="clock_unique_cycle"),
        ]
        indexes = [
            # The sweep: only clocks whose next change is due (partial: running, unpaused).
            models.Index(
                fields=["next_check_at"],
                condition=Q(next_check_at__isnull=False),
                name="clock_next_check_idx",
            ),
            # The "Due soon" filter: clocks whose persisted status is due soon (partial: the sweep
            # adds an entry only when a clock turns due soon), answered from the index alone.
            # Clocks whose status is stale (their next_check_at has come) are judged live through
            # clock_next_check_idx.
            models.Index(
                fields=["ticket", "next_check_at"],
                condition=Q(status="due_soon", completed_at__isnull=True),
                name="clock_due_soon_idx",
            ),
            # Reports: completed clocks by completion moment (partial: running clocks, the ones
            # the sweep updates, have no entry).
            models.Index(
                fields=["kind", "completed_at"],
                condition=Q(completed_at__isnull=False),
                name="clock_completed_idx",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(clock)s #%(cycle)s of ticket %(ticket)s") % {
            "clock": self.get_kind_display(),
            "cycle": self.cycle,
            "ticket": self.ticket_id,
        }

    @property
    def is_running(self) -> bool:
        return self.completed_at is None


class SlaEvent(models.Model):
    """One change of a clock, for the ticket's timeline, notifications and reports."""

    class Kind(models.TextChoices):
        APPLIED = "applied", _("Applied")
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        COMPLETED_ON_TIME = "completed_on_time", _("Completed on time")
        COMPLETED_LATE = "completed_late", _("Completed late")
        REOPENED = "reopened", _("Reopened")
        RECOMPUTED = "recomputed", _("Recomputed")
        REMOVED = "removed", _("Removed")

    # Indexed by event_by_ticket_idx below, so no index of its own. Neither key has a
    # database constraint: the log is append-only, written only by services that hold the ticket
    # and clock rows locked. A constraint's per-row check locks the referenced row again at
    # commit, which was a third of a sweep's time (docs/DECISIONS.md). Django deletes a ticket's
    # events with it (CASCADE, found through event_by_ticket_idx).
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="sla_events",
        db_index=False,
        db_constraint=False,
        verbose_name=_("ticket"),
    )
    # No index and no action on delete (migration 0026): every event written would go into a
    # random page of a clock index too, and on an aged log that was a fifth of the sweep's cost
    # against a fresh one (docs/BENCHMARKS.md, "Aged tables"). Whatever deletes clocks detaches
    # their events itself, by ticket (``tickets.bulk.clocks_delete``), so the lookup uses
    # event_by_ticket_idx; a deleted ticket's events go with it (CASCADE on ``ticket``).
    clock = models.ForeignKey(
        SlaClock,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="events",
        db_index=False,
        db_constraint=False,
        verbose_name=_("clock"),
    )
    clock_kind = models.CharField(max_length=20, choices=ClockKind, verbose_name=_("clock kind"))
    cycle = models.PositiveIntegerField(default=1, verbose_name=_("cycle"))
    kind = models.CharField(max_length=20, choices=Kind, verbose_name=_("kind"))
    # The moment of the change itself (for due soon / overdue: the clock's own moment).
    at = models.DateTimeField(verbose_name=_("at"))
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))
    detail = models.JSONField(default=dict, blank=True, verbose_name=_("detail"))
    # Due soon / overdue events that should notify; notified_at is set once the email went out.
    should_notify = models.BooleanField(default=False, verbose_name=_("should notify"))
    notified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("notified at"))

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["at", "id"]
        constraints = [
            # Backstop for concurrent sweeps: one due-soon / overdue event per clock and moment.
            models.UniqueConstraint(
                fields=["clock", "kind", "at"],
                condition=Q(kind__in=["due_soon", "overdue"]),
                name="event_unique_transition",
            ),
        ]
        indexes = [
            # The ticket's timeline (a handful of rows, sorted after reading). The ticket alone,
            # not (ticket, at): equal keys share one index entry (B-tree deduplication), so the
            # index is a third of the size and each new event, going to a random ticket's place,
            # finds that page cached more often (docs/BENCHMARKS.md, "Aged tables"; migration
            # 0024).
            models.Index(fields=["ticket"], name="event_by_ticket_idx"),
            # Notifications still to send.
            models.Index(
                fields=["id"],
                condition=Q(should_notify=True, notified_at__isnull=True),
                name="event_to_notify_idx",
            ),
        ]

    def __str__(self) -> str:
        # In the active time zone, named (the admin activates the viewer's).
        return gettext("%(clock)s: %(event)s at %(at)s") % {
            "clock": self.get_clock_kind_display(),
            "event": self.get_kind_display(),
            "at": f"{timezone.localtime(self.at):%Y-%m-%d %H:%M %Z}",
        }


class SlaRecompute(models.Model):
    """A background recompute of open tickets' running clocks after a settings change."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        SUPERSEDED = "superseded", _("Superseded by a newer change")

    settings_version = models.PositiveIntegerField(verbose_name=_("settings version"))
    state = models.CharField(
        max_length=12, choices=State, default=State.QUEUED, verbose_name=_("state")
    )
    tickets = models.PositiveIntegerField(default=0, verbose_name=_("tickets"))
    done = models.PositiveIntegerField(default=0, verbose_name=_("done"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    # When the ticket and clock indexes were rebuilt after this run (PostgreSQL;
    # ``tickets.index_rebuild``), or found not to need it: a task delivered twice does it once.
    indexes_rebuilt_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("indexes rebuilt at")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )

    class Meta:
        verbose_name = _("SLA recompute")
        verbose_name_plural = _("SLA recomputes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return gettext("Recompute %(id)s (v%(version)s): %(done)s/%(tickets)s") % {
            "id": self.pk,
            "version": self.settings_version,
            "done": self.done,
            "tickets": self.tickets,
        }


class SlaRecomputePart(models.Model):
    """One id range of a recompute, worked chunk by chunk; parts run on several workers at once.

    ``after_id`` is the cursor: the highest ticket id done in this range. A chunk locks its part
    row (others skip it), recomputes the next tickets and moves the cursor in one transaction.
    """

    recompute = models.ForeignKey(
        SlaRecompute, on_delete=models.CASCADE, related_name="parts", verbose_name=_("recompute")
    )
    after_id = models.BigIntegerField(verbose_name=_("after id"))
    last_id = models.BigIntegerField(verbose_name=_("last id"))
    is_finished = models.BooleanField(default=False, verbose_name=_("is finished"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("SLA recompute part")
        verbose_name_plural = _("SLA recompute parts")
        ordering = ["recompute_id", "after_id"]
        indexes = [
            # Chunks claim an unfinished part of their recompute.
            models.Index(
                fields=["recompute", "after_id"],
                condition=Q(is_finished=False),
                name="recompute_part_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Part ({self.after_id}, {self.last_id}] of recompute {self.recompute_id}"


class SettingsPreviewRun(models.Model):
    """A dry run of a settings change worked out in the background (over
    ``SLA_PREVIEW_INLINE_MAX_TICKETS`` open tickets): the document checked, what it changes, the
    progress, then the counts (``tickets.preview_runs``)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    state = models.CharField(
        max_length=12, choices=State, default=State.QUEUED, verbose_name=_("state")
    )
    document = models.JSONField(verbose_name=_("document"))  # the settings document as sent
    settings_version = models.PositiveIntegerField(
        verbose_name=_("settings version")
    )  # the saved version it was checked against
    changes = models.JSONField(default=list, verbose_name=_("changes"))  # what a save would change
    tickets = models.PositiveIntegerField(
        default=0, verbose_name=_("tickets")
    )  # open tickets when it was asked for
    done = models.PositiveIntegerField(default=0, verbose_name=_("done"))
    result = models.JSONField(
        null=True, blank=True, verbose_name=_("result")
    )  # SettingsPreview.as_json() when done
    error = models.TextField(
        blank=True, verbose_name=_("error")
    )  # why it failed, for the person who asked
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )

    class Meta:
        verbose_name = _("settings dry run")
        verbose_name_plural = _("settings dry runs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Dry run {self.pk} (v{self.settings_version}): {self.done}/{self.tickets}"


class AgentProfile(models.Model):
    """An agent's own preferences: display time zone and SLA email notifications."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agent_profile",
        verbose_name=_("user"),
    )
    timezone = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Blank: the SLA schedule's time zone."),
        verbose_name=_("timezone"),
    )
    # A code of settings.LANGUAGES ("en", "sv"); blank: the browser's language.
    language = models.CharField(_("language"), max_length=10, blank=True)
    email_notifications = models.BooleanField(
        default=True,
        help_text=_("Email me when a clock of my tickets turns Due soon or Overdue."),
        verbose_name=_("email notifications"),
    )
    notify_customer_replies = models.BooleanField(
        _("email me when a customer replies to a ticket I own"), default=True
    )
    notify_assignments = models.BooleanField(
        _("email me when a ticket is assigned to me"), default=True
    )

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return gettext("Preferences of %(user)s") % {"user": self.user}
