"""Shared pieces for benchmarks: results, percentiles, the table, the machine description."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Result:
    number: int
    name: str
    value: float
    unit: str
    target: str
    met: bool | None  # None: informational, no target
    baseline: float | None = None
    ratio: float | None = None  # value / baseline (or baseline / value where "x faster")
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    spread: str = ""  # the runs behind a median: "min–max, n" (see `spread`)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float], baseline: list[float] | None = None, unit: str = "") -> str:
    """The runs behind a median, for the table: "1,020–1,210 ms, n=9", and the baseline's runs after a
    semicolon when there is one. Medians of a few runs on a noisy machine mean little without it."""

    def one(runs: list[float]) -> str:
        finite = [v for v in runs if math.isfinite(v)]
        if not finite:
            return "n=0"
        return f"{_fmt(min(finite))}–{_fmt(max(finite))}{' ' + unit if unit else ''}, n={len(finite)}"

    text = one(values)
    return f"{text}; baseline {one(baseline)}" if baseline is not None else text


def timed(function, *args, **kwargs) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, value


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, Python {platform.python_version()}, {platform.system()}"


def _cpu_busy_and_total() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


# How long `wait_until_idle` waits for a quiet machine before measuring anyway: 30 s, or
# BENCH_IDLE_TIMEOUT_S (a quick run sets 2 s: its figures mean nothing, and on a busy machine every
# wait would run to the limit).
IDLE_TIMEOUT_S = float(os.environ.get("BENCH_IDLE_TIMEOUT_S", "30"))


def wait_until_idle(busy_below: float = 0.15, window_s: float = 0.5, timeout_s: float | None = None) -> float:
    """Wait until the whole machine is quiet (under `busy_below` of all cores busy over `window_s`),
    so that one app's leftover work (the baseline still drawing 5,000 messages in a closing tab, a
    collection after a run) is not counted against the next measurement. Returns the seconds waited;
    gives up after `timeout_s` (the figure is then taken on a busy machine). A no-op without /proc."""
    started = time.monotonic()
    timeout_s = IDLE_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        busy, total = _cpu_busy_and_total()
    except (OSError, ValueError, IndexError):
        return 0.0
    while time.monotonic() - started < timeout_s:
        time.sleep(window_s)
        now_busy, now_total = _cpu_busy_and_total()
        fraction = (now_busy - busy) / max(1, now_total - total)
        busy, total = now_busy, now_total
        if fraction < busy_below:
            break
    return time.monotonic() - started


def load_average() -> float:
    """The 1-minute load average: other work on the machine, recorded with the results."""
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:
        return float("nan")


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def summary_line(payload: dict) -> str:
    load = payload["load_average"]
    return (
        f"{payload['machine']}; run took {payload['duration_s']:.0f} s; "
        f"load average {load['start']} at the start, {load['end']} at the end."
    )


def markdown_table(results: list[Result]) -> str:
    """One row per result; the "spread (min–max, n)" column only when some result has one."""
    with_spread = any(r.spread for r in results)
    spread_header = " spread (min–max, n) |" if with_spread else ""
    lines = [
        "| # | benchmark | result | baseline | ratio | target | met |" + spread_header,
        "|---|---|---|---|---|---|---|" + ("---|" if with_spread else ""),
    ]
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else ""
        baseline = f"{_fmt(r.baseline)} {r.unit}" if r.baseline is not None else ""
        row = f"| {r.number} | {r.name} | {_fmt(r.value)} {r.unit} | {baseline} | {ratio} | {r.target} | {met} |"
        lines.append(row + (f" {r.spread} |" if with_spread else ""))
    return "\n".join(lines)


def _finite(value: Any) -> Any:
    """NaN (a benchmark that could not run) becomes null, so the file is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write_results(
    results: list[Result], started: float, directory: Path = RESULTS_DIR, name: str = "latest", start_load: float | None = None
) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": machine(),
        "load_average": {"start": start_load, "end": load_average()},
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "duration_s": round(time.time() - started, 1),
        "results": [asdict(r) for r in results],
    }
    json_path = directory / f"{name}.json"
    json_path.write_text(json.dumps(_finite(payload), indent=2, default=str, allow_nan=False))
    md_path = directory / f"{name}.md"
    md_path.write_text(f"Machine: {summary_line(payload)}\n\n" + markdown_table(results) + "\n")
    return json_path, md_path
