"""The embeddings page on the offline demo in Chromium: the honest notice above the results, and
a finished run that leaves its map and exports but no live controls, and two models compared."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from components.embedding_inputs import MODEL_LABEL
from localserver.sentence_model import minilm_available
from portal.embedding_explorer import LEXICAL_OFFLINE_MODEL
from tests.browser.chat_ui import EXPANDER, SIDEBAR, expect_no_exception, pick_option, seed_conversation, wait_until_idle
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


def _seed_long_conversation(app: StreamlitApp) -> str:
    """A 60-message conversation in the app's own database, one early message about a zebra crossing."""
    contents = ["the zebra crossing on elm street needs new paint" if index == 4 else f"note {index} about budgets and meetings" for index in range(60)]
    return seed_conversation(app.data_dir, "Town planning notes", contents)


def test_a_point_from_chat_history_opens_its_conversation_at_that_message(app: StreamlitApp, page: Page) -> None:
    page.goto(app.url)  # the first run creates and migrates the database
    wait_until_idle(page)
    conversation_id = _seed_long_conversation(app)
    page.goto(f"{app.url}/embeddings")
    wait_until_idle(page)
    page.get_by_text("Chat history", exact=True).click()
    conversations = page.get_by_role("combobox", name="Conversations")
    pick_option(page, conversations, page.get_by_role("option", name=re.compile("Town planning notes")))
    page.keyboard.press("Escape")  # close the option list (it stays open for more picks)
    wait_until_idle(page)
    page.get_by_role("button", name="Embed", exact=True).click()
    chart = page.locator(CHART).first
    expect(chart).to_be_visible(timeout=60_000)
    wait_until_idle(page)
    expect(page.get_by_text("click a point to open its conversation")).to_be_visible()

    # The query's nearest neighbour is ringed on the map; click it.
    top_k = page.get_by_role("spinbutton", name="Top k")
    search = page.get_by_role("textbox", name="Search (nearest neighbours of a query)")
    for _ in range(3):  # text typed while the previous run is still being drawn can be drawn over
        wait_until_idle(page)
        top_k.fill("1")
        top_k.press("Enter")
        wait_until_idle(page)
        search.fill("zebra crossing")
        search.press("Enter")
        wait_until_idle(page)
        if search.input_value() == "zebra crossing" and top_k.input_value() == "1":
            break
    ring = chart.locator(".scatterlayer .trace").last.locator("path.point")
    expect(ring).to_have_count(1)
    selected = page.get_by_text(re.compile(r"^Selected: the zebra crossing on elm street"))
    for _ in range(3):  # a click that lands while the chart is still being drawn is not a selection
        wait_until_idle(page)
        ring.click(force=True)
        try:
            expect(selected).to_be_visible(timeout=10_000)
            break
        except AssertionError:
            continue
    expect(selected).to_be_visible()
    link = page.get_by_role("link", name="Open its conversation")
    expect(link).to_have_attribute("href", re.compile(rf"\?c={conversation_id}&m=\d+$"))
    with page.context.expect_page() as new_tab:  # a new tab: the map stays where it was
        link.click()
    chat = new_tab.value

    expect(chat).to_have_url(re.compile(rf"\?c={conversation_id}$"))  # the message id is taken off the URL
    opened = chat.locator('[data-testid="stChatMessage"]:has(.portal-target)')
    expect(opened).to_have_count(1)
    expect(opened).to_contain_text("the zebra crossing on elm street needs new paint")
    expect(opened).to_be_in_viewport()  # 56 messages below it, and it is scrolled to
    expect_no_exception(chat)


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
    expect(page.locator(CHART)).to_have_count(5)  # the map, the heatmap, the overlap histogram and the two models' maps
    expect(page.get_by_text("Where the models disagree most")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect_no_exception(page)
