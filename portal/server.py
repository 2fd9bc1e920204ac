"""uvicorn's HTTP/1.1 protocol with the two limits it lacks: header size and header read time.

uvicorn with httptools accepts request headers of any size and waits for them forever: measured
on uvicorn 0.54, a 100 kB header was answered 200, and a client sending one header byte every
3 s (slowloris) or nothing at all was still connected after 40 s (uvicorn issue 157 keeps its
`--timeout-request-start` open). This subclass adds both, as nginx's `large_client_header_buffers`
and `client_header_timeout` do; the README's design notes give the measurements and the reasons
for keeping uvicorn.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HEADER_LIMIT_BYTES", "HEADER_TIMEOUT_SECONDS", "GuardedHttpToolsProtocol"]

# The request line and headers together. An 8 kB cookie (browsers' own limit is about 4 kB a
# cookie) still fits; gunicorn's per-field limit is 8 kB, Node's total 16 kB.
HEADER_LIMIT_BYTES = 16 * 1024
# From a connection's first byte (or its opening) until its headers are complete. Well above what
# a phone on a poor network needs for a few kilobytes, well below the 15 s the issue allows.
HEADER_TIMEOUT_SECONDS = 10.0

_TOO_LARGE = (
    f"The request's headers are larger than {HEADER_LIMIT_BYTES // 1024} kB. Send fewer or "
    "shorter headers (a very large cookie: clear this site's cookies and sign in again)."
)
_TOO_SLOW = (
    f"The request's headers did not arrive within {HEADER_TIMEOUT_SECONDS:.0f} seconds. "
    "Check the connection and try again."
)


class _HeadersTooLarge(Exception):
    """Raised inside httptools' callbacks, which stops the parser there."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """Answers 431 past HEADER_LIMIT_BYTES and 408 (then closes) past HEADER_TIMEOUT_SECONDS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._parsed_head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._too_large = False
        self._head_started = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Also bounds a connection that is opened and never used.
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        was_in_head = self._in_head
        super().data_received(data)
        # Still waiting for the end of the headers: every byte so far was request line or header
        # (a chunk that began in the previous body is left out, so bodies never count).
        if was_in_head and self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > HEADER_LIMIT_BYTES:
                self._refuse(431, "Request Header Fields Too Large", _TOO_LARGE)

    # httptools callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_started = True
        self._parsed_head_bytes = 0
        # On a kept-alive connection the next request starts its own clock at its first byte.
        self._start_head_timer()

    def on_url(self, url: bytes) -> None:
        self._count_parsed(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_parsed(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_started = False
        self._head_bytes = 0
        self._stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # What follows on this connection is the next request's head (idle time until then is
        # the keep-alive timeout's business, not the header timer's).
        self._in_head = True
        self._head_bytes = 0

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers any exception from a parser callback with 400; ours says 431.
        if self._too_large:
            self._refuse(431, "Request Header Fields Too Large", _TOO_LARGE)
        else:
            super().send_400_response(msg)

    def _count_parsed(self, size: int) -> None:
        # Headers that arrive whole in one chunk are counted here, before the app sees them.
        self._parsed_head_bytes += size
        if self._parsed_head_bytes > HEADER_LIMIT_BYTES:
            self._too_large = True
            raise _HeadersTooLarge

    def _start_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEADER_TIMEOUT_SECONDS, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self._head_started:
            self._refuse(408, "Request Timeout", _TOO_SLOW)
        else:
            # Opened and never used (a browser's preconnect, or a slowloris that sends nothing):
            # closed without an answer, as an answer nobody asked for could confuse a client.
            self.transport.close()

    def _refuse(self, status: int, reason: str, detail: str) -> None:
        self._stop_head_timer()
        # The same RFC 9457 problem the app answers with (and the OpenAPI document describes).
        body = msgspec.json.encode(
            {"type": "about:blank", "title": reason, "status": status, "detail": detail}
        )
        self.transport.write(
            f"HTTP/1.1 {status} {reason}\r\n".encode("ascii")
            + b"content-type: application/problem+json\r\n"
            + b"content-length: "
            + str(len(body)).encode("ascii")
            + b"\r\nconnection: close\r\n\r\n"
            + body
        )
        self.logger.warning("Request refused before the app saw it: %d %s", status, reason)
        self.transport.close()
