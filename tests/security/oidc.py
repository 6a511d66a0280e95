"""A real OpenID Connect provider for the sign-in tests, and the browser steps of signing in and out.

`oidc-provider-mock` (PyPI) is a Flask app built on Authlib that implements discovery, the
authorization-code flow with ID tokens signed by its own RSA key, JWKS, dynamic client registration
and RP-initiated logout. Its authorization page is a form where the tester types the subject
(`sub`); `PUT /users/<sub>` sets that user's other claims. It runs in a thread of the test process.

Host names matter: the provider is reached as `localhost` while the app runs on `127.0.0.1`.
Cookies are scoped by host, not port, so on one host name the provider's Flask `session` cookie and
the app's cookies would share a jar; two names keep the browser's view of the two sites apart, as in
production. Streamlit's redirect_uri must use the host the browser opens the app on, because the
identity cookie records that origin and the websocket handshake compares them.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

AUTHORIZE_BUTTON = "Authorize"
SUB_FIELD = "sub"


@dataclass(frozen=True)
class OidcClient:
    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True)
class OidcProvider:
    issuer: str  # the provider puts its own base URL in `iss`

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def register_client(self, redirect_uri: str) -> OidcClient:
        """Dynamic client registration (RFC 7591): the provider then only accepts this redirect_uri."""
        response = httpx.post(
            f"{self.issuer}/oauth2/clients",
            json={"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "client_secret_basic"},
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        return OidcClient(body["client_id"], body["client_secret"], redirect_uri)

    def set_user(self, sub: str, **claims: object) -> None:
        """The claims (email, name, ...) the provider issues for `sub`."""
        response = httpx.put(f"{self.issuer}/users/{quote(sub, safe='')}", json=claims, timeout=10)
        assert response.status_code == 204, response.text


@contextmanager
def running_provider() -> Iterator[OidcProvider]:
    """The provider on a free port of localhost, requiring registered clients (so redirect URIs are checked)."""
    with warnings.catch_warnings():  # it imports authlib.jose, deprecated upstream (not our code)
        import authlib.deprecate  # noqa: F401 (installs an "always" filter for its warning; ours must come after)

        warnings.simplefilter("ignore", DeprecationWarning)
        import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread(require_client_registration=True) as server:
        yield OidcProvider(f"http://localhost:{server.server_port}")


def auth_secrets_toml(provider: OidcProvider, client: OidcClient, *, cookie_secret: str | None = None, extra: str = "") -> str:
    """Streamlit's documented `[auth]` section for one (default) provider, plus any `extra` TOML."""
    return (
        f"{extra}\n"
        "[auth]\n"
        f'redirect_uri = "{client.redirect_uri}"\n'
        f'cookie_secret = "{cookie_secret or secrets.token_hex(32)}"\n'
        f'client_id = "{client.client_id}"\n'
        f'client_secret = "{client.client_secret}"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n'
    )


def write_auth_secrets(path: Path, provider: OidcProvider, app_port: int, extra: str = "") -> OidcClient:
    client = provider.register_client(f"http://127.0.0.1:{app_port}/oauth2callback")
    path.write_text(auth_secrets_toml(provider, client, extra=extra), "utf-8")
    return client


def sign_in(page, app_url: str, provider: OidcProvider, sub: str, *, expect_name: str) -> None:
    """From the app's sign-in screen through the provider's form and back, signed in as `sub`."""
    from playwright.sync_api import expect

    page.goto(app_url)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{provider.issuer}/oauth2/authorize**")
    page.get_by_placeholder(SUB_FIELD).fill(sub)
    page.get_by_role("button", name=AUTHORIZE_BUTTON, exact=True).click()
    page.wait_for_url(f"{app_url}/**")
    expect(page.get_by_text(f"Signed in as {expect_name}")).to_be_visible()


def sign_out(page, app_url: str, provider: OidcProvider) -> None:
    """The sidebar's Sign out: Streamlit clears its cookie, then RP-initiated logout at the provider."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{provider.issuer}/oauth2/end_session**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{app_url}/**")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
