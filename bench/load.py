"""Load: many browser sessions at once against one portal instance, each streaming a long reply.

`python3 dev.py load` (or `python -m bench.load --sessions 20 --words 500`): the local inference
server runs as its own process (`python -m localserver`, at a realistic pace), the app as a real
`streamlit run` pointed at it, and one Chromium opens one context per session. All sessions send at
the same moment; each message carries a unique token that the local model restates, so a reply
that lands in the wrong session is visible. Measured in the browser: time to first token (send to
the first assistant text on the page) and time to the finished reply. Measured from /proc: the
peak resident memory (VmHWM) of the app and of the inference server. Checked afterwards: every
page shows only its own token, and the database holds exactly one user message and one complete
reply per session. Results go to `bench/results/load.json` and `load.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import make_engine

from .browser import CHROMIUM, FLAGS
from .common import RESULTS_DIR, Result, machine, markdown_table, median, percentile

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = '[data-testid="stChatMessage"]'
CHAT_INPUT = '[data-testid="stChatInputTextArea"]'
IDLE_APP = '[data-testid="stApp"][data-test-script-state="notRunning"]'
OPEN_AT_ONCE = 4
OPEN_TIMEOUT_MS = 120_000

# Installed in each page before its message is sent. Times are the page's own clock
# (performance.now), taken where the browser sees them: the Enter keydown that sends, the first
# text inside the new assistant message, and its "finish:" metrics caption (shown after the run).
WATCH_REPLY = """() => {
  const isAssistant = m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]');
  const before = [...document.querySelectorAll('[data-testid="stChatMessage"]')].filter(isAssistant).length;
  const marks = {sentAt: null, firstTextAt: null, finishedAt: null, epochOffset: performance.timeOrigin};
  window.__load = marks;
  document.addEventListener('keydown', e => {
    if (e.key === 'Enter' && marks.sentAt === null) marks.sentAt = performance.now();
  }, true);
  const check = () => {
    const reply = [...document.querySelectorAll('[data-testid="stChatMessage"]')].filter(isAssistant)[before];
    if (!reply || marks.sentAt === null) return;
    if (marks.firstTextAt === null) {
      const text = [...reply.querySelectorAll('[data-testid="stMarkdownContainer"]')].map(e => e.innerText).join('').trim();
      if (text.length > 0) marks.firstTextAt = performance.now();
    }
    const captions = [...reply.querySelectorAll('[data-testid="stCaptionContainer"]')];
    if (marks.finishedAt === null && captions.some(c => /finish:/.test(c.innerText))) {
      marks.finishedAt = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@dataclass
class LoadConfig:
    sessions: int = 20
    words: int = 500
    words_per_second: float = 50.0
    database_url: str | None = None  # None: the app's default SQLite file in its own data dir
    reply_timeout_s: float = 180.0


@dataclass
class SessionOutcome:
    index: int
    token: str
    conversation_id: str | None = None
    time_to_first_token_ms: float | None = None  # in the browser: Enter to the first reply text on the page
    app_time_to_first_token_ms: float | None = None  # as the app measured and stored it: request to first token
    app_total_ms: float | None = None  # as the app stored it: request to the last token
    stored_after_ms: float | None = None  # Enter in the browser to the user message's row (same machine clock)
    app_first_token_after_ms: float | None = None  # Enter to the first token reaching the app (reply row + its TTFT)
    total_ms: float | None = None
    sent_epoch_ms: float | None = None
    finished_epoch_ms: float | None = None
    foreign_tokens: list[str] = field(default_factory=list)
    error: str | None = None
    page_texts: list[str] = field(default_factory=list, repr=False)  # what the page showed; not written out


@dataclass
class LoadReport:
    config: LoadConfig
    database: str
    outcomes: list[SessionOutcome]
    app_idle_rss_mib: float
    app_peak_rss_mib: float
    server_idle_rss_mib: float
    server_peak_rss_mib: float
    chat_requests: int
    problems: list[str]
    load_average: tuple[float, float] = (float("nan"), float("nan"))  # 1-minute load of the machine, before and after
    app_cpu_s: float = float("nan")  # CPU time the app used from the first send to the last reply
    server_cpu_s: float = float("nan")
    browser_cpu_s: float = float("nan")  # Chromium (all its processes) and the Playwright driver, whole run

    @property
    def ttfts(self) -> list[float]:
        return [o.time_to_first_token_ms for o in self.outcomes if o.time_to_first_token_ms is not None]

    @property
    def wall_s(self) -> float:
        sent = [o.sent_epoch_ms for o in self.outcomes if o.sent_epoch_ms is not None]
        finished = [o.finished_epoch_ms for o in self.outcomes if o.finished_epoch_ms is not None]
        return (max(finished) - min(sent)) / 1000 if sent and finished else float("nan")

    @property
    def completed(self) -> int:
        return sum(1 for o in self.outcomes if o.error is None and o.total_ms is not None)


# processes and memory


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far (/proc/<pid>/stat); NaN without /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return float("nan")


def _children_cpu_seconds() -> float:
    times = os.times()
    return times.children_user + times.children_system


def memory_mib(pid: int, field_name: str = "VmHWM") -> float:
    """A memory figure of a live process from /proc/<pid>/status: VmHWM is the peak resident set
    size since the process started, VmRSS the current one. NaN where /proc is not available."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return float("nan")


class InferenceServer:
    """`python -m localserver` as a subprocess (so its memory is its own), at a fixed pace."""

    def __init__(self, words_per_second: float):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkstemp(prefix="localserver-", suffix=".log")[1])
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "localserver", "--port", str(self.port), "--words-per-second", str(words_per_second)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"localserver exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"localserver did not answer within {timeout:g} s")

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_local/stats", timeout=5) as response:  # noqa: S310 (local URL)
            return json.load(response)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log_path.unlink(missing_ok=True)


# the browser side


async def _open(browser, url: str, opening: asyncio.Semaphore):
    """A new context and page with the app loaded and idle. Pages are opened a few at a time: the
    load is the replies streaming together, not twenty cold page loads competing for the CPU."""
    async with opening:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await page.goto(url, timeout=OPEN_TIMEOUT_MS)
        await page.locator(CHAT_INPUT).wait_for(state="visible", timeout=OPEN_TIMEOUT_MS)
        # The first script run has ended (a message typed into a page still being drawn can get lost).
        await page.locator(IDLE_APP).wait_for(state="attached", timeout=OPEN_TIMEOUT_MS)
    return context, page


async def _session(
    browser, url: str, outcome: SessionOutcome, words: int, ready: asyncio.Barrier, opening: asyncio.Semaphore, timeout_s: float
):
    context = None
    arrived = False
    try:
        context, page = await _open(browser, url, opening)
        await page.evaluate(WATCH_REPLY)
        box = page.locator(CHAT_INPUT)
        await box.fill(f"Session {outcome.token}: restate this token. /long {words}")
        arrived = True
        await ready.wait()  # every page is loaded and typed: all press Enter together
        await box.press("Enter")
        await page.wait_for_function("() => window.__load.finishedAt !== null", polling=250, timeout=timeout_s * 1000)
        marks = await page.evaluate("window.__load")
        outcome.time_to_first_token_ms = marks["firstTextAt"] - marks["sentAt"]
        outcome.total_ms = marks["finishedAt"] - marks["sentAt"]
        outcome.sent_epoch_ms = marks["epochOffset"] + marks["sentAt"]
        outcome.finished_epoch_ms = marks["epochOffset"] + marks["finishedAt"]
        outcome.conversation_id = await page.evaluate("new URLSearchParams(location.search).get('c')")
        outcome.page_texts = await page.locator(MESSAGES).all_inner_texts()
    except Exception as exc:  # noqa: BLE001 (one failed session is a result, not a crash of the run)
        outcome.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if not arrived:  # the others wait at the barrier for every session: arrive anyway
            await ready.wait()
    finally:
        if context is not None:
            await context.close()


async def drive_sessions(
    url: str, outcomes: list[SessionOutcome], words: int, timeout_s: float, after_warmup: Callable[[], None] = lambda: None
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--headless", *FLAGS])
        try:
            opening = asyncio.Semaphore(OPEN_AT_ONCE)
            warm_context, _ = await _open(browser, url, opening)  # a fresh process's first run imports and migrates
            await warm_context.close()
            after_warmup()
            ready = asyncio.Barrier(len(outcomes))
            await asyncio.gather(*(_session(browser, url, o, words, ready, opening, timeout_s) for o in outcomes))
        finally:
            await browser.close()


# checks


def _check_pages(outcomes: list[SessionOutcome]) -> list[str]:
    """Each page shows its own token (in the message and in the reply) and no other session's."""
    problems = []
    tokens = {o.token for o in outcomes}
    for outcome in outcomes:
        texts = outcome.page_texts
        shown = "\n".join(texts)
        outcome.foreign_tokens = sorted(t for t in tokens - {outcome.token} if t in shown)
        if outcome.error:
            problems.append(f"session {outcome.index}: {outcome.error}")
            continue
        if outcome.foreign_tokens:
            problems.append(f"session {outcome.index} shows other sessions' tokens {outcome.foreign_tokens}")
        if sum(outcome.token in t for t in texts) < 2:
            problems.append(f"session {outcome.index}: its token is not in both its message and the reply")
        if outcome.time_to_first_token_ms is None or outcome.time_to_first_token_ms < 0:
            problems.append(f"session {outcome.index}: no first-token time")
    return problems


def _check_database(database_url: str, outcomes: list[SessionOutcome], words: int) -> list[str]:
    """Exactly one user message and one complete reply of `words` words per session, in the
    session's own conversation; no other conversations; message_count matches the rows."""
    problems = []
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            conversations = dict(connection.execute(text("SELECT id, message_count FROM conversations")).all())
            rows = connection.execute(
                text(
                    "SELECT conversation_id, role, content, status, finish_reason, time_to_first_token_ms, "
                    "total_time_ms, created_at FROM messages ORDER BY id"
                )
            ).all()
    finally:
        engine.dispose()
    expected = {o.conversation_id: o for o in outcomes if o.conversation_id}
    if set(conversations) != set(expected):
        problems.append(f"database has {len(conversations)} conversations, the sessions opened {len(expected)}")
    by_conversation: dict[str, list] = {}
    for row in rows:
        by_conversation.setdefault(row.conversation_id, []).append(row)
    tokens = {o.token for o in outcomes}
    for conversation_id, outcome in expected.items():
        stored = by_conversation.get(conversation_id, [])
        roles = [r.role for r in stored]
        if roles != ["user", "assistant"]:
            problems.append(f"session {outcome.index}: stored roles {roles}, expected one user message and one reply")
            continue
        user, reply = stored
        outcome.app_time_to_first_token_ms = reply.time_to_first_token_ms
        outcome.app_total_ms = reply.total_time_ms
        if outcome.sent_epoch_ms is not None:
            outcome.stored_after_ms = _epoch_ms(user.created_at) - outcome.sent_epoch_ms
            if reply.time_to_first_token_ms is not None:
                first_token = _epoch_ms(reply.created_at) + reply.time_to_first_token_ms
                outcome.app_first_token_after_ms = first_token - outcome.sent_epoch_ms
        if conversations.get(conversation_id) != 2:
            problems.append(f"session {outcome.index}: message_count {conversations.get(conversation_id)} for 2 rows")
        if outcome.token not in user.content or outcome.token not in reply.content:
            problems.append(f"session {outcome.index}: its token is missing from the stored message or reply")
        if any(t in reply.content for t in tokens - {outcome.token}):
            problems.append(f"session {outcome.index}: the stored reply holds another session's token")
        if reply.status != "complete" or reply.finish_reason != "stop" or len(reply.content.split()) != words:
            problems.append(
                f"session {outcome.index}: reply {reply.status}/{reply.finish_reason} with {len(reply.content.split())} words"
            )
    return problems


def _epoch_ms(value: datetime | str) -> float:
    """A created_at read with raw SQL (a datetime from PostgreSQL, text from SQLite) as epoch ms."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000


def _database_label(url: str) -> str:
    parsed = make_url(url)
    return "PostgreSQL" if parsed.get_backend_name().startswith("postgres") else "SQLite"


# the run


def run_load(config: LoadConfig) -> LoadReport:
    from tests.streamlit_process import StreamlitApp  # the tests' runner: health check, clean env, log tail

    outcomes = [SessionOutcome(index, f"tok{index:02d}x{uuid.uuid4().hex[:8]}") for index in range(config.sessions)]
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        server = InferenceServer(config.words_per_second)
        stack.callback(server.stop)
        app = StreamlitApp(database_url=config.database_url, inference_endpoint=server.url)
        stack.callback(app.cleanup)
        app.start()
        database_url = config.database_url or f"sqlite:///{(app.data_dir / 'portal.db').as_posix()}"
        assert app.pid is not None
        app_pid, server_pid = app.pid, server.process.pid
        idle: dict[str, float] = {}

        def measure_idle() -> None:
            idle.update(
                app=memory_mib(app_pid, "VmRSS"),
                server=memory_mib(server_pid, "VmRSS"),
                app_cpu=cpu_seconds(app_pid),
                server_cpu=cpu_seconds(server_pid),
            )

        # Chromium's processes are reaped by the Playwright driver, the driver by this process when the
        # browser closes: their CPU time shows up in this process's children times (the app and the
        # server are still running, so they are not counted there).
        reaped_before = _children_cpu_seconds()
        asyncio.run(drive_sessions(app.url, outcomes, config.words, config.reply_timeout_s, measure_idle))
        browser_cpu = _children_cpu_seconds() - reaped_before
        app_peak, server_peak = memory_mib(app_pid), memory_mib(server_pid)  # before either process exits
        app_cpu = cpu_seconds(app_pid) - idle.get("app_cpu", float("nan"))
        server_cpu = cpu_seconds(server_pid) - idle.get("server_cpu", float("nan"))
        chat_requests = server.stats().get("by_operation", {}).get("chat", 0)
        problems = _check_pages(outcomes)
        problems += _check_database(database_url, outcomes, config.words)
        if chat_requests != config.sessions:
            problems.append(f"the inference server answered {chat_requests} chat requests for {config.sessions} sessions")
        if "Traceback" in app.log_tail(1_000_000):
            problems.append("the app logged a traceback:\n" + app.log_tail())
    return LoadReport(
        config=config,
        database=_database_label(database_url),
        outcomes=outcomes,
        app_idle_rss_mib=idle.get("app", float("nan")),
        app_peak_rss_mib=app_peak,
        server_idle_rss_mib=idle.get("server", float("nan")),
        server_peak_rss_mib=server_peak,
        chat_requests=chat_requests,
        problems=problems,
        load_average=(load_before, os.getloadavg()[0]),
        app_cpu_s=app_cpu,
        server_cpu_s=server_cpu,
        browser_cpu_s=browser_cpu,
    )


def results(report: LoadReport) -> list[Result]:
    config, n = report.config, report.config.sessions
    ttfts = report.ttfts
    app_ttfts = [o.app_time_to_first_token_ms for o in report.outcomes if o.app_time_to_first_token_ms is not None]
    totals = [o.total_ms for o in report.outcomes if o.total_ms is not None]
    app_totals = [o.app_total_ms for o in report.outcomes if o.app_total_ms is not None]
    stored_after = [o.stored_after_ms for o in report.outcomes if o.stored_after_ms is not None]
    app_first = [o.app_first_token_after_ms for o in report.outcomes if o.app_first_token_after_ms is not None]
    wrong = sum(1 for o in report.outcomes if o.foreign_tokens)
    database_problems = [p for p in report.problems if "stored" in p or "database" in p or "message_count" in p]
    nan = float("nan")
    streaming_ms = config.words / config.words_per_second * 1000 if config.words_per_second else 0.0
    figures = [
        (
            f"sessions completed ({config.words}-word replies)",
            report.completed,
            "sessions",
            f"{n} of {n}",
            report.completed == n,
            "",
        ),
        ("replies shown in the wrong session", wrong, "", "0", wrong == 0, ""),
        (f"messages lost or duplicated ({report.database})", len(database_problems), "", "0", not database_problems, ""),
        (
            "time to first token in the browser, min",
            min(ttfts, default=nan),
            "ms",
            "",
            None,
            "Enter to the first reply text on the page",
        ),
        ("time to first token in the browser, median", median(ttfts), "ms", "", None, ""),
        ("time to first token in the browser, p95", percentile(ttfts, 95), "ms", "", None, ""),
        ("time to first token in the browser, max", max(ttfts, default=nan), "ms", "", None, ""),
        (
            "time to first token as the app measured it, median",
            median(app_ttfts),
            "ms",
            "",
            None,
            "request to the model until its first token, stored with each reply",
        ),
        ("time to first token as the app measured it, max", max(app_ttfts, default=nan), "ms", "", None, ""),
        (
            "Enter to the first token reaching the app, median",
            median(app_first),
            "ms",
            "",
            None,
            "the reply row's created_at plus its time to first token: what the app can show from then on",
        ),
        ("Enter to the first token reaching the app, max", max(app_first, default=nan), "ms", "", None, ""),
        (
            "Enter to the user's message stored, median",
            median(stored_after),
            "ms",
            "",
            None,
            "browser clock to the row's created_at (same machine): the page's run before the request",
        ),
        ("Enter to the user's message stored, max", max(stored_after, default=nan), "ms", "", None, ""),
        (
            "reply streamed by the app (request to last token), median",
            median(app_totals),
            "ms",
            "",
            None,
            "stored with each reply: how long the app took to receive and save the whole reply",
        ),
        ("reply streamed by the app (request to last token), max", max(app_totals, default=nan), "ms", "", None, ""),
        (
            "send to finished reply, median",
            median(totals),
            "ms",
            "",
            None,
            f"{config.words} words at {config.words_per_second:g} words/s is {streaming_ms:,.0f} ms of streaming",
        ),
        ("send to finished reply, max", max(totals, default=nan), "ms", "", None, ""),
        (f"all {n} sessions, first send to last finished", report.wall_s, "s", "", None, ""),
        (
            "app (streamlit run) peak RSS",
            report.app_peak_rss_mib,
            "MiB",
            "",
            None,
            f"{report.app_idle_rss_mib:,.0f} MiB before the load (VmRSS), peak is VmHWM",
        ),
        (
            "inference server (python -m localserver) peak RSS",
            report.server_peak_rss_mib,
            "MiB",
            "",
            None,
            f"{report.server_idle_rss_mib:,.0f} MiB before the load",
        ),
        (
            "app CPU time during the load",
            report.app_cpu_s,
            "s",
            "",
            None,
            "user + system, from the warm-up to the last reply; one Python process, so at most one core for Python code",
        ),
        ("inference server CPU time during the load", report.server_cpu_s, "s", "", None, ""),
        (
            "Chromium CPU time (all pages, whole run)",
            report.browser_cpu_s,
            "s",
            "",
            None,
            "the browsers run on the same machine here; for real users each has their own",
        ),
    ]
    return [
        Result(number, name, value, unit, target, met, note=note)
        for number, (name, value, unit, target, met, note) in enumerate(figures, start=1)
    ]


def write_report(report: LoadReport, rows: list[Result], started: float) -> tuple[Path, Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    config = report.config
    headline = (
        f"{config.sessions} browser sessions at once (one Chromium, one context each) against one `streamlit run`, "
        f"{config.words}-word replies from `python -m localserver` at {config.words_per_second:g} words/s, {report.database}. "
        f"Chromium, the app and the server share this machine's {os.cpu_count()} cores; its 1-minute load average was "
        f"{report.load_average[0]:.1f} before and {report.load_average[1]:.1f} after the run."
    )
    payload = {
        "machine": machine(),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "duration_s": round(time.time() - started, 1),
        "setup": headline,
        "config": asdict(config) | {"database_url": report.database},
        "results": [asdict(r) for r in rows],
        "sessions": [{k: v for k, v in asdict(o).items() if k != "page_texts"} for o in report.outcomes],
        "problems": report.problems,
    }
    json_path = RESULTS_DIR / "load.json"
    json_path.write_text(json.dumps(payload, indent=2))
    md_path = RESULTS_DIR / "load.md"
    notes = "\n".join(f"- #{r.number}: {r.note}" for r in rows if r.note)
    problems = "\n".join(f"- {p}" for p in report.problems) or "- none"
    md_path.write_text(
        f"Machine: {payload['machine']}; run took {payload['duration_s']} s.\n\n{headline}\n\n"
        f"{markdown_table(rows)}\n\n{notes}\n\nProblems:\n{problems}\n"
    )
    return json_path, md_path


def _database_url(choice: str) -> tuple[str | None, ExitStack]:
    """`auto`: a throw-away PostgreSQL database when the test server answers, else SQLite."""
    stack = ExitStack()
    if choice == "sqlite":
        return None, stack
    from tests.deploy.postgres import throwaway_database, unreachable_reason

    reason = unreachable_reason()
    if reason is None:
        return stack.enter_context(throwaway_database(prefix="portal_load")), stack
    if choice == "postgres":
        raise SystemExit(reason)
    print(f"{reason}; using SQLite", flush=True)
    return None, stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--words", type=int, default=500, help="words per reply (the /long directive)")
    parser.add_argument("--words-per-second", type=float, default=50.0, help="the inference server's streaming pace")
    parser.add_argument(
        "--database",
        choices=("auto", "postgres", "sqlite"),
        default="auto",
        help="auto: a throw-away database on PORTAL_TEST_POSTGRES_URL when it answers, else SQLite",
    )
    args = parser.parse_args(argv)
    if not os.access(CHROMIUM, os.X_OK):
        print(f"Chromium not found at {CHROMIUM}; apt-get install chromium (or set PORTAL_CHROMIUM)", file=sys.stderr)
        return 2
    started = time.time()
    database_url, database = _database_url(args.database)
    with database:
        config = LoadConfig(args.sessions, args.words, args.words_per_second, database_url)
        print(
            f"Load: {config.sessions} sessions, {config.words}-word replies at {config.words_per_second:g} words/s …", flush=True
        )
        report = run_load(config)
    rows = results(report)
    json_path, md_path = write_report(report, rows, started)
    print(markdown_table(rows))
    for row in rows:
        if row.note:
            print(f"  #{row.number}: {row.note}")
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    print(f"written: {json_path}, {md_path}")
    return 0 if not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
