"""A plan with everyone who might be told about it, and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from portal.accounts.service import create_user
from portal.consent.tables import PlanGrant
from portal.db import write_transaction
from portal.notifications.service import tell_about_plan
from portal.notifications.tables import Notification
from portal.settings import Settings, load_settings
from tests.api.helpers import change_section, create_plan, plan_url
from tests.conftest import PASSWORD, Persona, csrf_ready, free_port
from tests.factories import actor_of

# Written into the plan so that a test can show none of it leaves in an email.
OWNER_NAME = "Zebedee Quillfeather"
PLAN_TITLE = "Marigold Lighthouse plan"
SECRETS = {
    "starting_point": {"what_i_enjoy": "Kestrel-watching at Wyvernmoor on Tuesdays"},
    "about_me": {"who_i_am": "Retired clockmaker, ninth of Ashcombe Terrace"},
    "staying_safe": {"contingency_plan": "Ring Orlaith Brannigan if the stairlift jams"},
}
CONTENT_WORDS = (
    "Zebedee",
    "Quillfeather",
    "Marigold",
    "Lighthouse",
    "Kestrel",
    "Wyvernmoor",
    "clockmaker",
    "Ashcombe",
    "Orlaith",
    "Brannigan",
    "stairlift",
)
BASE_URL = "https://plans.example.org"
SENDER = "Plan portal <noreply@plans.example.org>"
SMTP_LOGIN = ("portal", "mail-s3cret")


async def sign_up(app: Any, label: str, display_name: str | None = None) -> Persona:
    """A person with an account (an email address that does not hold their name) and a client
    signed in as them."""
    email = f"{label}-{uuid.uuid4().hex[:10]}@example.org"
    await create_user(email, PASSWORD, display_name or label.title())
    http = await csrf_ready(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    )
    response = await http.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return Persona(label, email, http)


@dataclass
class World:
    plan_id: str
    people: dict[str, Persona]
    user_ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def __getitem__(self, label: str) -> Persona:
        return self.people[label]


async def _share(owner: Persona, plan_id: str, grantee: Persona, access: str) -> dict[str, Any]:
    response = await owner.client.post(
        f"{plan_url(plan_id)}/grants",
        json={
            "grantee_email": grantee.email,
            "sections": ["about_me", "outcomes"],
            "access": access,
            "purpose": "To help me write my plan",
        },
    )
    assert response.status_code == 201, response.text
    grant: dict[str, Any] = response.json()
    return grant


async def _represent(owner: Persona, plan_id: str, who: Persona) -> dict[str, Any]:
    response = await owner.client.post(
        f"{plan_url(plan_id)}/representatives",
        json={
            "email": who.email,
            "authority": "lpa_health_welfare",
            "sections": ["about_me", "staying_safe"],
            "powers": ["view", "edit", "share"],
        },
    )
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record


LABELS = (
    "owner",
    "carer",  # speaks for the owner (health and welfare LPA)
    "planner",  # co-author: edit
    "advocate",  # co-author: comment
    "gp",  # view only
    "revoked",  # had edit; the grant was revoked
    "expired",  # had edit; the grant has expired
    "former",  # spoke for the owner; the record was ended
    "authoriser",  # staff who decides; holds nothing on the plan
    "stranger",
)


@pytest.fixture
async def world(app) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    """A plan with distinctive content, everyone who might be told about it, each signed in."""
    people = {"owner": await sign_up(app, "owner", OWNER_NAME)}
    for label in LABELS[1:]:
        people[label] = await sign_up(app, label)
    owner = people["owner"]
    plan = await create_plan(owner.client, title=PLAN_TITLE)
    plan_id = str(plan["id"])
    for key, changes in SECRETS.items():
        await change_section(owner.client, plan_id, key, **changes)
    await _represent(owner, plan_id, people["carer"])
    await _share(owner, plan_id, people["planner"], "edit")
    await _share(owner, plan_id, people["advocate"], "comment")
    await _share(owner, plan_id, people["gp"], "view")
    revoked = await _share(owner, plan_id, people["revoked"], "edit")
    stopped = await owner.client.post(
        f"{plan_url(plan_id)}/grants/{revoked['id']}/revoke", json={"reason": "Moved away"}
    )
    assert stopped.status_code == 200, stopped.text
    expiring = await _share(owner, plan_id, people["expired"], "edit")
    # The API only takes end dates in the future; this one has since passed.
    await PlanGrant.update(
        {PlanGrant.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)}
    ).where(PlanGrant.grant_id == uuid.UUID(expiring["id"]))
    former = await _represent(owner, plan_id, people["former"])
    ended = await owner.client.post(
        f"{plan_url(plan_id)}/representatives/{former['id']}/end", json={"reason": "Ended"}
    )
    assert ended.status_code == 200, ended.text
    found = World(plan_id=plan_id, people=people)
    for label, persona in people.items():
        found.user_ids[label] = (await actor_of(persona)).user_id
    try:
        yield found
    finally:
        for persona in people.values():
            await persona.client.aclose()


async def tell(plan_id: str, event: str, actor_user_id: uuid.UUID | None) -> list[uuid.UUID]:
    """As a decision does: inside its write transaction."""
    async with write_transaction(Notification._meta.db):
        return await tell_about_plan(uuid.UUID(plan_id), event, actor_user_id)


async def emailed_at(ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    rows = await Notification.select(Notification.id, Notification.emailed_at).where(
        Notification.id.is_in(ids)
    )
    return {row["id"]: row["emailed_at"] for row in rows}


# --- the SMTP server -------------------------------------------------------------------------


@dataclass
class Kept:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: str | None


class KeepingHandler:
    """Keeps every message it is given; refuses the recipients it is told to."""

    def __init__(self) -> None:
        self.messages: list[Kept] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook names
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        login = session.login_data.decode() if session.authenticated else None
        self.messages.append(
            Kept(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                content=bytes(envelope.content),
                tls=session.ssl is not None,
                login=login,
            )
        )
        return "250 Message accepted for delivery"

    def to(self, email: str) -> list[Kept]:
        return [m for m in self.messages if email in m.rcpt_tos]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 on a real free port (its start-up self-check fails on port 0)."""

    def __init__(self, port: int | None = None, **smtp_options: Any) -> None:
        self.port = port or free_port()
        self.handler = KeepingHandler()
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **smtp_options
        )

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[Kept]:
        return self.handler.messages


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


def mail_settings(port: int, **env: str) -> Settings:
    """Settings as the environment would give them, for an SMTP server on 127.0.0.1:port."""
    return load_settings(
        {
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(port),
            "PORTAL_SMTP_FROM": SENDER,
            "PORTAL_BASE_URL": BASE_URL,
            **env,
        }
    )


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "smtp-cert.pem"
    key_path = directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    given = (
        (auth_data.login.decode(), auth_data.password.decode())
        if isinstance(auth_data, LoginPassword)
        else None
    )
    return AuthResult(success=given == SMTP_LOGIN, handled=False, auth_data=auth_data)


@pytest.fixture
def tls_smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A server that takes mail only after STARTTLS and a sign-in, with a certificate the
    portal's default TLS context trusts (through SSL_CERT_FILE, as OpenSSL reads it)."""
    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server = SmtpServer(
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=_authenticator,
    ).start()
    try:
        yield server
    finally:
        server.stop()
