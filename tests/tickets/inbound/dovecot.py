"""A real IMAP server for the tests: Debian's Dovecot, run in the foreground with its own
configuration on free ports, a throwaway mail folder, and a self-signed certificate for TLS.

Any user name signs in with ``PASSWORD`` and gets a fresh, empty mailbox, so each test uses its
own user and tests never see each other's mail. ``.ci/run`` installs ``dovecot-imapd`` without
starting the system service; locally, without it, the IMAP tests are skipped with a message that
says what to install (on CI a skip fails the run).
"""

from __future__ import annotations

import getpass
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "mailbox-secret-1"
INSTALL_HINT = (
    "The IMAP tests need Dovecot: apt-get install dovecot-imapd "
    "(.ci/run installs it without starting the system service)."
)

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = helpdesk-test-{port}
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
mail_uid = {uid}
mail_gid = {gid}
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ImapServer:
    root: Path
    port: int
    tls_port: int

    @property
    def cert_file(self) -> Path:
        return self.root / "cert.pem"

    def url(self, user: str, *, scheme: str = "imap", folder: str = "INBOX") -> str:
        port = self.tls_port if scheme == "imaps" else self.port
        return f"{scheme}://{user}:{PASSWORD}@127.0.0.1:{port}/{folder}"

    @contextmanager
    def client(self, user: str) -> Iterator[imaplib.IMAP4]:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(user, PASSWORD)
        try:
            yield connection
        finally:
            connection.logout()

    def append(self, user: str, raw: bytes, *, folder: str = "INBOX") -> None:
        with self.client(user) as imap:
            status, data = imap.append(f'"{folder}"', None, None, raw)
            assert status == "OK", data

    def messages(self, user: str, folder: str = "INBOX") -> list[tuple[bytes, bytes]]:
        """(flags, bytes) of each message in ``folder``, oldest first; [] when it does not
        exist."""
        with self.client(user) as imap:
            status, _data = imap.select(f'"{folder}"', readonly=True)
            if status != "OK":
                return []
            _status, data = imap.uid("SEARCH", None, "ALL")
            found = []
            for uid in (data[0] or b"").split():
                _status, fetched = imap.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
                head, raw = fetched[0]
                found.append((head, raw))
            return found


def _accounts() -> dict[str, object]:
    """Who Dovecot's processes run as: as root, Debian's dovenull/dovecot users and nobody for
    the mail itself (Dovecot refuses mail access as uid 0); else the current user for all."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return {
            "uid": nobody.pw_uid,
            "gid": nobody.pw_gid,
            "login_user": "dovenull",
            "internal_user": "dovecot",
        }
    me = getpass.getuser()
    return {"uid": os.getuid(), "gid": os.getgid(), "login_user": me, "internal_user": me}


def _certificate(root: Path) -> None:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(root / "key.pem"),
            "-out",
            str(root / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )


def _wait_ready(port: int, process: subprocess.Popen, *, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return True
        except OSError:
            time.sleep(0.1)
    return False


@contextmanager
def running_dovecot(binary: str) -> Iterator[ImapServer]:
    """Start Dovecot in the foreground; stop it and remove its folder afterwards."""
    # Not under pytest's tmp folder: that one is private to root, and the mail processes run
    # as another user who must reach the mail folder.
    root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    os.chmod(root, 0o755)
    try:
        accounts = _accounts()
        (root / "mail").mkdir()
        os.chown(root / "mail", accounts["uid"], accounts["gid"])  # type: ignore[arg-type]
        _certificate(root)
        process = None
        for _attempt in range(3):  # a free port may be taken before Dovecot binds it
            port, tls_port = free_port(), free_port()
            config = CONFIG.format(
                root=root, port=port, tls_port=tls_port, password=PASSWORD, **accounts
            )
            (root / "dovecot.conf").write_text(config)
            process = subprocess.Popen(
                [binary, "-F", "-c", str(root / "dovecot.conf")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if _wait_ready(port, process):
                break
            process.terminate()
            process.wait(10)
            process = None
        if process is None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"Dovecot did not start:\n{log[-3000:]}")
        try:
            yield ImapServer(root=root, port=port, tls_port=tls_port)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
    finally:
        shutil.rmtree(root, ignore_errors=True)


__all__ = ["INSTALL_HINT", "PASSWORD", "ImapServer", "dovecot_binary", "running_dovecot"]
