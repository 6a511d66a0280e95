"""Router only: sign-in when configured, shared sidebar widgets, the backend banner, and st.navigation over the pages."""

import streamlit as st

from components import auth
from components.connection import backend_banner, connection_picker
from components.resources import settle_memory

st.set_page_config(page_title="Azure AI Foundry portal", page_icon=":material/hub:", layout="wide")

if auth.sign_in_required():  # [auth] in secrets.toml and nobody signed in: no page, no data, only st.login
    st.navigation([st.Page(auth.sign_in_screen, title="Sign in", icon=":material/login:")]).run()
    st.stop()

pages = [
    st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True),
    st.Page("pages/embeddings.py", title="Embeddings", icon=":material/scatter_plot:"),
    st.Page("pages/model_info.py", title="Model info", icon=":material/info:"),
]
navigation = st.navigation(pages)
auth.account_box()
connection_picker()
backend_banner()
navigation.run()
settle_memory(navigation.title)  # after a page's first run: keeps Streamlit's per-run garbage collection cheap
