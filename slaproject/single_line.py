"""Single-line text: ticket subjects and the names of teams, pipelines, stages, holidays and API
tokens are one line, without control characters or the invisible characters that can reorder or
hide what a reader sees (docs/DECISIONS.md, "Single-line text").

One rule, used everywhere such text comes in (the API, the forms, the admin, the settings
document, the data migration that cleaned stored rows, email subjects): ``single_line``
normalises a value. A line break or tab, with the spaces around it, becomes one space (a folded
email subject reads as one line); any other control character (NUL, ESC, BEL, DEL, the C1
controls), a bidirectional override, embedding or isolate (U+202A–E, U+2066–9), and the other
invisible format characters (zero-width space, soft hyphen, word joiner, byte-order mark, tags
outside an emoji flag) are removed; the ends are stripped. Kept: the zero-width (non-)joiners
that Persian, Indic scripts and emoji sequences need, and the left-to-right/right-to-left marks
(U+200E, U+200F, U+061C) that mixed-direction text needs, which cannot reorder other text.

A pure module (no Django): the form and model fields that apply the rule when a value is cleaned
are in ``slaproject.text_fields``.
"""

from __future__ import annotations

import re
from typing import Any

# Line breaks and tabs (with Python's other whitespace controls): each run becomes one space.
LINE_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"
# Everything else removed, as (first, last) code points.
REMOVED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F),  # C0 controls (the line breaks among them are handled first)
    (0x007F, 0x009F),  # DEL and the C1 controls
    (0x00AD, 0x00AD),  # soft hyphen
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200B),  # zero-width space
    (0x2028, 0x2029),  # line and paragraph separators (handled as line breaks first)
    (0x202A, 0x202E),  # bidirectional embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # bidirectional isolates, deprecated format characters
    (0xD800, 0xDFFF),  # lone surrogates (never valid text)
    (0xFEFF, 0xFEFF),  # byte-order mark / zero-width no-break space
    (0xFFF9, 0xFFFB),  # interlinear annotation (hides text)
    (0xE0001, 0xE0001),  # language tag
    (0xE0020, 0xE007F),  # tags, except inside an emoji flag sequence (see below)
)
# Format characters that stay: joiners, direction marks, script-specific signs (visible).
KEPT_FORMAT = frozenset(
    {0x200C, 0x200D, 0x200E, 0x200F, 0x061C}
    | set(range(0x0600, 0x0606))
    | {0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD}
    | set(range(0x13430, 0x13439))
    | set(range(0x1BCA0, 0x1BCA4))
    | set(range(0x1D173, 0x1D17B))
)


def _character_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


_REMOVED = _character_class(REMOVED_RANGES)
_ANY_REFUSED = re.compile(f"[{_REMOVED}]")
_BREAK_RUN = re.compile(f"[ ]*[{re.escape(LINE_BREAKS)}][{re.escape(LINE_BREAKS)} ]*")
_REMOVED_CHAR = re.compile(f"[{_REMOVED}]")
# An emoji subdivision flag (England, Scotland, Wales): black flag, tag letters, cancel tag.
_FLAG = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")


def single_line(value: str) -> str:
    """``value`` as one line of visible text (see the module's docstring). Idempotent; a value
    without anything to change comes back as it is, stripped."""
    if not _ANY_REFUSED.search(value):
        return value.strip()
    value = _BREAK_RUN.sub(" ", value)
    pieces = []
    position = 0
    for flag in _FLAG.finditer(value):
        pieces.append(_REMOVED_CHAR.sub("", value[position : flag.start()]))
        pieces.append(flag.group())
        position = flag.end()
    pieces.append(_REMOVED_CHAR.sub("", value[position:]))
    return "".join(pieces).strip()


def has_refused_characters(value: str) -> bool:
    """True when ``single_line`` would change more than the ends of ``value``."""
    return single_line(value) != value.strip()


# A character class of the removed characters for a database regex (the data migration finds
# the rows to clean with it), in literal characters that mean the same to Python's ``re``
# (SQLite) and PostgreSQL: no NUL and no surrogates, which no text column holds anyway.
DATABASE_PATTERN = "[{}]".format(
    "".join(
        chr(a) if a == b else f"{chr(a)}-{chr(b)}"
        for a, b in ((max(a, 1), b) for a, b in REMOVED_RANGES if a != 0xD800)
    )
)


def single_line_rows_clean(model: Any, field: str, *, fallback: Any) -> int:
    """Clean the stored ``field`` of every ``model`` row that needs it (data migrations; ``model``
    may be a historical one). Only rows the database finds with ``DATABASE_PATTERN`` are read and
    written; a value left empty becomes ``fallback(pk)``. Returns how many rows changed."""
    found = list(
        model.objects.filter(**{f"{field}__regex": DATABASE_PATTERN}).values_list("pk", field)
    )
    changed = 0
    for pk, value in found:
        cleaned = single_line(value) or fallback(pk)
        if cleaned != value:
            changed += model.objects.filter(pk=pk).update(**{field: cleaned})
    return changed
