"""What every page gets besides its content: the local favicon, the style rules and the page script
(components/assets), all served by this app: nothing is fetched from another host."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).parent / "assets"
FAVICON = ASSETS / "favicon.png"


@cache
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def page_chrome() -> None:
    """The style rules (sent to Streamlit's event container: no room taken) and the page script (in an
    element that takes no room); the script installs itself once per browser tab."""
    st.html(f"<style>{_asset('portal.css')}</style>")
    st.html(f'<span class="portal-sr-only">page script</span><script>{_asset("portal.js")}</script>', unsafe_allow_javascript=True)


def screen_reader_text(text: str) -> None:
    """Text only a screen reader announces (e.g. who wrote a message); `text` must be trusted."""
    st.html(f'<span class="portal-sr-only">{text}</span>')
