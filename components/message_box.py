"""The chat input under the chat page, drawn once per run. Light on purpose (Streamlit and the upload
limits only): the chat page draws a new chat's box before it imports what the rest of the page needs
(the database, the SDK clients), so that on a fresh start the box is on screen, and can be typed in,
while those imports run (benchmark 6). What a sent message does is in components/composer.py."""

from __future__ import annotations

from typing import Any

import streamlit as st

from portal.attachments import AUDIO_TYPES, IMAGE_TYPES, MAX_UPLOAD_BYTES


class MessageBox:
    """The box, drawn early by the page (a new chat), in the composer's fragment (an open conversation)
    or by `composer.read_in_page_run`; what it sent is taken once."""

    def __init__(self) -> None:
        self.drawn = False
        self._sent: Any = None

    def draw(self) -> None:
        self.drawn = True
        with st.bottom:  # pinned under the page, from the page's run or from the fragment
            self._sent = st.chat_input(
                "Message the model",
                submit_mode="stop",
                accept_file="multiple",
                file_type=list(IMAGE_TYPES + AUDIO_TYPES),
                max_upload_size=MAX_UPLOAD_BYTES // (1024 * 1024),
            )

    def take(self) -> Any:
        """What the box sent in this run, once: None afterwards, and when nothing was sent."""
        sent, self._sent = self._sent, None
        return sent
