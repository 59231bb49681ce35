"""Finders of user-facing text outside the translation machinery, for the catalogue test
(tests/slaproject/test_translations.py) and for anyone converting a file by hand
(``python -m slaproject.untranslated [FILE …]`` lists what is left).

* Templates (HTML pages and text emails): text between tags, and the attributes people read
  (``title``, ``placeholder``, ``aria-label``, ``alt``, ``data-label`` …), once everything inside
  ``{% … %}``, ``{{ … }}``, comments, ``<script>``/``<style>``, ``{% blocktranslate %}`` blocks and
  ``<code>`` is taken out. What is left with a letter in it is a string nobody can translate.
* Python: string literals (plain or f-strings) handed to the places a person reads them: form
  field ``label``/``help_text``/``empty_label``, model ``verbose_name``, admin ``description``,
  ``ValidationError``, ``add_error``, ``messages.*``, a form's ``Meta.labels``/``help_texts``,
  and the labels of ``TextChoices`` members.

Symbols and names that read the same in every language (``24/7``, ``SLA``, ``API``, ``#``) are
not text to translate; ``NOT_TEXT`` lists them.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Words and symbols that are the same in English and Swedish (product names, units, formats).
NOT_TEXT = {
    "SLA",
    "SLAs",
    "API",
    "24/7",
    "ms",
    "UTC",
    "IANA",
    "JSON",
    "HTML",
    "CSV",
    "IMAP",
    "SMTP",
    "Celery",
    "Django",
    "Redis",
    ".eml",
    "eml",
    "h",
    "min",
    "s",
    "d",
    "OK",
    "ID",
    "Message-ID",
    "HMAC",
    "HTTPS",
    "@",
    "×",
    "–",
    "—",
    "·",
    "…",
    "→",
    "#",
    "vs",
}

_READ_ATTRIBUTES = re.compile(
    r"""\s(title|placeholder|aria-label|alt|data-label|data-confirm|data-message|data-text)\s*=\s*"([^"]*)\"""",
    re.IGNORECASE,
)
_BLOCKS = [
    re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S),
    re.compile(r"{#.*?#}", re.S),
    re.compile(r"<!--.*?-->", re.S),
    re.compile(r"{%\s*blocktrans(late)?\b.*?{%\s*endblocktrans(late)?\s*%}", re.S),
    re.compile(r"<script\b.*?</script>", re.S | re.I),
    re.compile(r"<style\b.*?</style>", re.S | re.I),
    # Code shown as code (a header, a command) reads the same in every language.
    re.compile(r"<code\b.*?</code>", re.S | re.I),
    # A block that names CSS classes, not words (base.html's container).
    re.compile(r"{%\s*block\s+container\s*%}.*?{%\s*endblock\s*%}", re.S),
]
_TAGS = re.compile(r"{%.*?%}|{{.*?}}", re.S)
_HTML_TAG = re.compile(r"<[^>]*>", re.S)
_ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def _is_text(chunk: str) -> bool:
    words = [w for w in re.split(r"\s+", _ENTITY.sub(" ", chunk)) if w]
    return any(_LETTER.search(w) and w.strip(".,:;()[]!?") not in NOT_TEXT for w in words)


def _blank(match: re.Match[str]) -> str:
    """Keep line numbers: a removed stretch becomes its newlines."""
    return "\n" * match.group(0).count("\n")


def template_findings(path: Path) -> Iterator[Finding]:
    source = path.read_text(encoding="utf-8")
    text = source
    for block in _BLOCKS:
        text = block.sub(_blank, text)
    text = _TAGS.sub(lambda m: "\n" * m.group(0).count("\n") or " ", text)
    rel = str(path.relative_to(BASE_DIR))
    for match in _READ_ATTRIBUTES.finditer(text):
        if _is_text(match.group(2)):
            at = text.count("\n", 0, match.start()) + 1
            yield Finding(rel, at, f'{match.group(1)}="{match.group(2)}"')
    # Text between tags: tags become blanks of their own newlines.
    plain = _HTML_TAG.sub(_blank, text)
    for number, chunk in enumerate(plain.splitlines(), start=1):
        if _is_text(chunk):
            yield Finding(rel, number, chunk.strip())


_TEXT_KEYWORDS = {
    "label",
    "help_text",
    "empty_label",
    "verbose_name",
    "verbose_name_plural",
    "description",
    "short_description",
}
_MESSAGE_CALLS = {"success", "error", "info", "warning", "debug"}


def _literal_text(node: ast.AST | None) -> str | None:
    """The text of a plain string literal or f-string, when it reads as words."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if _is_text(node.value) else None
    if isinstance(node, ast.JoinedStr):
        parts = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
        return parts if _is_text(parts) else None
    return None


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def python_findings(path: Path) -> Iterator[Finding]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = str(path.relative_to(BASE_DIR))

    def found(node: ast.AST, text: str) -> Finding:
        return Finding(rel, getattr(node, "lineno", 0), text)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            for keyword in node.keywords:
                # "description": the admin's column/action titles; elsewhere (the API's
                # OpenAPI schema) it documents the API for developers, in English.
                if keyword.arg == "description" and name not in {"display", "action"}:
                    continue
                if keyword.arg in _TEXT_KEYWORDS and (text := _literal_text(keyword.value)):
                    yield found(keyword.value, text)
            candidates: list[ast.AST] = []
            if name == "ValidationError" and node.args:
                candidates.append(node.args[0])
            elif len(node.args) > 1 and (
                name == "add_error"
                or (
                    name in _MESSAGE_CALLS
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "messages"
                )
            ):
                candidates.append(node.args[1])
            for candidate in candidates:
                if text := _literal_text(candidate):
                    yield found(candidate, text)
        elif isinstance(node, ast.ClassDef):
            bases = {getattr(b, "attr", getattr(b, "id", "")) for b in node.bases}
            for statement in node.body:
                if isinstance(statement, ast.ClassDef) and statement.name == "Meta":
                    for assign in statement.body:
                        if (
                            isinstance(assign, ast.Assign)
                            and isinstance(assign.targets[0], ast.Name)
                            and assign.targets[0].id in {"labels", "help_texts"}
                            and isinstance(assign.value, ast.Dict)
                        ):
                            for value in assign.value.values:
                                if text := _literal_text(value):
                                    yield found(value, text)
                if (
                    bases & {"TextChoices", "IntegerChoices", "Choices"}
                    and isinstance(statement, ast.Assign)
                    and isinstance(statement.value, ast.Tuple)
                    and len(statement.value.elts) > 1
                    and (text := _literal_text(statement.value.elts[-1]))
                ):
                    yield found(statement, text)


# Where the product's strings live (as slaproject.catalogue extracts them).
SKIP_PARTS = {"tests", "bench", "migrations", ".venv", "var", "node_modules", "vendor", "docs"}


def product_files(suffixes: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for root, dirs, names in os.walk(BASE_DIR):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_PARTS and not d.startswith("."))
        files.extend(Path(root, name) for name in sorted(names) if name.endswith(suffixes))
    return files


def all_findings() -> list[Finding]:
    findings: list[Finding] = []
    for path in product_files((".html", ".txt")):
        if "templates" in path.relative_to(BASE_DIR).parts:
            findings.extend(template_findings(path))
    for path in product_files((".py",)):
        findings.extend(python_findings(path))
    return findings


def main(argv: list[str]) -> int:
    findings = all_findings()
    if argv:
        findings = [f for f in findings if any(f.path.startswith(a) for a in argv)]
    for finding in findings:
        print(finding)
    print(f"{len(findings)} untranslated", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
