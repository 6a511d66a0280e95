"""The load benchmark's code, small: 3 sessions at once with 50-word replies, checked for
correctness only (every session completes, no reply in the wrong session, nothing lost in the
database, one chat request per session). Timings are reported by `python3 dev.py load`, never
asserted here."""

from __future__ import annotations

import math

from bench.load import LoadConfig, results, run_load

SESSIONS = 3


def test_three_sessions_at_once_each_get_their_own_complete_reply(chromium_path: str, database_url: str) -> None:
    report = run_load(LoadConfig(sessions=SESSIONS, words=50, words_per_second=100, database_url=database_url))

    assert report.problems == [], "\n".join(report.problems)
    assert report.completed == SESSIONS
    assert report.database == "PostgreSQL"
    assert report.chat_requests == SESSIONS
    assert len({o.conversation_id for o in report.outcomes}) == SESSIONS
    assert all(o.foreign_tokens == [] for o in report.outcomes)
    assert all(0 <= o.time_to_first_token_ms <= o.total_ms for o in report.outcomes)
    # The figures the table reports exist (their size is the benchmark's business, not this test's).
    assert report.app_peak_rss_mib > 0 and report.server_peak_rss_mib > 0
    rows = results(report)
    assert [r.met for r in rows[:3]] == [True, True, True]
    assert not any(math.isnan(r.value) for r in rows)
