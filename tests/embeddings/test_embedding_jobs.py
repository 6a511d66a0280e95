"""Embedding jobs against the real local server: batching, concurrency, splitting, 429, cache, cancel."""

from __future__ import annotations

import contextlib
import time

import numpy as np
import pytest

from portal.embedding_explorer import EmbeddingSpec
from portal.embedding_jobs import BatchPolicy, JobProgress, JobStatus, run_job
from portal.inference import EmbeddingOptions, ErrorKind
from tests.embeddings.support import embeddings_requests, inputs_sent, topic_texts

LEXICAL = EmbeddingSpec(model="local-embed")


def test_texts_go_out_in_batches_of_the_configured_size(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)

    outcome = explorer.embed(topic_texts(50), LEXICAL, policy=BatchPolicy(batch_size=8, concurrency=3))

    assert outcome.status == JobStatus.COMPLETE
    assert outcome.vectors.shape == (50, 384)
    assert np.allclose(np.linalg.norm(outcome.vectors, axis=1), 1.0, atol=1e-5)
    assert embeddings_requests(server) == 7  # ceil(50 / 8)
    assert sorted(r.inputs for r in server.state.requests) == [2, 8, 8, 8, 8, 8, 8]


def test_several_batches_are_in_flight_at_once(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)
    backend = explorer._backend
    active = peak = 0

    class CountingSource:
        @contextlib.asynccontextmanager
        async def embedding_session(self):
            async with backend.embedding_session() as embed:

                async def counting(texts, options):
                    nonlocal active, peak
                    active += 1
                    peak = max(peak, active)
                    try:
                        return await embed(texts, options)
                    finally:
                        active -= 1

                yield counting

    outcome = run_job(CountingSource(), topic_texts(120), LEXICAL.options(), policy=BatchPolicy(batch_size=4, concurrency=4))

    assert outcome.status == JobStatus.COMPLETE and len(outcome.indices) == 120
    assert 1 < peak <= 4


def test_a_batch_rejected_as_too_large_is_split_and_later_batches_shrink(start_server, explorer_for):
    server = start_server(max_embedding_inputs=10)
    explorer = explorer_for(server)

    outcome = explorer.embed(topic_texts(100), LEXICAL, policy=BatchPolicy(batch_size=32, concurrency=1))

    assert outcome.status == JobStatus.COMPLETE and len(outcome.indices) == 100
    assert inputs_sent(server) == 100
    rejected = embeddings_requests(server, status=400)
    assert rejected == 2  # 32 is refused, then 16; 8 fits, and everything after goes out at 8 at most
    assert outcome.progress.splits == rejected
    assert max(r.inputs for r in server.state.requests if r.status == 200) <= 10


class FakeClock:
    """A clock that moves only when the job sleeps; it records each sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_rate_limited_requests_wait_for_retry_after_and_succeed(start_server, explorer_for):
    server = start_server(embedding_rate_limit_first=2, embedding_retry_after_ms=300)
    explorer = explorer_for(server)
    clock = FakeClock()

    outcome = run_job(
        explorer._backend, topic_texts(10), LEXICAL.options(), policy=BatchPolicy(batch_size=10, concurrency=1),
        clock=clock, sleep=clock.sleep,
    )

    assert outcome.status == JobStatus.COMPLETE and len(outcome.indices) == 10
    assert embeddings_requests(server, status=429) == 2
    assert embeddings_requests(server, status=200) == 1
    assert outcome.progress.retries == 2
    assert clock.slept == [0.3, 0.3]  # two waits of retry-after-ms=300, as the server asked


def test_rate_limit_retries_are_bounded_and_the_job_reports_it(start_server, explorer_for):
    server = start_server(embedding_rate_limit_first=1000, embedding_retry_after_ms=50)
    explorer = explorer_for(server)

    outcome = explorer.embed(topic_texts(4), LEXICAL, policy=BatchPolicy(batch_size=4, max_retries=2))

    assert outcome.status == JobStatus.FAILED
    assert outcome.error is not None and outcome.error.kind == ErrorKind.RATE_LIMITED
    assert embeddings_requests(server, status=429) == 3  # the first try and two retries
    assert len(outcome.indices) == 0


def test_a_second_run_over_the_same_texts_makes_no_request(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)
    texts = topic_texts(40)
    first = explorer.embed(texts, LEXICAL, policy=BatchPolicy(batch_size=16))
    sent = embeddings_requests(server)

    second = explorer.embed(texts, LEXICAL, policy=BatchPolicy(batch_size=16))

    assert embeddings_requests(server) == sent == 3
    assert second.progress.cached == 40 and second.progress.requests == 0
    assert np.array_equal(first.vectors, second.vectors)


def test_only_texts_missing_from_the_cache_are_sent(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)
    explorer.embed(topic_texts(20), LEXICAL)

    outcome = explorer.embed(topic_texts(30) + ["cats purr and chase mice number 0"], LEXICAL)

    assert outcome.progress.cached == 20 and outcome.progress.embedded == 10
    assert inputs_sent(server) == 30
    assert len(outcome.indices) == 31  # duplicates get a vector too


def test_the_cache_key_separates_models_dimensions_and_input_types(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)
    texts = topic_texts(5)
    explorer.embed(texts, LEXICAL)

    explorer.embed(texts, EmbeddingSpec(model="local-embed", dimensions=64))
    explorer.embed(texts, EmbeddingSpec(model="local-embed", input_types="none"))
    explorer.embed_query(texts[0], LEXICAL)
    explorer.embed_query(texts[0], LEXICAL)

    if explorer._backend.features().embeddings_input_type:
        assert embeddings_requests(server) == 4
        assert [r.inputs for r in server.state.requests] == [5, 5, 5, 1]
    else:  # the OpenAI v1 API takes no input_type: documents and queries share one cache entry
        assert embeddings_requests(server) == 2
        assert [r.inputs for r in server.state.requests] == [5, 5]


def test_cancel_keeps_finished_batches_and_a_rerun_sends_only_the_rest(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)
    texts = topic_texts(60)
    seen: list[JobProgress] = []

    cancelled = explorer.embed(
        texts,
        LEXICAL,
        policy=BatchPolicy(batch_size=10, concurrency=1),
        on_progress=seen.append,
        should_cancel=lambda: bool(seen) and seen[-1].embedded >= 20,
    )

    assert cancelled.status == JobStatus.CANCELLED
    kept = len(cancelled.indices)
    assert 20 <= kept < 60
    assert explorer.kept_count(texts, LEXICAL) == kept
    resumed = explorer.embed(texts, LEXICAL, policy=BatchPolicy(batch_size=10, concurrency=1))
    assert resumed.status == JobStatus.COMPLETE and resumed.progress.cached == kept
    assert inputs_sent(server) == 60


class ScriptInterrupted(BaseException):
    """Stands in for Streamlit's StopException / RerunException (BaseException subclasses)."""


def test_a_job_interrupted_from_the_progress_callback_keeps_finished_batches(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)
    texts = topic_texts(60)

    def interrupt_after_two_batches(progress: JobProgress) -> None:
        if progress.embedded >= 20:
            raise ScriptInterrupted()

    with pytest.raises(ScriptInterrupted):
        explorer.embed(texts, LEXICAL, policy=BatchPolicy(batch_size=10, concurrency=2), on_progress=interrupt_after_two_batches)

    assert explorer.kept_count(texts, LEXICAL) >= 20
    assert explorer.load(texts, LEXICAL).missing == 60 - explorer.kept_count(texts, LEXICAL)


def test_a_single_text_the_endpoint_refuses_is_reported_and_the_rest_embedded(start_server, explorer_for):
    server = start_server(max_input_tokens=12)
    explorer = explorer_for(server)
    too_long = " ".join(["word"] * 30)
    texts = topic_texts(12) + [too_long]

    outcome = explorer.embed(texts, LEXICAL, policy=BatchPolicy(batch_size=4, concurrency=1))

    assert outcome.status == JobStatus.COMPLETE
    assert len(outcome.indices) == 12 and outcome.missing == 1
    assert [f.text for f in outcome.failed] == [too_long]
    assert "maximum context length" in outcome.failed[0].message


def test_a_request_the_endpoint_always_refuses_stops_the_job_without_splitting_everything(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)

    outcome = explorer.embed(
        topic_texts(64), EmbeddingSpec(model="local-embed", dimensions=5000), policy=BatchPolicy(batch_size=32, concurrency=1)
    )

    assert outcome.status == JobStatus.FAILED and outcome.error is not None
    assert "dimensions" in outcome.error.message
    assert embeddings_requests(server) <= 7  # 32 -> 16 -> 8 -> 4 -> 2 -> 1, then stop


def test_vectors_are_cut_to_the_asked_dimensions_and_renormalised(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)

    class IgnoresDimensions:
        """A service that ignores `dimensions` and returns its full 384 components."""

        @contextlib.asynccontextmanager
        async def embedding_session(self):
            async with explorer._backend.embedding_session() as embed:

                async def full_size(texts, options):
                    return await embed(texts, EmbeddingOptions(model=options.model, encoding_format=options.encoding_format))

                yield full_size

    # Long texts: the hashed local-embed vectors are sparse, and a short text may have nothing in
    # its first components.
    texts = [" ".join(topic_texts(40)[i::6]) for i in range(6)]
    outcome = run_job(IgnoresDimensions(), texts, EmbeddingOptions(model="local-embed", dimensions=64))
    locally = explorer.embed(texts, EmbeddingSpec(model="local-embed", dimensions=64, truncate_locally=True))

    for result in (outcome, locally):
        assert result.vectors.shape == (6, 64)
        assert np.allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(outcome.vectors, locally.vectors, atol=1e-6)
    assert [r.inputs for r in server.state.requests] == [6, 6]


def test_float_and_base64_encodings_give_the_same_vectors(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)
    texts = topic_texts(5)

    as_base64 = run_job(explorer._backend, texts, EmbeddingOptions(model="local-embed", encoding_format="base64"))
    as_float = run_job(explorer._backend, texts, EmbeddingOptions(model="local-embed", encoding_format="float"))

    assert np.allclose(as_base64.vectors, as_float.vectors, atol=1e-6)
    assert embeddings_requests(server) == 2


def test_progress_reports_counts_and_time_left(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)
    seen: list[JobProgress] = []

    explorer.embed(topic_texts(40), LEXICAL, policy=BatchPolicy(batch_size=10, concurrency=1), on_progress=seen.append)

    assert seen[0].done == 0 and seen[-1].done == 40 and seen[-1].fraction == 1.0
    middle = next(p for p in seen if 0 < p.embedded < 40)
    assert middle.eta_seconds is not None and middle.eta_seconds >= 0
    assert "of 40 texts" in middle.describe()
    assert embeddings_requests(server) == 4


def test_the_server_can_add_a_latency_to_each_embeddings_request(start_server, explorer_for):
    # Benchmark 5 uses this so that batches in flight overlap a real endpoint's round trip.
    server = start_server(embedding_latency_ms=300)
    explorer = explorer_for(server)
    started = time.perf_counter()

    outcome = explorer.embed(topic_texts(8), LEXICAL, policy=BatchPolicy(batch_size=4, concurrency=1))

    assert outcome.status == JobStatus.COMPLETE and embeddings_requests(server) == 2
    assert time.perf_counter() - started >= 2 * 0.3  # one after another: two waits
