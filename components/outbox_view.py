"""The chat page while the database is away: the common notice (database_notice.py) and what waits
in the session's outbox (portal/outbox.py), shown as pending with its text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from portal.chat_service import EmptyMessage, MessageTooLong, clean_user_text
from portal.outbox import Outbox
from portal.safe_markdown import neutralize_links
from storage.errors import DatabaseUnavailable

from .chrome import screen_reader_text
from .database_notice import HEADLINE, show_unreachable
from .message_view import user_text
from .uploads import prepare_uploads

PENDING_MARK = ":material/schedule: pending: not saved yet"


class Submission:
    """What the chat input returned this run; queued in the outbox once, whatever happens next."""

    def __init__(self, submitted: Any):
        self._submitted = submitted
        self.queued = False

    def queue(self, outbox: Outbox, conversation_id: str | None, image_detail: str, folder_id: str | None = None) -> bool:
        """Queue the message once; a new conversation (`conversation_id` None) is created in `folder_id`.
        False when there was nothing to send (the page says why)."""
        if self.queued:
            return False
        self.queued = True
        attachments = prepare_uploads(self._submitted.files, image_detail)
        try:
            text = clean_user_text(self._submitted.text or "", allow_empty=bool(attachments))
        except EmptyMessage as exc:
            st.warning(str(exc))
            if isinstance(exc, MessageTooLong):
                with st.expander("Your message (not sent): copy it to shorten it"):
                    st.code(self._submitted.text, language=None)
            return False
        outbox.queue_message(conversation_id, text, attachments, folder_id)
        return True


def render_pending(outbox: Outbox) -> None:
    """Messages and finished replies not stored yet, with their text, marked as pending."""
    for pending in outbox.messages:
        with st.chat_message("user"):
            screen_reader_text("You said:")
            if pending.text:
                user_text(pending.text)
            names = [str(a.get("name", "attachment")) for a in pending.attachments]
            if names:
                st.caption("Attached: " + ", ".join(names))
            st.caption(PENDING_MARK)
    for reply in outbox.replies:
        with st.chat_message("assistant"):
            if reply.fields.get("content"):
                st.markdown(neutralize_links(reply.fields["content"]))
            st.caption(PENDING_MARK + " (the reply arrived; it is saved when the database answers)")


def database_unreachable(outbox: Outbox, error: DatabaseUnavailable, ping: Callable[[], None]) -> None:
    st.sidebar.warning(f"**{HEADLINE}** Your conversations are listed again as soon as it answers.", icon=":material/cloud_off:")
    show_unreachable(
        error,
        "The chat history cannot be read or saved right now. What you send is kept on this page as pending, "
        "and is saved (then answered) as soon as the database answers again.",
        ping,
        between=lambda: render_pending(outbox),
    )
