"""Chat: streaming replies with persisted history. The page draws a new chat's message box first and only
then imports the rest of the page (components/chat_page.py: the database, the SDK clients), so that on
a fresh start the box is on screen, and can be typed in, while those imports and the database's
creation run (benchmark 6)."""

import streamlit as st

from components import state
from components.conversation_nav import requested_conversation_id
from components.message_box import MessageBox

# Clicked by the page script once a stopped run has ended: that rerun draws the final state (drawn
# first, so that it is on the page whatever the stopped run reached). Also once the page has
# reconnected to a restarted server, whose new session must run the page before the message box
# (a fragment) can send.
st.button("Show the stopped reply", key=state.AFTER_STOP)
box = MessageBox()
if requested_conversation_id() is None:
    box.draw()  # a new chat's box; an open conversation's is drawn under its messages, in a fragment

from components.chat_page import show_page  # noqa: E402 - imported once the box is on its way to the browser

show_page(box)
