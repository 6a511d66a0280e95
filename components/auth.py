"""Who is using the app: Streamlit's built-in OpenID Connect sign-in (`st.login`) when secrets.toml has
an `[auth]` section, otherwise a single anonymous user (owner "").

Every conversation and cached embedding is stored under an owner id, and the repository treats
another owner's rows as missing, so the owner id is the whole access-control decision. It is built
from the ID token's issuer and subject (`oidc:<iss>:<sub>`), which OIDC guarantees to be stable and
unique per user; never from the email, which a user can change and some providers let users choose.

`st.user` is read from a cookie that Streamlit signs with `cookie_secret` after its own OIDC code
exchange (Authlib validates the ID token: signature, issuer, audience, nonce), so the claims here
cannot be forged by the browser. With `[auth]` configured, a session that is not signed in has no
owner at all: `current_owner()` raises instead of falling back to the anonymous owner, whose data
(conversations made before sign-in was switched on) must not become readable by everyone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import streamlit as st

from portal.markdown_text import escape_markdown

ANONYMOUS_OWNER = ""
OWNER_PREFIX = "oidc"
MAX_OWNER_LENGTH = 255  # conversations.owner and embedding_cache.owner are String(255)
DEFAULT_PROVIDER = "default"
_PROVIDER_KEYS = ("client_id", "server_metadata_url")


class SignInRequired(RuntimeError):
    """Sign-in is configured but this session has not signed in: there is no owner to act for."""


def _auth_section() -> Mapping[str, Any] | None:
    try:
        section = st.secrets.get("auth")
    except (FileNotFoundError, OSError, st.errors.StreamlitSecretNotFoundError):
        return None
    return section if isinstance(section, Mapping) and section else None


def auth_enabled() -> bool:
    """True when secrets.toml configures sign-in (an `[auth]` section)."""
    return _auth_section() is not None


def providers(section: Mapping[str, Any]) -> list[str]:
    """The providers `st.login` accepts: "default" for a flat `[auth]`, plus every `[auth.<name>]`."""
    named = [
        str(name) for name, value in section.items() if isinstance(value, Mapping) and any(k in value for k in _PROVIDER_KEYS)
    ]
    flat = [DEFAULT_PROVIDER] if any(key in section for key in _PROVIDER_KEYS) else []
    return flat + named


def owner_from_claims(claims: Mapping[str, Any]) -> str:
    """`oidc:<iss>:<sub>` from ID token claims (hashed when longer than the owner column).

    Raises `ValueError` without both claims: every OIDC ID token has them, so their absence means the
    identity is unusable, and guessing (from the email, say) could hand one user another's data.
    """
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not issuer.strip() or not isinstance(subject, str) or not subject.strip():
        raise ValueError("the identity has no issuer (iss) and subject (sub) claims")
    owner = f"{OWNER_PREFIX}:{issuer}:{subject}"
    if len(owner) <= MAX_OWNER_LENGTH:
        return owner
    digest = hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()
    return f"{OWNER_PREFIX}:sha256:{digest}"


def is_signed_in() -> bool:
    return st.user.get("is_logged_in") is True


def current_owner() -> str:
    """The owner every storage call is scoped by: "" without `[auth]`, else the signed-in identity."""
    if not auth_enabled():
        return ANONYMOUS_OWNER
    if not is_signed_in():
        raise SignInRequired("sign in first")
    return owner_from_claims(st.user.to_dict())


def display_name() -> str:
    claims = st.user.to_dict()
    for key in ("name", "email", "preferred_username", "sub"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return "signed in"


def sign_in_required() -> bool:
    """True when the router must show the sign-in screen instead of the pages."""
    return auth_enabled() and not is_signed_in()


def sign_in_screen() -> None:
    """The only page a signed-out visitor gets: one st.login button per configured provider."""
    st.title("Sign in")
    st.write("This portal keeps a private chat history and embeddings cache for each user. Sign in to continue.")
    section = _auth_section() or {}
    names = providers(section)
    if not names:
        st.error("Sign-in is configured (`[auth]` in secrets.toml) but no provider has a `client_id`.")
        return
    for name in names:
        label = "Sign in" if name == DEFAULT_PROVIDER else f"Sign in with {name}"
        if st.button(label, key=f"sign_in_{name}", type="primary", icon=":material/login:"):
            st.login(None if name == DEFAULT_PROVIDER else name)


def account_box() -> None:
    """Sidebar: who is signed in, and the sign-out button. Nothing in single-user mode.

    A signed-in identity without `iss`/`sub` is refused here, before any page runs.
    """
    if not auth_enabled():
        return
    try:
        owner_from_claims(st.user.to_dict())
    except ValueError as exc:
        st.error(f"Your sign-in cannot be used: {exc}. Sign out and try another account.")
        if st.button("Sign out", icon=":material/logout:"):
            st.logout()
        st.stop()
    with st.sidebar:
        name = escape_markdown(display_name())  # from the identity provider: text, never Markdown
        st.caption(f"Signed in as **{name}**")
        if st.button("Sign out", key="sign_out", icon=":material/logout:", width="stretch"):
            st.logout()
