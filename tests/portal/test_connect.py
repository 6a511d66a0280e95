""""Connect your model": who gets the form, what is validated, and how secrets.toml is written."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from portal.connect import ConnectForm, admin_lines, connection_from_form, is_loopback, may_connect, save_connection
from portal.settings import ConfigError, Secret, load_settings

KEY = "sk-test-0123456789abcdef"


def form(**changes) -> ConnectForm:
    values = dict(name="my-foundry", endpoint="https://res.openai.azure.com/openai/v1/", auth="key", api_key=Secret(KEY), model="gpt-4o-mini")
    values.update(changes)
    return ConnectForm(**values)


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True), ("127.0.0.2", True),
     ("", False), (None, False), ("0.0.0.0", False), ("192.168.1.5", False), ("example.com", False)],
)
def test_loopback_addresses(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


@pytest.mark.parametrize(
    ("mode", "address", "sign_in", "owner", "allowed"),
    [
        ("auto", "127.0.0.1", False, "", True),  # the quick start: one person on their own machine
        ("auto", "", False, "", False),  # every interface: anyone who reaches the page
        ("auto", "0.0.0.0", False, "", False),
        ("on", "0.0.0.0", False, "", True),  # explicitly allowed
        ("off", "127.0.0.1", False, "", False),
        ("auto", "127.0.0.1", True, "oidc:iss:bob", False),  # sign-in on: administrators only
        ("on", "0.0.0.0", True, "oidc:iss:bob", False),
        ("auto", "0.0.0.0", True, "oidc:iss:alice", True),
        ("off", "0.0.0.0", True, "oidc:iss:alice", False),
    ],
)
def test_who_may_use_the_form(mode: str, address: str, sign_in: bool, owner: str, allowed: bool) -> None:
    permission = may_connect(mode=mode, listen_address=address, sign_in=sign_in, owner=owner, admins=("oidc:iss:alice",))

    assert permission.allowed is allowed
    assert permission.reason


def test_the_form_is_validated_like_secrets_toml() -> None:
    connection = connection_from_form(form())
    assert (connection.name, connection.kind.value, connection.api, connection.chat_model) == ("my-foundry", "foundry_v1", "openai", "gpt-4o-mini")
    assert connection.api_key is not None and connection.api_key.reveal() == KEY

    with pytest.raises(ConfigError, match="already exists"):
        connection_from_form(form(), ("my-foundry",))
    with pytest.raises(ConfigError, match="name"):
        connection_from_form(form(name="  "))
    with pytest.raises(ConfigError, match="without quotes"):
        connection_from_form(form(name='a"b'))
    with pytest.raises(ConfigError, match="Paste the API key"):
        connection_from_form(form(api_key=None))
    with pytest.raises(ConfigError, match="is not a URL"):
        connection_from_form(form(endpoint="res.openai.azure.com"))
    with pytest.raises(ConfigError, match="only sent over https"):
        connection_from_form(form(endpoint="http://res.openai.azure.com/openai/v1/", auth="entra", api_key=None))


def test_saving_writes_an_owner_only_file_that_the_settings_read(tmp_path: Path) -> None:
    path = tmp_path / ".streamlit" / "secrets.toml"

    save_connection(path, form())

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings({}, tomllib.loads(path.read_text()))
    [connection] = settings.connections
    assert (connection.name, connection.endpoint, connection.chat_model) == ("my-foundry", "https://res.openai.azure.com/openai/v1", "gpt-4o-mini")
    assert connection.api_key is not None and connection.api_key.reveal() == KEY
    assert [p.name for p in path.parent.iterdir()] == ["secrets.toml"]  # no temporary file left behind


def test_saving_keeps_what_the_file_had_and_tightens_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text('# my notes\nDATABASE_URL = "sqlite:///x.db"\n\n[connections.old]\nendpoint = "http://127.0.0.1:11434/v1"  # ollama\n')
    path.chmod(0o644)

    save_connection(path, form(name="entra one", auth="entra", api_key=None, model=""))

    text = path.read_text()
    assert "# my notes" in text and "# ollama" in text
    data = tomllib.loads(text)
    assert data["DATABASE_URL"] == "sqlite:///x.db"
    assert data["connections"]["old"] == {"endpoint": "http://127.0.0.1:11434/v1"}
    assert data["connections"]["entra one"] == {"endpoint": "https://res.openai.azure.com/openai/v1/", "auth": "entra"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_lines_for_an_administrator_hold_no_key() -> None:
    lines = admin_lines()

    assert tomllib.loads(lines.replace("<", "").replace(">", ""))["connections"]["my-foundry"]["api_key"] == "API key"
    assert KEY not in lines
