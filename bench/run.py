"""Run every benchmark (or some), print the table, write bench/results/<name>.json and .md.

`python3 dev.py bench [--quick] [--only 2,4]`, or `python -m bench` inside the venv. `--quick` runs
each benchmark at tiny sizes (a smoke test: the figures mean nothing) and writes `quick.*`;
`--only` writes `only-<numbers>.*`; only a full run replaces `latest.*`. Each benchmark runs in a
fresh interpreter. A benchmark that fails is reported as a failed row, the others still run, and
the exit status is 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from .common import RESULTS_DIR, Result, load_average, machine, markdown_table, summary_line, write_results

BENCHMARKS = {
    1: ("stream_adapter", "streaming adapter vs bare SDK loop"),
    2: ("stream_ui", "2,000-word reply in Chromium vs the tutorial app"),
    3: ("long_history", "1,000 and 5,000-message conversations vs full-history rendering"),
    4: ("storage_scale", "storage with 100,000 conversations and 1,000,000 messages"),
    5: ("embeddings_scale", "10,000 texts in flight vs sequential batches, cache, map, neighbours over 100,000 vectors"),
    6: ("startup", "`streamlit run` to the first page interactive"),
    7: ("map_browser", "a 100,000-point embeddings map in Chromium: drawn, hover, zoom"),
    8: ("compare_ui", "compare mode: 4 targets streaming at once in Chromium"),
}


def _child(number: int, quick: bool, out: Path) -> int:
    """Inside the fresh interpreter: run one benchmark and write its results as JSON."""
    module_name, _title = BENCHMARKS[number]
    module = importlib.import_module(f"bench.{module_name}")
    results = module.run(quick=quick)
    out.write_text(json.dumps([asdict(r) for r in results], default=str))
    return 0


def run_benchmark(number: int, quick: bool) -> list[Result]:
    """One benchmark in its own interpreter, so that none measures another's leftovers: a heap grown
    by earlier benchmarks (longer garbage collections), threads or browsers they left running."""
    module_name, title = BENCHMARKS[number]
    started = time.perf_counter()
    print(f"[{number}] {title}{' (quick)' if quick else ''} …", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-child-") as directory:
        out = Path(directory) / "results.json"
        command = [sys.executable, "-m", "bench.run", "--child", str(number), "--child-out", str(out)] + (["--quick"] if quick else [])
        environment = {"BENCH_IDLE_TIMEOUT_S": "2", **os.environ} if quick else None  # quick figures mean nothing
        finished = subprocess.run(command, cwd=Path(__file__).resolve().parent.parent, env=environment)
        if finished.returncode == 0 and out.exists():
            results = [Result(**row) for row in json.loads(out.read_text())]
        else:  # one broken benchmark must not hide the others; its traceback is above
            detail = f"the benchmark process exited with status {finished.returncode}"
            results = [Result(number, f"{title}: did not run", float("nan"), "", "", False, note=detail, extra={"error": detail})]
    print(f"[{number}] done in {time.perf_counter() - started:.0f} s", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test (figures are meaningless)")
    parser.add_argument("--only", default="", help="comma-separated benchmark numbers, e.g. 2,4")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where the JSON and Markdown go")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # internal: run one benchmark in this process
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return _child(args.child, args.quick, args.child_out)
    numbers = sorted(int(n) for n in args.only.split(",") if n.strip()) if args.only else sorted(BENCHMARKS)
    unknown = [n for n in numbers if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {unknown}; choose from {sorted(BENCHMARKS)}")
    started = time.time()
    start_load = load_average()
    print(f"Machine: {machine()}; load average {start_load}", flush=True)
    results: list[Result] = []
    for number in numbers:
        results.extend(run_benchmark(number, args.quick))
    name = "quick" if args.quick else ("latest" if numbers == sorted(BENCHMARKS) else "only-" + "-".join(map(str, numbers)))
    json_path, md_path = write_results(results, started, args.results_dir, name, start_load)
    print()
    print("Machine: " + summary_line(json.loads(json_path.read_text())))
    print()
    print(markdown_table(results))
    print(f"\nWritten: {json_path} and {md_path}")
    # Missed targets are reported in the table, not in the exit status; a benchmark that could not run is.
    return 1 if any(r.extra.get("error") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
