"""Reference for benchmark 3: the smallest Streamlit page, to show what any Streamlit app costs to open.

Its page open (a fresh browser context loading Streamlit's frontend, connecting its websocket and
drawing one line) is the floor under the portal's figure on the same machine in the same run.

Run: streamlit run bench/baseline_empty_app.py
"""

import streamlit as st

st.write("empty-page-ready")
