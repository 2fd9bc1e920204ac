"""Keep secrets out of the server's logs: an invitation token is as good as the invitation."""

from __future__ import annotations

import logging
import re

_INVITATION = re.compile(r"(/invitations/)[^/?#\s]+")


def redact_path(path: str) -> str:
    return _INVITATION.sub(r"\1[token]", path)


class RedactInvitationTokens(logging.Filter):
    """uvicorn's access log line carries the path: hide the token in invitation paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_path(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactInvitationTokens) for f in access.filters):
        access.addFilter(RedactInvitationTokens())
