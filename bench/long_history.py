"""Benchmark 3: conversations of 1,000 and 5,000 messages, in Chromium, portal vs full-history baseline.

One SQLite database holds both conversations (realistic replies: paragraphs, lists, code). The
portal renders the latest 40 messages; the baseline (`bench/baseline_full_history_app.py`)
renders every message from the same database. For each size and app, a fresh `streamlit run`:

* page open: from navigation start (`performance.timeOrigin`) until the conversation's last
  message is on screen (a MutationObserver installed before the page loads notes `Date.now()`);
* send to first token visible: from the Enter key until the reply's first words are on screen
  (replies come from the benchmark's local server at full speed);
* memory: the app process's RSS after those runs.

For reference, the same run opens the smallest Streamlit page (`bench/baseline_empty_app.py`) in
the same way: the floor any Streamlit app pays (frontend bundle, websocket, first script run), which
on this 2-core machine is most of the portal's figure and moves with the machine's load.

Runs alternate between the apps, each started on a quiet machine (`wait_until_idle`); figures
are medians. Target at 5,000 messages: open under 1.5 s,
first token under 1 s, both at least 3x better than the baseline.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from localserver import ServerConfig, start
from storage.engine import default_database_url, make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head
from storage.models import Conversation, Message

from .apps import BASELINE_EMPTY, BASELINE_FULL_HISTORY, PORTAL, App
from .browser import launch_browser
from .common import Result, median, wait_until_idle

SIZES = (1_000, 5_000)
OPEN_TARGET_MS = 1_500.0
FIRST_TOKEN_TARGET_MS = 1_000.0
BETTER_BY = 3.0
INPUT = '[data-testid="stChatInputTextArea"]'
EMPTY_MARKER = "empty-page-ready"

# Installed before any page script: records when `marker` first appears in the document.
SEEN = """
window.__seenAt = null;
window.__watch = (marker) => {
  window.__seenAt = null;
  const check = (node) => node && node.textContent && node.textContent.includes(marker);
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      const hit = record.type === 'characterData' ? check(record.target) : Array.from(record.addedNodes).some(check);
      if (hit) { window.__seenAt = Date.now(); observer.disconnect(); return; }
    }
  });
  observer.observe(document, {subtree: true, childList: true, characterData: true});
};
"""

_WORDS = (
    "deployment endpoint latency token model stream region quota request response context budget embedding vector "
    "cluster index cache retry timeout payload schema prompt system user assistant portal azure foundry inference "
    "the a of to and in is that for it with as on be this are by an or can will not from at which when your"
).split()


def _reply(rng: random.Random, number: int) -> str:
    words = lambda n: " ".join(rng.choice(_WORDS) for _ in range(n))  # noqa: E731
    parts = [words(rng.randint(30, 60)).capitalize() + ".", "", f"- {words(6)}", f"- {words(8)}", f"- {words(5)}", ""]
    if number % 5 == 0:
        parts += ["```python", f"def step_{number}(x):", "    return x * 2", "```", ""]
    parts.append(words(rng.randint(20, 40)).capitalize() + ".")
    return "\n".join(parts)


def build_database(data_dir: Path, sizes: tuple[int, ...]) -> dict[int, tuple[str, str]]:
    """One conversation per size; returns size -> (conversation id, marker of its last message)."""
    engine = make_engine(default_database_url(data_dir))
    upgrade_to_head(engine)
    sessions = make_sessionmaker(engine)
    rng = random.Random(3)
    made = {}
    start_time = datetime(2025, 1, 1, tzinfo=UTC)
    for size in sizes:
        conversation_id = f"00000000-0000-4000-8000-{size:012d}"
        marker = f"history-end-{size}"
        with sessions.begin() as session:
            stamp = start_time + timedelta(seconds=20 * size)
            session.add(Conversation(id=conversation_id, owner="", title=f"A {size:,}-message conversation", settings={},
                                     created_at=start_time, updated_at=stamp, message_count=size))  # fmt: skip
            session.flush()
            rows = []
            for number in range(size):
                role = "user" if number % 2 == 0 else "assistant"
                content = (
                    f"Question {number}: " + " ".join(rng.choice(_WORDS) for _ in range(12))
                    if role == "user"
                    else _reply(rng, number)
                )
                if number == size - 1:
                    content += f" {marker}"
                when = start_time + timedelta(seconds=20 * number)
                rows.append({"conversation_id": conversation_id, "role": role, "content": content, "status": "complete",
                             "created_at": when, "updated_at": when})  # fmt: skip
            session.execute(Message.__table__.insert(), rows)
        made[size] = (conversation_id, marker)
    engine.dispose()
    return made


def warm_up(browser, app: App) -> None:
    """One page load without a conversation: the first script run's imports, database and client setup."""
    page = browser.new_page()
    try:
        page.goto(app.url)
        page.locator(INPUT).wait_for(state="visible", timeout=120_000)
        time.sleep(0.5)
    finally:
        page.close()


def open_only(browser, app: App, marker: str) -> dict:
    """Page open of an app without a chat (the empty reference page)."""
    wait_until_idle()
    context = browser.new_context()
    context.add_init_script(SEEN + f"window.__watch({json.dumps(marker)});")
    page = context.new_page()
    try:
        page.goto(app.url, wait_until="commit")
        page.wait_for_function("window.__seenAt !== null", timeout=120_000, polling=50)
        return {"open_ms": page.evaluate("window.__seenAt - performance.timeOrigin")}
    finally:
        context.close()


def open_and_send(browser, app: App, conversation_id: str, marker: str, probe: str) -> dict:
    """Open the conversation, then send `probe`; returns the two timings in ms."""
    wait_until_idle()  # the other app's last run (the baseline drawing thousands of messages) has ended
    context = browser.new_context()
    context.add_init_script(SEEN + f"window.__watch({json.dumps(marker)});")  # watching from the first byte
    page = context.new_page()
    try:
        page.goto(f"{app.url}/?c={conversation_id}", wait_until="commit")
        page.wait_for_function("window.__seenAt !== null", timeout=120_000, polling=50)
        open_ms = page.evaluate("window.__seenAt - performance.timeOrigin")
        page.locator(INPUT).wait_for(state="visible", timeout=60_000)
        time.sleep(0.5)  # the page is idle before the message is sent
        page.evaluate(
            """(m) => {
                window.__watch(m);
                window.__sentAt = null;
                document.addEventListener('keydown', (e) => { if (e.key === 'Enter' && window.__sentAt === null) window.__sentAt = Date.now(); }, true);
            }""",
            f'"{probe}"',  # the reply restates the prompt in quotes; the user's own message has none
        )
        page.locator(INPUT).fill(f"{probe} /long 40 /slow 0")
        page.locator(INPUT).press("Enter")
        page.wait_for_function("window.__seenAt !== null", timeout=120_000, polling=50)
        first_token_ms = page.evaluate("window.__seenAt - window.__sentAt")
        time.sleep(1.0)  # let the reply finish and be stored before the next run opens the page
        return {"open_ms": open_ms, "first_token_ms": first_token_ms}
    finally:
        context.close()


def run(quick: bool = False) -> list[Result]:
    sizes = (40, 200) if quick else SIZES
    repeats = 1 if quick else 5
    server = start(config=ServerConfig(words_per_second=0))
    results: list[Result] = []
    try:
        with launch_browser() as browser:
            for size in sizes:
                apps = {"portal": App(PORTAL, endpoint=server.url), "baseline": App(BASELINE_FULL_HISTORY, endpoint=server.url)}
                for app in apps.values():
                    app.data_dir = apps["portal"].data_dir  # both read the same database
                    app.environment["PORTAL_DATA_DIR"] = str(app.data_dir)
                if size == sizes[-1]:
                    apps["empty"] = App(BASELINE_EMPTY)
                conversation_id, marker = build_database(apps["portal"].data_dir, (size,))[size]
                runs: dict[str, list[dict]] = {name: [] for name in apps}
                memory: dict[str, float] = {}
                try:
                    for name, app in apps.items():
                        app.start()
                        if name == "empty":
                            open_only(browser, app, EMPTY_MARKER)
                        else:
                            warm_up(browser, app)
                    for attempt in range(repeats):
                        for name, app in apps.items():
                            if name == "empty":
                                runs[name].append(open_only(browser, app, EMPTY_MARKER))
                                continue
                            probe = f"probe-{size}-{name}-{attempt}"
                            runs[name].append(open_and_send(browser, app, conversation_id, marker, probe))
                            marker = f'"{probe}"'  # the reply just stored is now the last message
                            print(f"  [history] {size:,} messages, {name}: {runs[name][-1]}", flush=True)
                    memory = {name: app.rss_mb() for name, app in apps.items()}
                finally:
                    for app in apps.values():
                        app.stop()
                results.extend(_results(size, runs, memory, sizes[-1]))
    finally:
        server.stop()
    return results


def _results(size: int, runs: dict[str, list[dict]], memory: dict[str, float], largest: int) -> list[Result]:
    def med(name: str, key: str) -> float:
        return median([r[key] for r in runs[name]])

    out = []
    for key, label, limit in (
        ("open_ms", "page open", OPEN_TARGET_MS),
        ("first_token_ms", "send to first token visible", FIRST_TOKEN_TARGET_MS),
    ):
        value, base = med("portal", key), med("baseline", key)
        ratio = base / value if value > 0 else None
        targeted = size == largest
        out.append(
            Result(
                3,
                f"{size:,} messages: {label}",
                value,
                "ms",
                f"< {limit:,.0f} ms and ≥ {BETTER_BY:g}x better than baseline" if targeted else "≥ 3x better than baseline",
                (value < limit if targeted else True) and ratio is not None and ratio >= BETTER_BY,
                baseline=base,
                ratio=ratio,
                note="ratio = baseline / portal",
                extra={"portal": runs["portal"], "baseline": runs["baseline"]},
            )
        )
    if runs.get("empty"):
        floor = med("empty", "open_ms")
        out.append(
            Result(
                3,
                "for reference: the smallest Streamlit page (one line of text): page open",
                floor,
                "ms",
                "informational",
                None,
                note="the floor under any Streamlit app's page open on this machine, same run",
                extra={"runs": runs["empty"]},
            )
        )
    out.append(
        Result(
            3,
            f"{size:,} messages: app memory (RSS)",
            memory["portal"],
            "MiB",
            "informational",
            None,
            baseline=memory["baseline"],
            ratio=memory["baseline"] / memory["portal"] if memory["portal"] else None,
            note="ratio = baseline / portal",
        )  # fmt: skip
    )
    return out
