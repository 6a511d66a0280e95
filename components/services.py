"""Per-session domain services built from the cached resources (cheap; never cached themselves)."""

from __future__ import annotations

from portal.chat_service import ChatService
from portal.settings import Connection
from portal.shares import Shares

from . import auth, resources

ANONYMOUS_OWNER = auth.ANONYMOUS_OWNER


def current_owner() -> str:
    """The owner every storage call is scoped by: "" in single-user mode, else `oidc:<iss>:<sub>` of
    the signed-in user (see components/auth.py; raises `auth.SignInRequired` when signed out)."""
    return auth.current_owner()


def chat_service(connection: Connection | None = None) -> ChatService:
    """The chat service on `connection` (default: the one picked in the sidebar)."""
    settings = resources.get_settings()
    return ChatService(
        resources.get_sessionmaker(),
        resources.get_backend(connection),
        owner=current_owner(),
        context_budget_tokens=settings.context_budget_tokens,
    )


def shares() -> Shares:
    """Share links for the current user: theirs to make and revoke, any link they hold to open or copy."""
    return Shares(resources.get_sessionmaker(), owner=current_owner())
