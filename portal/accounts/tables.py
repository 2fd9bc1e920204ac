"""People, their sign-in accounts and server-side sign-in sessions."""

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Person(Table, tablename="person"):
    """Someone a plan can be about; a plan belongs to a person, not to a login."""

    id = UUID(primary_key=True)
    display_name = Varchar(length=200, null=False)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)


class UserAccount(Table, tablename="user_account"):
    id = UUID(primary_key=True)
    email = Varchar(length=320, unique=True, null=False, index=True)
    password_hash = Text(null=True, default=None)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.restrict)
    is_active = Boolean(default=True, null=False)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    last_sign_in_at = Timestamptz(null=True, default=None)


class SignInSession(Table, tablename="sign_in_session"):
    """A server-side session; the cookie carries a random token whose hash is stored here."""

    id = UUID(primary_key=True)
    token_hash = Varchar(length=64, unique=True, null=False, index=True)
    user = ForeignKey(UserAccount, null=False, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    expires_at = Timestamptz(null=False)


class SignInFailure(Table, tablename="sign_in_failure"):
    """A failed sign-in, counted per account (a hash of the email) and per client address."""

    id = UUID(primary_key=True)
    subject = Varchar(length=100, null=False, index=True)
    at = Timestamptz(default=TimestamptzNow(), null=False)


class Organisation(Table, tablename="organisation"):
    """A council, an NHS body (ICB), a provider or a brokerage; staff belong to one or more."""

    id = UUID(primary_key=True)
    name = Varchar(length=200, null=False)
    kind = Varchar(length=40, null=False)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    # The tolerance rule for providers' package changes (seed 002), the organisation's own:
    # how many hours a week a package may move from the original order, the percentage change
    # that matters when it crosses a band, and the weekly cost bands' upper bounds in pence.
    tolerance_minutes = Integer(null=False, default=300)
    tolerance_percent = Integer(null=False, default=20)
    tolerance_bands = Text(null=False, default="[7500, 15000, 22500, 30000]")


class StaffRole(Table, tablename="staff_role"):
    """One role a user holds in an organisation; ending a role keeps the record of it."""

    id = UUID(primary_key=True)
    organisation = ForeignKey(Organisation, null=False, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(UserAccount, null=False, on_delete=OnDelete.restrict, index=True)
    role = Varchar(length=40, null=False)
    # Only for budget authorisers: the largest annual cost they may approve, in pence.
    spending_limit_pence = BigInt(null=True, default=None)
    granted_by = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)
    granted_at = Timestamptz(default=TimestamptzNow(), null=False)
    ended_by = ForeignKey(UserAccount, null=True, default=None, on_delete=OnDelete.restrict)
    ended_at = Timestamptz(null=True, default=None)


class ExternalIdentity(Table, tablename="external_identity"):
    """A sign-in through an OpenID provider: (provider, subject) names one of our users."""

    id = UUID(primary_key=True)
    provider = Varchar(length=40, null=False)
    subject = Varchar(length=255, null=False)
    user = ForeignKey(UserAccount, null=False, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    last_sign_in_at = Timestamptz(null=True, default=None)
    # Unique (provider, subject): a unique index made by its migration.


class OidcLogin(Table, tablename="oidc_login"):
    """A sign-in started with a provider: its state, nonce and PKCE verifier, used once."""

    id = UUID(primary_key=True)
    state_hash = Varchar(length=64, unique=True, null=False, index=True)
    provider = Varchar(length=40, null=False)
    nonce = Varchar(length=128, null=False)
    code_verifier = Varchar(length=128, null=False)
    next_path = Varchar(length=500, null=False, default="/plans")
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    used_at = Timestamptz(null=True, default=None)
