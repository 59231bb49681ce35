"""An email backend that writes each message as one ``.eml`` file (the ``./dev run`` default).

``EMAIL_URL=eml://`` writes to ``var/mail/``; ``eml:///some/folder`` elsewhere. Each file is the
message exactly as it would go over SMTP, so any mail client opens it.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(file_path or getattr(settings, "EMAIL_FILE_PATH", None) or "var/mail")

    def send_messages(self, email_messages: Any) -> int:
        if not email_messages:
            return 0
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            data = message.message().as_bytes(linesep="\r\n")
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            to = re.sub(r"[^A-Za-z0-9@.+-]+", "_", message.recipients()[0])[:60]
            name = f"{stamp}-{to}-{secrets.token_hex(3)}.eml"
            partial = self.folder / f".{name}.part"
            partial.write_bytes(data)
            partial.replace(self.folder / name)  # appears whole, never half-written
            sent += 1
        return sent
