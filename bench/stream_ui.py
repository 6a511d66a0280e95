"""Benchmark 2: a 2,000-word reply in Chromium, from the server's last chunk to the last word on screen.

Both the portal and the baseline (Streamlit's tutorial chat app, `bench/baseline_chat_app.py`) talk
to one local server started here, so the server's own record of each request says when its last
content chunk was written (`RequestRecord.timing.last_token_at`, wall clock). In the page a
MutationObserver notes `Date.now()` the first time the newest chat message holds all 2,000 words
(same machine, same clock). The delay is the difference. Runs alternate between the two apps so
that machine noise hits both alike; figures are medians of 9 runs each, with their spread.
"""

from __future__ import annotations

import time

from localserver import ServerConfig, start

from .apps import BASELINE_CHAT, PORTAL, App
from .browser import launch_browser
from .common import Result, median, spread, wait_until_idle

WORDS = 2_000
REPEATS = 9  # per app and speed; medians of 3 were within noise of the baseline
PACED_WORDS_PER_SECOND = 200
PACED_TARGET_MS = 150.0
INPUT = '[data-testid="stChatInputTextArea"]'

# Counts the words of the newest chat message after every DOM change; records when it first holds
# `words` words. Installed after the page is ready, so only the reply's own rendering is observed.
OBSERVER = """
(words) => {
  window.__lastWordAt = null;
  window.__firstWordAt = null;
  const latest = () => {
    const messages = document.querySelectorAll('[data-testid="stChatMessage"]');
    return messages.length ? messages[messages.length - 1] : null;
  };
  const baseline = latest();
  const observer = new MutationObserver(() => {
    const message = latest();
    if (!message || message === baseline) return;
    const text = Array.from(message.querySelectorAll('[data-testid="stMarkdownContainer"]')).map(e => e.textContent).join(' ');
    if (text.length < words) return;  // cheap early exit: every word has at least one character
    const count = text.split(/\\s+/).filter(Boolean).length;
    if (window.__firstWordAt === null && count > 0) window.__firstWordAt = Date.now();
    if (count >= words) { window.__lastWordAt = Date.now(); observer.disconnect(); }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""


def one_reply(browser, app: App, server, words: int, words_per_second: int, timeout_s: float) -> dict:
    wait_until_idle()
    page = browser.new_page()
    try:
        page.goto(app.url)
        page.locator(INPUT).wait_for(state="visible", timeout=60_000)
        time.sleep(0.3)  # let the first script run settle
        page.evaluate(OBSERVER, words)
        before = len(server.state.requests)
        page.locator(INPUT).fill(f"benchmark /long {words} /slow {words_per_second}")
        page.locator(INPUT).press("Enter")
        page.wait_for_function("window.__lastWordAt !== null", timeout=timeout_s * 1000, polling=100)
        last_word_at = page.evaluate("window.__lastWordAt") / 1000
        records = [r for r in list(server.state.requests)[before:] if r.operation == "chat" and r.timing is not None]
        if not records or records[-1].timing.last_token_at is None:
            raise RuntimeError("the server did not record the streamed reply")
        timing = records[-1].timing
        return {
            "delay_ms": (last_word_at - timing.last_token_at) * 1000,
            "server_stream_ms": (timing.last_token_at - timing.first_token_at) * 1000,
            "tokens": timing.tokens,
        }
    finally:
        page.close()


def run(quick: bool = False) -> list[Result]:
    words, repeats = (WORDS, REPEATS) if not quick else (200, 1)
    server = start(config=ServerConfig(words_per_second=0))
    runs: dict[tuple[str, str], list[dict]] = {}
    try:
        with (
            App(PORTAL, endpoint=server.url) as portal,
            App(BASELINE_CHAT, endpoint=server.url) as baseline,
            launch_browser() as browser,
        ):
            apps = {"portal": portal, "baseline": baseline}
            for app in apps.values():  # warm up: imports, first script run, SDK connection
                one_reply(browser, app, server, words, 0, 60)
            for speed, label in ((PACED_WORDS_PER_SECOND, "paced"), (0, "full")):
                timeout = words / speed * 3 + 30 if speed else 60
                for _ in range(repeats):
                    for name, app in apps.items():
                        runs.setdefault((label, name), []).append(one_reply(browser, app, server, words, speed, timeout))
    finally:
        server.stop()

    def delays(label: str, name: str) -> list[float]:
        return [r["delay_ms"] for r in runs[(label, name)]]

    def delay(label: str, name: str) -> float:
        return median(delays(label, name))

    paced, paced_base = delay("paced", "portal"), delay("paced", "baseline")
    full, full_base = delay("full", "portal"), delay("full", "baseline")
    extra = {f"{label}/{name}": values for (label, name), values in runs.items()}
    return [
        Result(
            2,
            f"{words:,}-word reply at {PACED_WORDS_PER_SECOND} words/s: server's last chunk to last word visible",
            paced,
            "ms",
            f"≤ {PACED_TARGET_MS:g} ms",
            paced <= PACED_TARGET_MS,
            baseline=paced_base,
            ratio=paced / paced_base if paced_base > 0 else None,
            note=f"median of {repeats}",
            extra=extra,
            spread=spread(delays("paced", "portal"), delays("paced", "baseline")),
        ),
        Result(
            2,
            f"{words:,}-word reply at full speed: server's last chunk to last word visible",
            full,
            "ms",
            "≤ baseline (tutorial app)",
            full <= full_base,
            baseline=full_base,
            ratio=full / full_base if full_base > 0 else None,
            note=f"median of {repeats}",
            spread=spread(delays("full", "portal"), delays("full", "baseline")),
        ),
    ]
