"""The server records when a streamed reply's chunks left it (`RequestRecord.timing`), so a client on
the same machine can measure how long after the last chunk its last word showed (bench/stream_ui.py)."""

from __future__ import annotations

import time

import httpx

from localserver import ServerConfig, start


def test_streamed_reply_records_first_and_last_chunk_times():
    with start(config=ServerConfig(words_per_second=0)) as server:
        sent_at = time.time()
        with httpx.stream(
            "POST",
            f"{server.url}/chat/completions",
            json={"stream": True, "messages": [{"role": "user", "content": "hi /long 30 /slow 100"}]},
        ) as response:
            body = b"".join(response.iter_bytes())
        received_at = time.time()

        chat = [r for r in server.state.requests if r.operation == "chat"]
        assert len(chat) == 1 and chat[0].stream
        timing = chat[0].timing
        assert timing is not None and timing.tokens == 30
        assert sent_at <= timing.first_token_at < timing.last_token_at <= timing.finished_at <= received_at
        assert timing.last_token_at - timing.first_token_at >= 29 / 100 * 0.9  # paced at 100 words/s
        assert body.endswith(b"data: [DONE]\n\n")


def test_requests_that_do_not_stream_have_no_timing():
    with start(config=ServerConfig(words_per_second=0)) as server:
        httpx.post(f"{server.url}/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}).raise_for_status()
        httpx.post(f"{server.url}/embeddings", json={"input": ["a text"]}).raise_for_status()

        assert [r.timing for r in server.state.requests] == [None, None]
