"""Connecting a real model from the page ("Connect your model"): who may, the test call, the saved file.

Why this module exists: a new user on the offline demo should get to their own deployment without
reading docs, but a form that points the server at any URL is a server-side request forgery hole on a
shared instance. So the form is offered only where the person at the page is the person who runs the
app: the app listens on the loopback interface only and nobody signs in (the README's quick start),
or an administrator named in `PORTAL_ADMINS` is signed in, or `PORTAL_CONNECT_FORM = "on"` says so.
Everyone else gets the exact lines for an administrator to add to secrets.toml.

A saved connection goes to `.streamlit/secrets.toml` as `[connections.<name>]`, written atomically
with owner-only permissions (0600). The key is never stored anywhere else, never logged, and never
shown back. No streamlit here.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .inference.credentials import AUTH_ENTRA, AUTH_KEY, AUTH_NONE
from .settings import ConfigError, Connection, Secret, build_connection

CONNECT_FORM_MODES = ("auto", "on", "off")
AUTH_CHOICES = (AUTH_KEY, AUTH_ENTRA, AUTH_NONE)
EXAMPLE_ENDPOINT = "https://<resource>.openai.azure.com/openai/v1/"


@dataclass(frozen=True)
class Permission:
    allowed: bool
    reason: str  # why (shown when the form is not offered)


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost"; False for "" / None (every interface) and the rest."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def may_connect(*, mode: str, listen_address: str | None, sign_in: bool, owner: str, admins: tuple[str, ...]) -> Permission:
    """Whether this person may use the form (see the module docstring)."""
    if mode == "off":
        return Permission(False, "The connect form is switched off (PORTAL_CONNECT_FORM = \"off\").")
    if sign_in:
        if owner and owner in admins:
            return Permission(True, "You are an administrator (PORTAL_ADMINS).")
        return Permission(False, "Only administrators named in PORTAL_ADMINS may add connections on a shared portal.")
    if mode == "on":
        return Permission(True, "PORTAL_CONNECT_FORM = \"on\".")
    if is_loopback(listen_address):
        return Permission(True, "The app listens on this machine only.")
    return Permission(
        False,
        "This app is reachable from other machines, so anyone who can open it could point the server at any URL. "
        "An administrator adds connections in .streamlit/secrets.toml instead.",
    )


@dataclass(frozen=True)
class ConnectForm:
    name: str
    endpoint: str
    auth: str  # key, entra or none
    api_key: Secret | None
    model: str

    def raw(self) -> dict[str, Any]:
        """The connection's secrets.toml table (the key revealed only here, for the file)."""
        raw: dict[str, Any] = {"endpoint": self.endpoint.strip()}
        if self.auth == AUTH_KEY and self.api_key:
            raw["api_key"] = self.api_key.reveal()
        else:
            raw["auth"] = self.auth
        if self.model.strip():
            raw["chat_model"] = self.model.strip()
        return raw


def connection_from_form(form: ConnectForm, existing: tuple[str, ...] = ()) -> Connection:
    """Validate the form as settings.py validates secrets.toml; ConfigError says what to fix."""
    name = form.name.strip()
    if not name:
        raise ConfigError("Give the connection a name (it appears in the connection picker).")
    if len(name) > 60 or any(ch in name for ch in "\"\n\r\t[]."):
        raise ConfigError("Use a short name without quotes, brackets, dots or line breaks.")
    if name in existing:
        raise ConfigError(f"A connection named '{name}' already exists; choose another name.")
    if form.auth not in AUTH_CHOICES:
        raise ConfigError("Choose how to sign in: API key, Entra ID or none.")
    if form.auth == AUTH_KEY and not form.api_key:
        raise ConfigError("Paste the API key, or choose Entra ID.")
    return build_connection(name, form.raw())


def save_connection(path: Path, form: ConnectForm) -> None:
    """Add `[connections.<name>]` to secrets.toml, keeping what is there (comments included).

    Written to a temporary file in the same directory (0600) and renamed over the old one, so a crash
    never leaves half a file and the key is never readable by other users, even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    import tomlkit  # here: only saving a connection needs it, and it costs the first page 0.1-0.2 s

    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    connections = document.get("connections")
    if connections is None:
        connections = tomlkit.table(is_super_table=True)
        document["connections"] = connections
    table = tomlkit.table()
    for key, value in form.raw().items():
        table[key] = value
    connections[form.name.strip()] = table
    descriptor, temporary = tempfile.mkstemp(prefix=".secrets-", suffix=".toml", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(document))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def admin_lines(name: str = "my-foundry", endpoint: str = EXAMPLE_ENDPOINT, model: str = "<deployment name>") -> str:
    """What an administrator adds to .streamlit/secrets.toml (placeholders, never a real key)."""
    return (
        f"[connections.{name}]\n"
        f'endpoint = "{endpoint}"\n'
        'api_key = "<API key>"      # or: auth = "entra"  (Entra ID through DefaultAzureCredential)\n'
        f'chat_model = "{model}"\n'
    )
