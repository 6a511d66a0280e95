"""Files attached in the chat input: each checked; a rejected file gets a clear message, the text still goes."""

from __future__ import annotations

from typing import Any

import streamlit as st

from portal.attachments import AttachmentError, prepare_attachment


def prepare_uploads(files: list[Any], image_detail: str) -> list[dict[str, Any]]:
    parts = []
    for upload in files or []:
        try:
            prepared = prepare_attachment(upload.name, upload.getvalue(), image_detail)
        except AttachmentError as exc:
            st.error(f"Not attached: {exc}")
            continue
        parts.append(prepared.part)
        st.toast(f"Attached {prepared.description}")
    return parts
