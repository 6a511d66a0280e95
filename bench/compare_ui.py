"""Benchmark 8: compare mode in Chromium, 4 targets each streaming at 200 words/s.

The portal talks to one local server started here. Each target's system prompt asks for a reply of
its own length (`/long N+i`, read by the local server from the system message), so the server's
record of each request (its token count) says which column it fed, and when its last content chunk
left (`RequestRecord.timing.last_token_at`, wall clock). In the page a poller notes `Date.now()` the
first time each column holds all its words. Row 1: the slowest column's delay from its server's last
chunk to its last word visible, median over the runs (target ≤ 250 ms). Row 2: the app process's
CPU time (user + system, from /proc) per streamed chunk during a compare round, against the same
app streaming one reply of the same length (bench 2's case); target ≤ 1.5x.
"""

from __future__ import annotations

import os
from pathlib import Path

from localserver import ServerConfig, start
from portal.chat_settings import ChatSettings
from portal.compare import CompareSetup, Target
from storage import repository
from storage.engine import default_database_url, make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head

from .apps import PORTAL, App
from .browser import launch_browser
from .common import Result, median, spread, wait_until_idle

WORDS = 400
TARGETS = 4
REPEATS = 5
WORDS_PER_SECOND = 200
DELAY_TARGET_MS = 250.0
CPU_RATIO_TARGET = 1.5
CONNECTION = "Default"  # AZURE_INFERENCE_NAME's default: the connection the bench's endpoint becomes
INPUT = '[data-testid="stChatInputTextArea"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# Polls every column (or the newest chat message when `columns` is 0) and notes when its longest
# Markdown block first holds its expected number of words.
POLLER = """
([columns, words]) => {
  window.__doneAt = {};
  const count = (el) => el.textContent.split(/\\s+/).filter(Boolean).length;
  const longest = (root) => Math.max(0, ...Array.from(root.querySelectorAll('[data-testid="stMarkdownContainer"]')).map(count));
  const baseline = document.querySelectorAll('[data-testid="stChatMessage"]').length;
  window.__poll = setInterval(() => {
    if (columns === 0) {
      const messages = document.querySelectorAll('[data-testid="stChatMessage"]');
      if (messages.length > baseline && !(0 in window.__doneAt) && longest(messages[messages.length - 1]) >= words[0]) window.__doneAt[0] = Date.now();
      return;
    }
    for (let i = 0; i < columns; i++) {
      const column = document.querySelector(`.st-key-compare_col_${i}`);
      if (column && !(i in window.__doneAt) && longest(column) >= words[i]) window.__doneAt[i] = Date.now();
    }
  }, 5);
}
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def seed(data_dir: Path, count: int, compare: bool, words: int) -> list[str]:
    engine = make_engine(default_database_url(data_dir))
    upgrade_to_head(engine)
    sessions = make_sessionmaker(engine)
    setup = CompareSetup(compare, tuple(Target(CONNECTION, system_prompt=f"/long {words + i}") for i in range(TARGETS)))
    ids = []
    with sessions.begin() as session:
        for index in range(count):
            settings = ChatSettings(compare=setup.to_dict()).to_dict()
            ids.append(repository.create_conversation(session, title=f"bench {index}", settings=settings).id)
    engine.dispose()
    return ids


def one_round(browser, app: App, server, conversation_id: str, words: int, columns: int, timeout_s: float) -> dict:
    wait_until_idle()
    page = browser.new_page()
    try:
        page.goto(f"{app.url}/?c={conversation_id}")
        page.locator(INPUT).wait_for(state="visible", timeout=60_000)
        page.locator(IDLE).wait_for(timeout=60_000)
        expected = [words + i for i in range(columns)] if columns else [words]
        page.evaluate(POLLER, [columns, expected])
        before = len(server.state.requests)
        cpu_before = cpu_seconds(app.process.pid)
        length = "" if columns else f" /long {words}"
        page.locator(INPUT).fill(f"benchmark{length} /slow {WORDS_PER_SECOND}")
        page.locator(INPUT).press("Enter")
        page.wait_for_function(f"Object.keys(window.__doneAt).length === {len(expected)}", timeout=timeout_s * 1000, polling=100)
        page.locator(IDLE).wait_for(timeout=60_000)  # the final run (stored columns) is part of the cost
        cpu = cpu_seconds(app.process.pid) - cpu_before
        done_at = page.evaluate("window.__doneAt")
        records = [r for r in list(server.state.requests)[before:] if r.operation == "chat" and r.timing is not None]
        by_tokens = {r.timing.tokens: r.timing for r in records}
        delays, chunks = [], 0
        for index, count in enumerate(expected):
            timing = by_tokens.get(count)
            if timing is None or timing.last_token_at is None:
                raise RuntimeError(f"the server recorded no {count}-word reply (got {sorted(by_tokens)})")
            delays.append(done_at[str(index)] - timing.last_token_at * 1000)  # both wall clock, ms
            chunks += timing.tokens
        return {"delay_ms": max(delays), "delays_ms": delays, "cpu_ms_per_chunk": cpu * 1000 / chunks, "chunks": chunks}
    finally:
        page.close()


def run(quick: bool = False) -> list[Result]:
    words, repeats = (WORDS, REPEATS) if not quick else (40, 1)
    server = start(config=ServerConfig(words_per_second=0))
    app = App(PORTAL, endpoint=server.url)
    compare_ids = seed(app.data_dir, repeats + 1, True, words)
    single_ids = seed(app.data_dir, repeats + 1, False, words)
    runs: dict[str, list[dict]] = {"compare": [], "single": []}
    timeout = words / WORDS_PER_SECOND * 4 + 60
    try:
        with app, launch_browser() as browser:
            one_round(browser, app, server, compare_ids.pop(), words, TARGETS, timeout)  # warm up
            one_round(browser, app, server, single_ids.pop(), words, 0, timeout)
            for index in range(repeats):
                runs["compare"].append(one_round(browser, app, server, compare_ids[index], words, TARGETS, timeout))
                runs["single"].append(one_round(browser, app, server, single_ids[index], words, 0, timeout))
    finally:
        server.stop()
    delays = [r["delay_ms"] for r in runs["compare"]]
    compare_cpu = [r["cpu_ms_per_chunk"] for r in runs["compare"]]
    single_cpu = [r["cpu_ms_per_chunk"] for r in runs["single"]]
    delay = median(delays)
    cpu, cpu_base = median(compare_cpu), median(single_cpu)
    ratio = cpu / cpu_base if cpu_base > 0 else float("nan")
    return [
        Result(
            8,
            f"compare mode, {TARGETS} targets × {words:,} words at {WORDS_PER_SECOND} words/s: slowest column's last word after its server's last chunk",
            delay,
            "ms",
            f"≤ {DELAY_TARGET_MS:g} ms",
            delay <= DELAY_TARGET_MS,
            note=f"median of {repeats}",
            extra={"compare": runs["compare"], "single": runs["single"]},
            spread=spread(delays),
        ),
        Result(
            8,
            f"compare mode, {TARGETS} targets: app CPU per streamed chunk vs one reply streamed alone",
            cpu,
            "ms",
            f"≤ {CPU_RATIO_TARGET:g}x one reply",
            ratio <= CPU_RATIO_TARGET,
            baseline=cpu_base,
            ratio=ratio,
            note=f"median of {repeats}",
            spread=spread(compare_cpu, single_cpu),
        ),
    ]
