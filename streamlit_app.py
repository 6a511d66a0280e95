"""Router only: shared sidebar widgets, the backend banner, and st.navigation over the pages."""

import streamlit as st

from components.connection import backend_banner, connection_picker

st.set_page_config(page_title="Azure AI Foundry portal", page_icon=":material/hub:", layout="wide")

pages = [
    st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True),
    st.Page("pages/embeddings.py", title="Embeddings", icon=":material/scatter_plot:"),
    st.Page("pages/model_info.py", title="Model info", icon=":material/info:"),
]
navigation = st.navigation(pages)
connection_picker()
backend_banner()
navigation.run()
