"""A share link in the URL (`?share=<token>`), and keeping it across sign-in. Light on purpose: the
router calls these on every run, before any page, and imports the read-only view
(components/share_view.py, which needs the database) only when a link is opened."""

from __future__ import annotations

import json
import re

import streamlit as st

from . import auth, state

_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,128}")
_PENDING = "portal_pending_share"  # sessionStorage key: a link opened before signing in


def requested_token() -> str | None:
    return st.query_params.get(state.SHARE_QUERY_PARAM)


# -- back to a link after signing in ------------------------------------------------------------------------


def remember_for_sign_in(token: str) -> None:
    """On the sign-in screen of a link: keep the token in this tab (sessionStorage), because Streamlit
    brings the browser back to the app's home page after sign-in."""
    if not _TOKEN.fullmatch(token):
        return
    st.html(
        '<span class="portal-sr-only" aria-hidden="true">link kept</span>'
        f"<script>window.sessionStorage.setItem({json.dumps(_PENDING)}, {json.dumps(token)});</script>",
        unsafe_allow_javascript=True,
    )


def resume_after_sign_in() -> None:
    """Once per session when sign-in is on: a link opened before signing in is opened now."""
    if not auth.auth_enabled() or st.session_state.get(state.SHARE_RESUME_CHECKED):
        return
    st.session_state[state.SHARE_RESUME_CHECKED] = True
    script = f"""<span class="portal-sr-only" aria-hidden="true">link check</span><script>(() => {{
      const token = window.sessionStorage.getItem({json.dumps(_PENDING)});
      if (!token) return;
      window.sessionStorage.removeItem({json.dumps(_PENDING)});
      const url = new URL(window.location.href);
      if (url.searchParams.get({json.dumps(state.SHARE_QUERY_PARAM)})) return;
      url.search = "";
      url.searchParams.set({json.dumps(state.SHARE_QUERY_PARAM)}, token);
      window.location.replace(url.toString());
    }})();</script>"""
    st.html(script, unsafe_allow_javascript=True)
