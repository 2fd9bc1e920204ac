"""A real OpenID provider for the tests, and a man in the middle in front of it.

`start_provider()` runs panva's `oidc-provider` (npm, pinned in package.json here) with
`node server.mjs` on a free port of 127.0.0.1, and a small HTTP proxy on another free port.
The proxy's address is the provider's issuer, so the app under test and the test's own
HTTP client reach the provider only through it. It passes every request through unchanged
(Host included, so the provider writes the issuer's address into discovery and redirects)
except, while a test asks it to, the token endpoint's answer: it then rewrites the ID token
(an expired one, a wrong nonce, another key's signature). The provider itself stays real.

Accounts are read by the provider from a JSON file at every sign-in, so each test adds the
people it needs: the login typed at the provider's login form names the account (any
password is accepted: it is the provider's development login page).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc import jwk, jwt

HERE = Path(__file__).resolve().parent

Claims = dict[str, Any]
Forgery = Callable[[Claims], Claims]

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _claims_of(token: str) -> Claims:
    payload = token.split(".")[1]
    claims: Claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _header_of(token: str) -> Claims:
    header = token.split(".")[0]
    decoded: Claims = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    return decoded


class OpenIdProvider:
    """One running provider: its issuer, its signing key, its accounts, its man in the middle."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = workdir
        self.signing_key = jwk.RSAKey.generate_key(2048, parameters={"kid": f"{name}-1"})
        self.accounts_file = workdir / f"{name}-accounts.json"
        self.accounts_file.write_text("{}")
        self._forgery: tuple[Forgery, jwk.Key] | None = None
        self.token_responses = 0
        self._proxy: ThreadingHTTPServer | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.issuer = ""
        self.log_path = workdir / f"{name}-provider.log"

    # -- accounts ---------------------------------------------------------------------------

    def add_account(self, login: str, **claims: Any) -> str:
        accounts = json.loads(self.accounts_file.read_text())
        accounts[login] = claims
        draft = self.accounts_file.with_suffix(".tmp")
        draft.write_text(json.dumps(accounts))
        draft.replace(self.accounts_file)
        return login

    # -- the man in the middle --------------------------------------------------------------

    @contextmanager
    def forging(self, change: Forgery, key: jwk.Key | None = None) -> Iterator[None]:
        """While inside, ID tokens leave the token endpoint changed by `change` and re-signed
        with `key` (the provider's own key unless another is given)."""
        self._forgery = (change, key or self.signing_key)
        try:
            yield
        finally:
            self._forgery = None

    def _rewrite_token_response(self, body: bytes) -> bytes:
        if self._forgery is None:
            return body
        change, key = self._forgery
        answer = json.loads(body)
        original = answer["id_token"]
        header = _header_of(original)
        claims = change(_claims_of(original))
        new_header = {"alg": header["alg"], "typ": header.get("typ", "JWT")}
        if key.kid:
            new_header["kid"] = key.kid
        answer["id_token"] = jwt.encode(new_header, claims, key, algorithms=[header["alg"]])
        return json.dumps(answer).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Forward(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection("127.0.0.1", provider.port, timeout=15)
                upstream.putrequest(
                    self.command, self.path, skip_host=True, skip_accept_encoding=True
                )
                for key, value in self.headers.items():
                    # Identity encoding, so that a token response can be read and rewritten.
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "accept-encoding":
                        upstream.putheader(key, value)
                upstream.endheaders(body)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                if self.command == "POST" and urlsplit(self.path).path == "/token":
                    provider.token_responses += 1
                    if answer.status == 200:
                        data = provider._rewrite_token_response(data)
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            do_GET = _forward
            do_POST = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Forward

    # -- running ----------------------------------------------------------------------------

    def start(self, clients: list[dict[str, Any]]) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Node.js is needed for the OpenID provider in tests")
        if not (HERE / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError(
                "tests/oidc_provider/node_modules is missing: run `make install` "
                "(it runs `npm ci` in tests/oidc_provider)"
            )
        self._proxy = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._proxy.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self._proxy.server_address[1]}"
        threading.Thread(target=self._proxy.serve_forever, daemon=True).start()
        self.port = _free_port()
        config = {
            "issuer": self.issuer,
            "port": self.port,
            "jwks": {"keys": [self.signing_key.as_dict(private=True)]},
            "cookieKeys": [secrets.token_urlsafe(32)],
            "clients": clients,
            "accountsFile": str(self.accounts_file),
        }
        config_path = self.workdir / f"{self.name}-provider.json"
        config_path.write_text(json.dumps(config))
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            [node, "server.mjs", str(config_path)],
            cwd=HERE,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NODE_ENV": "development"},
        )
        deadline = time.monotonic() + 20
        discovery = f"{self.issuer}/.well-known/openid-configuration"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited:\n{self.log_path.read_text()}")
            try:
                if httpx.get(discovery, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the OpenID provider did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
        if self._proxy is not None:
            self._proxy.shutdown()
            self._proxy.server_close()
            self._proxy = None


def start_provider(name: str, workdir: Path, clients: list[dict[str, Any]]) -> OpenIdProvider:
    provider = OpenIdProvider(name, workdir)
    provider.start(clients)
    return provider
