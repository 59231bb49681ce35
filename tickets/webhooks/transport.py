"""One HTTP POST of a webhook body, to an address checked by ``tickets.webhooks.targets``.

The connection goes to the checked address itself (the URL's name is only the ``Host`` header and
the TLS server name, whose certificate is verified), so a resolver that answers differently a
moment later cannot redirect it. Redirects are never followed (a 3xx is a failed attempt), each
step (connect, TLS, send, each read) is bounded by ``timeout`` seconds, and at most
``MAX_READ`` bytes of the answer are read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from tickets.webhooks.targets import Address, Target

MAX_READ = 4096  # bytes of the answer's body read (the log keeps an excerpt)
USER_AGENT = "helpdesk-sla-webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str  # the start of the answer's body, decoded leniently
    location: str  # the Location header (a redirect that was not followed)
    duration_ms: int


class PostFailed(Exception):
    """No answer: the connection, TLS or a read failed or timed out. ``duration_ms`` says how
    long it took to fail."""

    def __init__(self, reason: str, *, duration_ms: int) -> None:
        super().__init__(reason)
        self.duration_ms = duration_ms


class _Pinned(http.client.HTTPConnection):
    def __init__(self, target: Target, address: Address, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = str(address)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedTls(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: Address, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = str(address)

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post(
    target: Target,
    addresses: list[Address],
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
) -> Answer:
    """POST ``body`` to ``target`` at the first of ``addresses`` that accepts a connection."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    last_error: Exception | None = None
    for address in addresses:
        kind = _PinnedTls if target.scheme == "https" else _Pinned
        connection = kind(target, address, timeout)
        try:
            try:
                connection.connect()
            except OSError as exc:  # refused, unreachable, timed out: try the next address
                last_error = exc
                continue
            try:
                connection.request(
                    "POST",
                    target.path,
                    body=body,
                    headers={
                        "Content-Type": "application/json",
                        "User-Agent": USER_AGENT,
                        "Connection": "close",
                        **headers,
                    },
                )
                response = connection.getresponse()
                text = response.read(MAX_READ).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as exc:
                raise PostFailed(_describe(exc), duration_ms=elapsed()) from exc
            return Answer(
                status=response.status,
                body=text,
                location=response.getheader("Location", "") or "",
                duration_ms=elapsed(),
            )
        finally:
            connection.close()
    raise PostFailed(_describe(last_error), duration_ms=elapsed())


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "No address to connect to."
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"No answer in time ({exc or 'timed out'})."
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The TLS certificate was refused: {exc.verify_message or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused."
    return f"{type(exc).__name__}: {exc}"
