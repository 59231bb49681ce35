"""The ticket API's shapes (SPEC section 7) as schemas: what the OpenAPI document says and what
the answers are checked against. Bodies are read by ``tickets.api``'s parsers (the contract's
messages); these schemas describe them."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

DATE_TIME: dict[str, Any] = {"format": "date-time"}
PRIORITIES = Literal["low", "medium", "high", "urgent"]
SOURCES = Literal["email", "chat", "form", "phone", "api"]
CLOCK_STATUSES = Literal["active", "due_soon", "overdue", "completed_on_time", "completed_late"]


def _time(description: str) -> Any:
    return Field(..., description=description, json_schema_extra=DATE_TIME)


def _no_default(schema: dict) -> None:
    schema.pop("default", None)


def _not_blank(schema: dict) -> None:
    """ "At least one character that is not white space", as ``allOf`` beside the length bounds:
    a ``pattern`` next to ``maxLength`` is read by some tools (schemathesis) as a repeated
    pattern (``^\\S{1,200}$``: no spaces at all), and compiled with a 50,000 bound it is slow."""
    schema["allOf"] = [{"pattern": r"\S"}]


def _text(max_length: int) -> Any:
    """Required text, not blank, at most ``max_length`` characters."""
    return Field(..., min_length=1, max_length=max_length, json_schema_extra=_not_blank)


def _not_null(description: str) -> Any:
    """An optional body field that may not be null: left out of the schema's defaults."""
    return Field(None, description=description, json_schema_extra=_no_default)


class Clock(Schema):
    status: CLOCK_STATUSES
    started_at: str | None = _time("When the clock's current cycle started.")
    due_at: str | None = _time("When the goal is missed.")
    due_soon_at: str | None = _time("When the clock turns Due soon.")
    completed_at: str | None = _time("When the cycle was completed (null while it runs).")
    completed_by: str | None = Field(..., description="What completed it (a reply, the close).")
    paused: bool
    cycle: int = Field(..., description="The cycle's number (next response: one per answer).")
    goal_minutes: int | None


class TicketSla(Schema):
    first_response: Clock | None
    next_response: Clock | None
    close: Clock | None


class Ticket(Schema):
    id: int
    subject: str
    requester_email: str
    priority: PRIORITIES | None
    team: str | None = Field(..., description="The team's slug.")
    source: SOURCES
    pipeline: str = Field(..., description="The pipeline's slug.")
    owner: str | None = Field(..., description="The owner's username.")
    status: str = Field(..., description="The slug of a stage of the ticket's pipeline.")
    created_at: str = Field(..., json_schema_extra=DATE_TIME)
    closed_at: str | None = _time("When it was closed; null while open.")
    sla: TicketSla


class TicketPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[Ticket]


class Delivery(Schema):
    state: Literal["queued", "sent", "failed"]
    detail: str
    at: str | None = _time("When it reached this state.")


class Message(Schema):
    id: int
    author: Literal["customer", "agent"]
    internal: bool
    body: str
    created_at: str = Field(..., json_schema_extra=DATE_TIME)
    sender_email: str | None = Field(
        ..., description="Who wrote a customer message (the requester unless someone else)."
    )
    delivery: Delivery | None = Field(
        ..., description="A public agent reply's email; null for customer messages and notes."
    )


class MessagePage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[Message]


# --- Bodies (documentation of what tickets.api's parsers accept) -----------------------------


class TicketCreate(Schema):
    model_config = ConfigDict(extra="forbid", title="TicketCreate")

    subject: str = _text(200)
    body: str = _text(50_000)
    requester_email: str = Field(..., max_length=254, json_schema_extra={"format": "email"})
    priority: PRIORITIES | None = None
    team: str | None = Field(None, description="A team's slug.")
    source: SOURCES | None = Field(None, description='"api" when left out.')
    pipeline: str | None = Field(None, description='A pipeline\'s slug; "support" when left out.')


class TicketUpdate(Schema):
    model_config = ConfigDict(extra="forbid", title="TicketUpdate")

    priority: PRIORITIES | None = None
    team: str | None = Field(None, description="A team's slug, or null.")
    source: SOURCES = _not_null("Cannot be null.")
    pipeline: str = _not_null("A pipeline's slug; cannot be null.")
    status: str = _not_null(
        'A stage slug of the ticket\'s pipeline, or "closed" (its first closed).'
    )
    owner: str | None = Field(None, description="An agent's username, or null.")


class MessageCreate(Schema):
    model_config = ConfigDict(extra="forbid", title="MessageCreate")

    body: str = _text(50_000)
    author: Literal["customer", "agent"] = "customer"
    internal: bool = Field(False, description="An internal note (agents only).")
