"""People, their sign-in accounts and server-side sign-in sessions."""

from piccolo.columns import (
    UUID,
    Boolean,
    ForeignKey,
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
