"""A real HTTP receiver for webhook tests: a threaded HTTP server on the loopback address that
records every request (headers and raw body) and answers with the statuses it is told."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """``Receiver().start()``; ``answers`` (status, body, extra headers) are used in turn, the
    last one for every request after; ``received`` lists the requests."""

    def __init__(self) -> None:
        self.received: list[Request] = []
        self.answers: deque[tuple[int, str, dict[str, str]]] = deque([(200, "ok", {})])
        self.delay = 0.0  # seconds to wait before answering
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.received.append(
                    Request("POST", self.path, {k: v for k, v in self.headers.items()}, body)
                )
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                status, text, extra = (
                    receiver.answers.popleft() if len(receiver.answers) > 1 else receiver.answers[0]
                )
                payload = text.encode()
                try:
                    self.send_response(status)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *answers: tuple[int, str] | tuple[int, str, dict[str, str]]) -> None:
        self.answers = deque((a[0], a[1], a[2] if len(a) > 2 else {}) for a in answers)  # type: ignore[misc]

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
