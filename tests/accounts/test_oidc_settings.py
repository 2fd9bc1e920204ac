"""PORTAL_OIDC_PROVIDERS is checked when the portal starts, with messages that say what to fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwk

from portal.settings import SettingsError, load_settings, parse_oidc_providers


def staff(**changes: Any) -> dict[str, Any]:
    return {
        "name": "staff",
        "label": "Sign in with your work account",
        "issuer": "https://login.council.example",
        "client_id": "portal",
        "client_auth": "client_secret_basic",
        "client_secret": "s3cret",
        **changes,
    }


def nhs(**changes: Any) -> dict[str, Any]:
    key = jwk.RSAKey.generate_key(2048)
    return {
        "name": "nhs-login",
        "label": "Sign in with NHS login",
        "issuer": "https://auth.login.nhs.uk",
        "client_id": "portal-citizen",
        "client_auth": "private_key_jwt",
        "private_key": key.as_dict(private=True),
        "client_assertion_alg": "RS512",
        "vtr": ["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"],
        "emails_verified": True,
        **changes,
    }


def refused(*providers: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as caught:
        parse_oidc_providers(json.dumps(list(providers)))
    return str(caught.value)


def test_no_setting_means_no_providers() -> None:
    assert load_settings({}).oidc_providers == ()
    assert parse_oidc_providers("  ") == ()


def test_two_providers_are_read_into_typed_settings() -> None:
    citizen, work = parse_oidc_providers(json.dumps([nhs(), staff()]))
    assert citizen.name == "nhs-login" and citizen.client_auth == "private_key_jwt"
    assert citizen.vtr == ("P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm")
    # Unless told otherwise, the vectors asked for are the ones accepted back.
    assert citizen.accepted_vot == citizen.vtr
    assert citizen.client_assertion_alg == "RS512" and citizen.emails_verified
    assert citizen.private_key is not None and json.loads(citizen.private_key)["kid"]
    assert work.client_auth == "client_secret_basic" and work.client_secret == "s3cret"
    assert work.scopes == ("openid", "profile", "email") and not work.emails_verified


def test_secrets_do_not_show_when_settings_are_printed() -> None:
    settings = load_settings({"PORTAL_OIDC_PROVIDERS": json.dumps([nhs(), staff()])})
    printed = repr(settings)
    assert "s3cret" not in printed and '"d"' not in printed and "nhs-login" in printed


def test_the_setting_can_come_from_a_file_and_keys_from_their_own(tmp_path: Path) -> None:
    key = jwk.ECKey.generate_key("P-256")
    key_file = tmp_path / "nhs-login.jwk"
    key_file.write_text(json.dumps(key.as_dict(private=True)))
    secret_file = tmp_path / "staff-secret"
    secret_file.write_text("from-a-file\n")
    setting = tmp_path / "providers.json"
    setting.write_text(
        json.dumps(
            [
                nhs(private_key=None, private_key_file=str(key_file), client_assertion_alg=None),
                staff(client_secret=None, client_secret_file=str(secret_file)),
            ]
        )
    )
    citizen, work = load_settings({"PORTAL_OIDC_PROVIDERS_FILE": str(setting)}).oidc_providers
    assert citizen.client_assertion_alg == "ES256"
    assert work.client_secret == "from-a-file"


@pytest.mark.parametrize(
    ("provider", "says"),
    [
        (staff(name="Staff Login"), "name must be 1 to 40 lowercase letters"),
        (staff(issuer="http://login.council.example"), "issuer must use https://"),
        (staff(issuer="login.council.example"), "issuer must be a web address"),
        (staff(client_auth="client_secret_jwt"), "client_auth must be client_secret_basic or"),
        (staff(client_secret=None), "client_secret_basic needs client_secret"),
        (staff(private_key={"kty": "oct"}), "private_key is only for client_auth private_key_jwt"),
        (nhs(private_key=None), "private_key_jwt needs private_key or private_key_file"),
        (nhs(private_key='{"kty": "RSA"}'), "private_key must be a private key in JWK form"),
        (
            nhs(private_key=jwk.RSAKey.generate_key(2048).as_dict(private=False)),
            "must be a private RSA, EC or OKP key",
        ),
        (nhs(client_assertion_alg="ES256"), "'ES256' does not fit a RSA key"),
        (nhs(client_secret="s"), "client_secret is only for client_secret_basic"),
        (staff(scopes=["profile"]), "scopes must include openid"),
        (staff(emails_verified="yes"), "Expected `bool`, got `str` - at `$[0].emails_verified`"),
        (staff(clientid="x"), "unknown field `clientid`"),
        (staff(private_key_file="/nonexistent/key.jwk"), "cannot read '/nonexistent/key.jwk'"),
    ],
)
def test_a_provider_that_cannot_work_is_refused_with_what_to_fix(
    provider: dict[str, Any], says: str
) -> None:
    message = refused(provider)
    assert message.startswith("PORTAL_OIDC_PROVIDERS")
    assert says in message


def test_two_providers_with_one_name_are_refused() -> None:
    assert "each provider needs its own name" in refused(staff(), staff())


def test_the_setting_must_be_a_json_list() -> None:
    with pytest.raises(SettingsError, match="PORTAL_OIDC_PROVIDERS"):
        load_settings({"PORTAL_OIDC_PROVIDERS": "nhs-login"})
    with pytest.raises(SettingsError, match="Expected `array`"):
        load_settings({"PORTAL_OIDC_PROVIDERS": json.dumps(staff())})


def test_plain_http_is_only_for_this_machine() -> None:
    (local,) = parse_oidc_providers(json.dumps([staff(issuer="http://127.0.0.1:9000")]))
    assert local.issuer == "http://127.0.0.1:9000"
