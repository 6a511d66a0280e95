"""Saved embeddings collections in Chromium: save the map's texts under a name, reload the page (a new
session: nothing shown), reopen the collection, and its map is there."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Locator, Page, expect

from tests.browser.chat_ui import EXPANDER, expect_no_exception, wait_until_idle
from tests.streamlit_process import StreamlitApp

CHART = '[data-testid="stPlotlyChart"]'


def _expander(page: Page, title: str) -> Locator:
    return page.locator(EXPANDER).filter(has=page.locator("summary", has_text=title))


def test_a_saved_collection_reopens_after_a_reload(app: StreamlitApp, page: Page) -> None:
    name = f"Browser sample {uuid.uuid4().hex[:8]}"  # the module's app (and database) is shared
    page.goto(f"{app.url}/embeddings")
    expect(page.get_by_role("heading", name="Embeddings", level=1)).to_be_visible()
    wait_until_idle(page)
    page.get_by_role("button", name="Embed", exact=True).click()
    expect(page.locator(CHART).first).to_be_visible(timeout=60_000)
    wait_until_idle(page)

    save = _expander(page, "Save as a collection")
    save.locator("summary").click()
    save.get_by_role("textbox", name="Name").fill(name)
    save.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Saved {name}")).to_be_visible(timeout=30_000)
    wait_until_idle(page)

    page.reload()
    expect(page.get_by_role("heading", name="Embeddings", level=1)).to_be_visible()
    wait_until_idle(page)
    expect(page.locator(CHART)).to_have_count(0)  # a new session shows no map until something is opened
    library = _expander(page, "Saved collections")
    library.locator("summary").click()
    expect(library.get_by_role("combobox", name="Collection")).to_have_value(re.compile(f"^{name} · 11 texts"))  # newest first
    library.get_by_role("button", name="Open on the map").click()

    expect(page.locator(CHART).first).to_be_visible(timeout=60_000)
    expect(page.get_by_text(f"Opened {name}")).to_be_visible()
    expect(page.get_by_text(f"Saved collection {name}")).to_be_visible()
    wait_until_idle(page)
    expect_no_exception(page)


def test_a_100000_point_map_draws_and_answers_hover_and_zoom(app: StreamlitApp, page: Page) -> None:
    # The same steps as benchmark 7 (bench/map_browser.py), asserting what a person sees, not how fast.
    from bench.map_browser import _POINT, box_zoom, hover_point, open_collection, seed_collection

    name = seed_collection(app.data_dir, 100_000)
    page.set_viewport_size({"width": 1280, "height": 900})

    open_collection(page, app.url, name)

    expect(page.get_by_text(f"Opened {name}")).to_be_visible()
    assert page.evaluate(_POINT)["points"] == 100_000  # every point drawn, none sampled away
    _ms, label, _text = hover_point(page)
    assert re.search(r"ticket \d+ about \w+", label), label  # the hovered point's text (and its cluster)
    _ms, before, after = box_zoom(page)
    assert (after[1] - after[0]) < (before[1] - before[0]) / 2  # zoomed in on the dragged box
    wait_until_idle(page)
    expect_no_exception(page)
