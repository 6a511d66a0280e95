"""Files attached in the chat input: each checked; a rejected file gets a clear message, the text still goes.

The page reruns when the reply has streamed, which clears what this run drew; so a refusal is also
remembered for the next run (components/notices.py), next to the error shown while it streams.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from portal.attachments import AttachmentError, prepare_attachment

from . import notices


def prepare_uploads(files: list[Any], image_detail: str) -> list[dict[str, Any]]:
    parts = []
    for upload in files or []:
        try:
            prepared = prepare_attachment(upload.name, upload.getvalue(), image_detail)
        except AttachmentError as exc:
            st.error(f"Not attached: {exc}")
            notices.remember(f"Not attached: {exc} Your text was sent without it.")
            continue
        parts.append(prepared.part)
        st.toast(f"Attached {prepared.description}")
    return parts
