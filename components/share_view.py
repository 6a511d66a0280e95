"""Share links in the page: the Share dialog (make a live or snapshot link, list and revoke yours), the
read-only view a link opens (`?share=<token>`) and its 404 page. The link in the URL, and the way back
to it after sign-in, are in components/share_link.py.

The view draws the messages with the chat's own message view, without any action row, chat input,
settings, connection picker or banner: a link shows only what portal/shares.py projects from the
messages. Streamlit decides the HTTP status of the page (200), so an unknown or revoked link is a page
that says 404, not an HTTP 404.
"""

from __future__ import annotations

import streamlit as st

from portal.markdown_text import escape_markdown
from portal.shares import LIVE, SNAPSHOT, SharedConversation, Shares
from portal.turns import group_turns
from storage.database import database_errors
from storage.errors import ConversationNotFound, DatabaseUnavailable
from storage.records import ConversationRecord

from . import auth, notices, services, state
from .conversation_nav import open_conversation
from .message_view import render_turn
from .share_link import requested_token

TAIL_MESSAGES = 40
MORE_STEP = 50
NOT_FOUND = "404 — this link does not exist or was revoked"
MODE_LABELS = {
    LIVE: "Live: the conversation as it is whenever the link is opened",
    SNAPSHOT: "Snapshot: the conversation as it is now; later messages are not shown",
}


def _shares() -> Shares:
    with database_errors():  # the first use creates and migrates the database
        return services.shares()


def share_url(token: str) -> str:
    """The link for `token`, on the URL the user has the app open at (relative when it is unknown)."""
    base = (st.context.url or "").split("?", 1)[0].rstrip("/")
    return f"{base}/?{state.SHARE_QUERY_PARAM}={token}"


# -- the Share dialog (from a conversation's menu) ------------------------------------------------------


def _forget_share() -> None:
    st.session_state.pop(state.SHARING, None)
    st.session_state.pop(state.SHARE_LINK, None)


def _who() -> str:
    return "anyone signed in to this portal who has the link" if auth.auth_enabled() else "anyone who can open this portal and has the link"


@st.dialog("Share this conversation", on_dismiss=_forget_share)
def share_dialog(target: ConversationRecord) -> None:
    shares = _shares()
    st.write(
        f"“{escape_markdown(target.title)}” can be read, never changed, by {_who()}. They can continue it as a "
        "copy of their own. Your settings, model, connection and keys are never shown."
    )
    mode = st.radio("What the link shows", [LIVE, SNAPSHOT], format_func=MODE_LABELS.__getitem__, key="share_mode")
    if st.button("Create link", type="primary", icon=":material/link:", key="share_create"):
        try:
            made = shares.create(target.id, mode)
        except ConversationNotFound:
            st.error("This conversation no longer exists.")
            return
        st.session_state[state.SHARE_LINK] = (target.id, share_url(made.token))
    made_link = st.session_state.get(state.SHARE_LINK)
    if made_link and made_link[0] == target.id:
        st.code(made_link[1], language=None, wrap_lines=True)
        st.caption("Copy the link now: only a fingerprint of it is stored, so it cannot be shown again.")
    _my_links(shares, target)
    if st.button("Done", key="share_done"):
        _forget_share()
        st.rerun()


def _my_links(shares: Shares, target: ConversationRecord) -> None:
    mine = shares.list()
    st.markdown("**Your share links**")
    if not mine:
        st.caption("None yet.")
    for share in mine:
        with st.container(horizontal=True, vertical_alignment="center", key=f"share_row_{share.id[:16]}"):
            here = " (this conversation)" if share.conversation_id == target.id else ""
            when = share.created_at.strftime("%Y-%m-%d %H:%M UTC")
            st.caption(f"“{escape_markdown(share.title)}”{here} · {share.mode} · made {when}", width="stretch")
            if st.button("Revoke", key=f"revoke_{share.id[:16]}", icon=":material/link_off:", help="The link stops working at once"):
                shares.revoke(share.id)
                st.rerun()


# -- the view a link opens --------------------------------------------------------------------------------


def _leave() -> None:
    st.query_params.pop(state.SHARE_QUERY_PARAM, None)
    st.session_state.pop(state.SHARED_SHOWN, None)


def not_found() -> None:
    st.markdown(f"# {NOT_FOUND}")
    st.write("Ask whoever sent it for a new link.")
    st.button("Open the portal", icon=":material/home:", key="shared_home", on_click=_leave)


def _continue_as_copy(token: str) -> None:
    try:
        copy = _shares().copy(token)
    except DatabaseUnavailable:
        notices.remember("Database unreachable: the copy was not made. Try again in a moment.")
        return
    if copy is None:
        return  # revoked meanwhile: the run that follows shows the 404 page
    _leave()
    open_conversation(copy.id)


def shared_page() -> None:
    """The page for `?share=<token>`: the conversation read-only, or the 404 page."""
    token = requested_token() or ""
    limit = st.session_state.get(state.SHARED_SHOWN, TAIL_MESSAGES)
    try:
        shared = _shares().open(token, limit=limit)
    except DatabaseUnavailable:
        st.error("Database unreachable. Reload the page in a moment.", icon=":material/cloud_off:")
        return
    if shared is None:
        not_found()
        return
    _shared_header(shared, token)
    if shared.total > len(shared.messages) and st.button(
        f"Show earlier messages ({shared.total - len(shared.messages)} hidden)", icon=":material/expand_less:"
    ):
        st.session_state[state.SHARED_SHOWN] = limit + MORE_STEP
        st.rerun()
    for turn in group_turns(shared.messages):
        render_turn(turn, None)  # no actions: no edit, regenerate or branch switch
    if not shared.messages:
        st.caption("This conversation has no messages yet.")


def _shared_header(shared: SharedConversation, token: str) -> None:
    with st.container(horizontal=True, key="shared_header", vertical_alignment="center", gap="small"):
        st.markdown(f"# {escape_markdown(shared.title)}", width="stretch")
        st.button("Continue as a copy", type="primary", icon=":material/content_copy:", key="shared_copy", on_click=_continue_as_copy, args=(token,))
        st.button("Open the portal", icon=":material/home:", key="shared_home", on_click=_leave)
    if shared.live:
        said = "Shared conversation, read-only · live: as it is now"
    else:
        said = f"Shared conversation, read-only · snapshot of {shared.shared_at.strftime('%Y-%m-%d %H:%M UTC')}"
    st.caption(said + " · **Continue as a copy** to reply in a conversation of your own.")
