"""Fixtures for the connection tests: a fake token credential (the app's environment is `portal_app`, tests/apptest.py).

Only token acquisition is faked (`FakeTokenCredential`): every request goes through the real SDK
and azure-core pipeline to the real local server over HTTP (or to a closed https port when the
point is the token, not the answer).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken

ROOT = Path(__file__).resolve().parents[2]
FAKE_TOKEN = "fake-entra-token-not-a-secret"


class FakeTokenCredential:
    """A TokenCredential whose get_token records the scopes it was asked for."""

    def __init__(self, token: str = FAKE_TOKEN):
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


class FakeAsyncTokenCredential(FakeTokenCredential):
    """The async variant (AsyncTokenCredential) for the SDK's aio clients."""

    async def get_token(self, *scopes: str, **kwargs) -> AccessToken:  # type: ignore[override]
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    async def close(self) -> None:
        pass


class FakeCredentialFactory:
    """Stands in for `default_token_credential(is_async)`: hands out fakes and remembers them."""

    def __init__(self) -> None:
        self.sync = FakeTokenCredential()
        self.async_ = FakeAsyncTokenCredential()
        self.calls: list[bool] = []

    def __call__(self, is_async: bool = False):
        self.calls.append(is_async)
        return self.async_ if is_async else self.sync


@pytest.fixture
def credential_factory() -> FakeCredentialFactory:
    return FakeCredentialFactory()


def closed_port() -> int:
    """A local port nothing listens on: connections to it are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
