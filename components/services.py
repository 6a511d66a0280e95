"""Per-session domain services built from the cached resources (cheap; never cached themselves)."""

from __future__ import annotations

from portal.chat_service import ChatService

from . import resources

ANONYMOUS_OWNER = ""


def current_owner() -> str:
    return ANONYMOUS_OWNER


def chat_service() -> ChatService:
    settings = resources.get_settings()
    return ChatService(
        resources.get_sessionmaker(),
        resources.get_backend(),
        owner=current_owner(),
        context_budget_tokens=settings.context_budget_tokens,
    )
