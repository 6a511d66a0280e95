"""Make sure a page always runs under the router, even when a session opens a page URL first.

Streamlit treats a `pages/` folder next to the entry script as an old-style (v1) multipage app until
some session runs `st.navigation` (PagesManager.uses_pages_directory is process-wide and only reset
by st.navigation). Until then a direct link such as /model_info runs the page file alone: no
connection picker, no offline banner, a different sidebar. Our `pages/` holds st.Page files for
st.navigation, so a page that finds itself run that way switches the flag off and reruns through the
router. (This touches a private Streamlit attribute; tests/browser cover it.)
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_router() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
