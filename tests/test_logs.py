"""The server's access log never shows an invitation's token."""

from __future__ import annotations

import logging

from portal.logs import RedactInvitationTokens, redact_path


def test_invitation_tokens_are_hidden_in_paths() -> None:
    assert redact_path("/invitations/abc-DEF_123") == "/invitations/[token]"
    assert redact_path("/api/v1/invitations/abc/accept") == "/api/v1/invitations/[token]/accept"
    assert redact_path("/invitations/abc?next=1") == "/invitations/[token]?next=1"
    assert redact_path("/plans/1234/sharing") == "/plans/1234/sharing"


def test_the_access_log_filter_rewrites_uvicorn_records() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/invitations/secret-token", "1.1", 200),
        None,
    )
    assert RedactInvitationTokens().filter(record)
    assert "secret-token" not in record.getMessage()
    assert "/invitations/[token]" in record.getMessage()
