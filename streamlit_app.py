"""Router only: sign-in when configured, a share link's read-only view, shared sidebar widgets, the backend
banner, and st.navigation over the pages."""

import streamlit as st
import streamlit.delta_generator

from components import auth, notices, share_link
from components.chrome import FAVICON, page_chrome
from components.connection import backend_banner, connection_picker
from components.resources import settle_memory

# Streamlit checks once per process, at the first element, whether it runs in a REPL, with
# inspect.stack(): that resolves the source file of every loaded module (0.3-0.5 s here, inside the
# first page a new process serves, benchmark 6). This file only ever runs under `streamlit run`.
streamlit.delta_generator._use_warning_has_been_displayed = True

# A local favicon: a Material icon or emoji here would be fetched from a font CDN (nothing may be).
st.set_page_config(page_title="Azure AI Foundry portal", page_icon=str(FAVICON), layout="wide")
page_chrome()

share_token = share_link.requested_token()
if auth.sign_in_required():  # [auth] in secrets.toml and nobody signed in: no page, no data, only st.login
    if share_token:
        share_link.remember_for_sign_in(share_token)  # opened again once signed in
    st.navigation([st.Page(auth.sign_in_screen, title="Sign in", icon=":material/login:")]).run()
    st.stop()
share_link.resume_after_sign_in()

if share_token is not None:  # ?share=<token>: the read-only view only (no connection picker, banner or chat)
    from components import share_view  # the database and the message view: imported only for a link

    shared = st.navigation([st.Page(share_view.shared_page, title="Shared conversation", icon=":material/share:")])
    notices.start_run()
    auth.account_box()
    notices.show_remembered()
    shared.run()
    st.stop()

pages = [
    st.Page("app_pages/chat.py", title="Chat", icon=":material/chat:", default=True),
    st.Page("app_pages/embeddings.py", title="Embeddings", icon=":material/scatter_plot:"),
    st.Page("app_pages/model_info.py", title="Model info", icon=":material/info:"),
]
navigation = st.navigation(pages)
notices.start_run()
auth.account_box()
connection_picker()
backend_banner()
notices.show_remembered()
navigation.run()
settle_memory(navigation.title)  # after a page's first run: keeps Streamlit's per-run garbage collection cheap
