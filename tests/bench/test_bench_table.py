"""The results table: the spread column (min–max, n) of the runs behind each median."""

from __future__ import annotations

from bench.common import Result, markdown_table, spread


def test_spread_gives_the_range_and_count_of_the_runs_and_of_the_baseline_runs() -> None:
    assert spread([1_210.0, 1_020.0, 1_100.0]) == "1,020–1,210, n=3"
    assert spread([3.5, 2.25], [9.0, 7.0, 8.0, 10.0], "ms") == "2.25–3.50 ms, n=2; baseline 7.00–10.0 ms, n=4"
    assert spread([float("nan"), 5.0]) == "5.00–5.00, n=1"  # a run that could not measure is not counted
    assert spread([]) == "n=0"


def test_the_table_has_a_spread_column_only_when_some_row_has_a_spread() -> None:
    plain = [Result(4, "append, p99", 1.76, "ms", "p99 < 5 ms", True)]
    assert markdown_table(plain).splitlines()[0] == "| # | benchmark | result | baseline | ratio | target | met |"
    spread_row = Result(6, "cold start", 3_000.0, "ms", "≤ 1.5x", True, baseline=2_500.0, ratio=1.2, spread="2,900–3,100, n=9")
    header, separator, first, second = markdown_table([*plain, spread_row]).splitlines()
    assert header.endswith("| met | spread (min–max, n) |") and separator.count("---") == 8
    assert first.endswith("| yes |  |")
    assert second == "| 6 | cold start | 3,000 ms | 2,500 ms | 1.20x | ≤ 1.5x | yes | 2,900–3,100, n=9 |"
