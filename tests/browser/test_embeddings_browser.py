"""The embeddings page on the offline demo in Chromium: the honest notice above the results, and
a finished run that leaves its map and exports but no live controls, and two models compared."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from components.embedding_inputs import MODEL_LABEL
from localserver.sentence_model import minilm_available
from portal.embedding_explorer import LEXICAL_OFFLINE_MODEL
from tests.browser.chat_ui import EXPANDER, SIDEBAR, expect_no_exception, pick_option, wait_until_idle
from tests.streamlit_process import StreamlitApp

NOTICE = '[data-testid="stAlertContentInfo"]'
CHART = '[data-testid="stPlotlyChart"]'


def _use_the_lexical_model(page: Page) -> None:
    """With the optional extra the demo defaults to all-MiniLM-L6-v2; pick `local-embed` (without it,
    `local-embed` is already the one model)."""
    options = page.locator(SIDEBAR).locator(EXPANDER).filter(has_text="Embedding options")
    options.get_by_text("Embedding options").click()
    if minilm_available():  # the offline server lists both models
        box = options.get_by_role("combobox", name=MODEL_LABEL)
        pick_option(page, box, page.get_by_role("option", name=LEXICAL_OFFLINE_MODEL, exact=True))
        expect(box).to_have_value(LEXICAL_OFFLINE_MODEL)
    else:
        expect(options.get_by_role("textbox", name=MODEL_LABEL)).to_have_value(LEXICAL_OFFLINE_MODEL)
    wait_until_idle(page)


def test_the_offline_demo_says_local_embed_matches_words_above_the_map(app: StreamlitApp, page: Page) -> None:
    page.goto(f"{app.url}/embeddings")
    expect(page.get_by_role("heading", name="Embeddings", level=1)).to_be_visible()
    wait_until_idle(page)
    _use_the_lexical_model(page)

    notice = page.locator(NOTICE).filter(has_text="matches words, not meaning")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("python3 dev.py extra")
    page.get_by_role("button", name="Embed", exact=True).click()
    chart = page.locator(CHART).first
    expect(chart).to_be_visible(timeout=60_000)
    wait_until_idle(page)

    expect(notice).to_be_visible()
    summary = page.get_by_text(re.compile(r"^Embedded \d+ texts"))
    expect(summary).to_be_visible()
    assert notice.bounding_box()["y"] < summary.bounding_box()["y"] < chart.bounding_box()["y"]  # above the results
    expect(page.locator('[data-testid="stProgress"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.get_by_role("button", name="Points CSV")).to_be_visible()
    expect_no_exception(page)


def test_comparing_two_models_shows_the_share_the_histogram_and_the_disagreements(app: StreamlitApp, page: Page) -> None:
    """With the extra, the demo embeds with all-MiniLM-L6-v2 and the second model offered is `local-embed`."""
    page.goto(f"{app.url}/embeddings")
    expect(page.get_by_role("heading", name="Embeddings", level=1)).to_be_visible()
    wait_until_idle(page)
    page.get_by_role("button", name="Embed", exact=True).click()
    expect(page.locator(CHART).first).to_be_visible(timeout=60_000)
    wait_until_idle(page)

    expect(page.get_by_role("combobox", name="Second model")).to_have_value(LEXICAL_OFFLINE_MODEL)
    page.get_by_role("button", name="Compare models").click()

    caption = page.get_by_text(re.compile(r"^\d+ % of neighbours shared at k = 3: A is .+, B is local-embed, over 11 texts\.$"))
    expect(caption).to_be_visible(timeout=60_000)
    wait_until_idle(page)
    expect(page.locator(CHART)).to_have_count(3)  # the map, the heatmap and the overlap histogram
    expect(page.get_by_text("Where the models disagree most")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect_no_exception(page)
