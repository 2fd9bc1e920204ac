"""The real `portal serve` refuses over-long headers and drops slow senders, answering others."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlparse

import httpx

from tests.conftest import serving


def _connect(url: str) -> socket.socket:
    where = urlparse(url)
    return socket.create_connection((where.hostname, where.port), timeout=30)


def _status(sock: socket.socket) -> str:
    """The status line of the response, or "" when the server closed without one."""
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode()


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head


def test_headers_beyond_16_kb_get_431_and_an_8_kb_cookie_is_fine() -> None:
    with serving() as url:
        with _connect(url) as sock:
            sock.sendall(
                b"GET /health HTTP/1.1\r\nHost: portal\r\nX-Padding: " + b"x" * 20_000 + b"\r\n\r\n"
            )
            assert _status(sock) == "HTTP/1.1 431 Request Header Fields Too Large"
        # Many small headers adding up to more than the limit are refused the same way.
        with _connect(url) as sock:
            many = b"".join(b"X-Field-%d: %s\r\n" % (n, b"y" * 100) for n in range(200))
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: portal\r\n" + many + b"\r\n")
            assert _status(sock) == "HTTP/1.1 431 Request Header Fields Too Large"
        # Headers sent a little at a time are counted as they come, before they are complete.
        with _connect(url) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: portal\r\nX-Padding: ")
            status = ""
            for _ in range(40):
                try:
                    sock.sendall(b"x" * 1000)
                except OSError:
                    break
                time.sleep(0.02)
            status = _status(sock)
            assert status == "HTTP/1.1 431 Request Header Fields Too Large"
        cookie = "portal_pref=" + "c" * 8000
        big_but_allowed = httpx.get(f"{url}/health", headers={"Cookie": cookie}, timeout=10)
        assert big_but_allowed.status_code == 200
        page = httpx.get(f"{url}/sign-in", headers={"Cookie": cookie}, timeout=10)
        assert page.status_code == 200
        assert "Sign in" in page.text


def test_a_slow_header_sender_is_dropped_within_15_s_while_others_are_answered() -> None:
    with serving() as url:
        dropped_after: list[float] = []
        silent_dropped_after: list[float] = []

        def slowloris(sink: list[float], send_bytes: bool) -> None:
            with _connect(url) as sock:
                started = time.monotonic()
                if send_bytes:
                    sock.sendall(b"GET /health HTTP/1.1\r\nHost: portal\r\n")
                sock.settimeout(2)
                while time.monotonic() - started < 30:
                    try:
                        answer = sock.recv(4096)
                    except TimeoutError:
                        if send_bytes:
                            try:
                                sock.sendall(b"X")
                            except OSError:
                                break
                        continue
                    except OSError:
                        break
                    if send_bytes:
                        # A client that was sending gets told why (408); either way it is closed.
                        assert not answer or answer.startswith(b"HTTP/1.1 408"), answer[:80]
                    if not answer or b"408" in answer:
                        break
                sink.append(time.monotonic() - started)

        slow = [
            threading.Thread(target=slowloris, args=(dropped_after, True)) for _ in range(20)
        ] + [threading.Thread(target=slowloris, args=(silent_dropped_after, False))]
        for thread in slow:
            thread.start()

        # A kept-alive connection idle longer than the header timeout is not dropped by it: the
        # keep-alive timeout (75 s) governs the wait between requests.
        with _connect(url) as kept:
            kept.sendall(b"GET /health HTTP/1.1\r\nHost: portal\r\n\r\n")
            assert _read_response(kept).startswith(b"HTTP/1.1 200")

            slowest = 0.0
            with httpx.Client(base_url=url, timeout=5) as other:
                deadline = time.monotonic() + 13
                while time.monotonic() < deadline:
                    asked = time.monotonic()
                    assert other.get("/health").status_code == 200
                    slowest = max(slowest, time.monotonic() - asked)
                    time.sleep(0.25)
            assert slowest < 1.0, f"/health took {slowest:.2f}s while slow clients were connected"

            kept.sendall(b"GET /health HTTP/1.1\r\nHost: portal\r\n\r\n")
            assert _read_response(kept).startswith(b"HTTP/1.1 200")

        for thread in slow:
            thread.join(timeout=40)
        assert len(dropped_after) == 20
        assert max(dropped_after) < 15, dropped_after
        assert silent_dropped_after and silent_dropped_after[0] < 15
