"""Embed many texts: batches, several in flight, split on "too large", honour 429, cache as you go.

How a job runs (`run_job` / `run_job_async`):

1. Texts are de-duplicated by hash and looked up in the cache in bulk; only misses are requested.
2. Misses go out in batches of `BatchPolicy.batch_size`, up to `concurrency` requests in flight on
   one async client (the backend's `embedding_session()`, bound to the job's event loop).
3. A batch the endpoint rejects as a bad request (e.g. 400 "Too many inputs", 413) is split in
   half and retried, and later batches shrink to the size that worked. A single text that is still
   rejected is reported as failed once other texts have succeeded; before that, the rejection is
   taken to be about the request itself and the job stops with the endpoint's message.
4. 429 (and 5xx, timeouts) wait `Retry-After` (or an exponential backoff) and retry, at most
   `max_retries` times per batch; while one request waits, no new request starts.
5. Every finished batch is written to the cache as it arrives, on a worker thread, so requests
   keep going while SQLite or PostgreSQL writes (batches that finish during a write go together in
   the next one). A job that is cancelled, fails or is interrupted by a Streamlit rerun/stop
   (raised from the progress callback) waits for those writes, so it keeps what finished. A
   database outage during a write (`DatabaseUnavailable`) ends the job.

Returned vectors are float32 and unit length; a service that returns more dimensions than asked
has its vectors truncated and re-normalised before they are cached.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from .embedding_cache import VectorCache, text_hash
from .inference import AsyncEmbed, EmbeddingBatch, EmbeddingOptions, ErrorKind, InferenceBackend, InferenceError
from .similarity import normalise, truncate_and_normalise


class JobStatus(StrEnum):
    """How an embedding job ended (not a message status: see storage.records.MessageStatus)."""

    COMPLETE = "complete"
    CANCELLED = "cancelled"
    FAILED = "failed"
    INCOMPLETE = "incomplete"  # cache-only load that found some texts missing
RETRYABLE = frozenset({ErrorKind.RATE_LIMITED, ErrorKind.SERVER, ErrorKind.TIMEOUT})
SPLITTABLE = frozenset({ErrorKind.BAD_REQUEST, ErrorKind.CONTENT_FILTER})
UNSUPPORTED_PARAMETER_STATUS = 422  # splitting cannot help with a parameter the model rejects
TICK_SECONDS = 0.25  # how often progress is reported (and cancellation checked) while waiting

@dataclass(frozen=True)
class BatchPolicy:
    batch_size: int = 64  # below Cohere's 96 and Azure OpenAI's 2,048 inputs per request
    concurrency: int = 4
    max_retries: int = 5  # per batch, for 429 / 5xx / timeouts
    max_wait_seconds: float = 60.0  # cap on one Retry-After wait
    backoff_seconds: float = 1.0  # first wait when the service sends no Retry-After

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 2048:
            raise ValueError("batch_size must be between 1 and 2048")
        if not 1 <= self.concurrency <= 32:
            raise ValueError("concurrency must be between 1 and 32")
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")


@dataclass(frozen=True)
class JobProgress:
    total: int  # distinct texts
    cached: int = 0  # found in the cache before any request
    embedded: int = 0  # embedded by this job
    failed: int = 0
    requests: int = 0
    retries: int = 0
    splits: int = 0
    in_flight: int = 0
    elapsed_seconds: float = 0.0
    waiting_seconds: float = 0.0  # time left in the current rate-limit wait

    @property
    def done(self) -> int:
        return self.cached + self.embedded + self.failed

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else min(1.0, self.done / self.total)

    @property
    def eta_seconds(self) -> float | None:
        if self.embedded == 0 or self.elapsed_seconds <= 0:
            return None
        return (self.total - self.done) * self.elapsed_seconds / self.embedded

    def describe(self) -> str:
        parts = [f"{self.done:,} of {self.total:,} texts"]
        if self.cached:
            parts.append(f"{self.cached:,} from the cache")
        parts.append(f"{self.requests:,} request{'s' if self.requests != 1 else ''}")
        if self.waiting_seconds > 0:
            parts.append(f"rate limited: waiting {self.waiting_seconds:.1f} s")
        eta = self.eta_seconds
        if eta is not None and self.done < self.total:
            parts.append(f"about {eta:,.0f} s left" if eta >= 1 else "under a second left")
        return " · ".join(parts)


@dataclass(frozen=True)
class FailedText:
    text: str
    message: str


@dataclass(frozen=True)
class EmbeddingOutcome:
    """Vectors for the inputs that have one (`indices` into `texts`), and what happened."""

    texts: tuple[str, ...]
    vectors: np.ndarray  # (len(indices), dimensions), unit float32 rows
    indices: np.ndarray
    status: JobStatus
    progress: JobProgress
    failed: tuple[FailedText, ...] = ()
    error: InferenceError | None = None
    model: str | None = None

    @property
    def missing(self) -> int:
        return len(self.texts) - len(self.indices)

    @property
    def dimensions(self) -> int:
        return int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0


class _Abort(Exception):
    def __init__(self, error: InferenceError):
        super().__init__(error.message)
        self.error = error


class _Job:
    def __init__(
        self,
        texts_by_hash: dict[str, str],
        options: EmbeddingOptions,
        policy: BatchPolicy,
        cache: VectorCache | None,
        progress: JobProgress,
        on_progress: Callable[[JobProgress], None] | None,
        should_cancel: Callable[[], bool] | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.clock = clock
        self.sleep = sleep
        self.texts_by_hash = texts_by_hash
        self.options = options
        self.policy = policy
        self.cache = cache
        self.on_progress = on_progress
        self.should_cancel = should_cancel
        self.progress = progress
        self.vectors: dict[str, np.ndarray] = {}
        self.failed: dict[str, str] = {}
        self.model: str | None = None
        self.max_batch = policy.batch_size
        self.pause_until = 0.0
        self.started = clock()
        self.counts = collections.Counter[str]()
        self.embed: AsyncEmbed | None = None
        self._writing: asyncio.Future[None] | None = None  # the cache write in progress, at most one
        self._unwritten: dict[str, np.ndarray] = {}
        self._write_failed = False  # after a failed write nothing more is tried: the job ends

    # -- the cache, written off the event loop ---------------------------------------------------

    def _write_next(self) -> None:
        if self.cache is not None and self._writing is None and self._unwritten and not self._write_failed:
            chunk, self._unwritten = self._unwritten, {}
            self._writing = asyncio.ensure_future(asyncio.to_thread(self.cache.store, chunk))

    def _check_writes(self) -> None:
        """Raise what a finished write raised (a database outage), then start the next one."""
        if self._writing is not None and self._writing.done():
            writing, self._writing = self._writing, None
            self._write_failed = writing.exception() is not None
            writing.result()
        self._write_next()

    async def _drain_writes(self) -> None:
        """Wait until everything accepted so far is in the cache."""
        self._write_next()
        while self._writing is not None:
            writing = self._writing
            try:
                await writing
            except BaseException:
                self._write_failed = True
                raise
            finally:
                self._writing = None
            self._write_next()

    # -- one request, with retries --------------------------------------------------------------

    async def _wait_for_pause(self) -> None:
        while (delay := self.pause_until - self.clock()) > 0:
            await self.sleep(delay)

    async def _call(self, batch: list[str]) -> EmbeddingBatch:
        texts = [self.texts_by_hash[key] for key in batch]
        attempt = 0
        assert self.embed is not None
        while True:
            await self._wait_for_pause()
            self.counts["requests"] += 1
            try:
                return await self.embed(texts, self.options)
            except InferenceError as exc:
                if exc.kind not in RETRYABLE or attempt >= self.policy.max_retries:
                    raise
                attempt += 1
                self.counts["retries"] += 1
                wait = exc.retry_after_seconds
                if wait is None:
                    wait = self.policy.backoff_seconds * 2 ** (attempt - 1)
                self.pause_until = max(self.pause_until, self.clock() + min(max(wait, 0.0), self.policy.max_wait_seconds))

    # -- results --------------------------------------------------------------------------------

    def _accept(self, batch: list[str], result: EmbeddingBatch) -> None:
        if len(result.vectors) != len(batch):
            raise _Abort(
                InferenceError(ErrorKind.UNKNOWN, f"The endpoint returned {len(result.vectors)} vectors for {len(batch)} texts")
            )
        matrix = np.asarray(result.vectors, dtype=np.float32)
        # A service that ignores `dimensions` returns full-size vectors: cut and re-normalise.
        matrix = truncate_and_normalise(matrix, self.options.dimensions)
        finished = dict(zip(batch, matrix))
        if self.cache is not None:
            self._unwritten.update(finished)
            self._write_next()
        self.vectors.update(finished)
        self.model = result.model or self.model

    def _reject(self, batch: list[str], error: InferenceError, pending: collections.deque[list[str]]) -> None:
        splittable = error.kind in SPLITTABLE and error.status_code != UNSUPPORTED_PARAMETER_STATUS
        if splittable and len(batch) > 1:
            half = len(batch) // 2
            pending.appendleft(batch[half:])
            pending.appendleft(batch[:half])
            self.max_batch = min(self.max_batch, half)
            self.counts["splits"] += 1
            return
        if splittable and (self.vectors or self.progress.cached):
            self.failed[batch[0]] = (error.detail or error.message) + (f" (HTTP {error.status_code})" if error.status_code else "")
            return
        if splittable:
            preview = self.texts_by_hash[batch[0]][:80]
            raise _Abort(
                InferenceError(
                    error.kind,
                    f"{error.message} (text: {preview!r})",
                    error.status_code,
                    error.retry_after_seconds,
                    detail=f"{error.detail} (text: {preview!r})" if error.detail else f"text: {preview!r}",
                )
            )
        raise _Abort(error)

    def snapshot(self, in_flight: int = 0) -> JobProgress:
        return JobProgress(
            total=self.progress.total,
            cached=self.progress.cached,
            embedded=len(self.vectors),
            failed=len(self.failed),
            requests=self.counts["requests"],
            retries=self.counts["retries"],
            splits=self.counts["splits"],
            in_flight=in_flight,
            elapsed_seconds=self.clock() - self.started,
            waiting_seconds=max(0.0, self.pause_until - self.clock()),
        )

    def _report(self, in_flight: int) -> None:
        if self.on_progress is not None:
            self.on_progress(self.snapshot(in_flight))

    # -- the loop -------------------------------------------------------------------------------

    async def run(self, embed: AsyncEmbed, missing: list[str]) -> JobStatus:
        self.embed = embed
        size = self.policy.batch_size
        pending = collections.deque(missing[start : start + size] for start in range(0, len(missing), size))
        tasks: dict[asyncio.Task[EmbeddingBatch], list[str]] = {}
        try:
            while pending or tasks:
                if self.should_cancel is not None and self.should_cancel():
                    return JobStatus.CANCELLED
                while pending and len(tasks) < self.policy.concurrency:
                    batch = pending.popleft()
                    if len(batch) > self.max_batch:  # an earlier split showed the endpoint wants less
                        pending.appendleft(batch[self.max_batch :])
                        batch = batch[: self.max_batch]
                    tasks[asyncio.ensure_future(self._call(batch))] = batch
                done, _ = await asyncio.wait(tasks, timeout=TICK_SECONDS, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    batch = tasks.pop(task)
                    try:
                        result = task.result()
                    except InferenceError as exc:
                        self._reject(batch, exc, pending)
                    else:
                        self._accept(batch, result)
                self._check_writes()
                self._report(len(tasks))
            return JobStatus.COMPLETE
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            await self._drain_writes()


def _assemble(texts: Sequence[str], hashes: Sequence[str], vectors: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    indices = [position for position, key in enumerate(hashes) if key in vectors]
    if not indices:
        return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int64)
    sizes = {len(vectors[hashes[i]]) for i in indices}
    if len(sizes) > 1:
        raise InferenceError(
            ErrorKind.CONFIG,
            f"The cached vectors for these texts have different sizes ({sorted(sizes)}); clear the embedding cache for this model",
        )
    matrix = np.stack([vectors[hashes[i]] for i in indices]).astype(np.float32)
    return normalise(matrix), np.asarray(indices, dtype=np.int64)


async def run_job_async(
    source: InferenceBackend | None,
    texts: Sequence[str],
    options: EmbeddingOptions,
    *,
    cache: VectorCache | None = None,
    policy: BatchPolicy | None = None,
    on_progress: Callable[[JobProgress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> EmbeddingOutcome:
    """Vectors for `texts`, from the cache where possible; `source=None` means cache only. `clock` and
    `sleep` time the waits a rate limit asks for (tests pass their own)."""
    policy = policy or BatchPolicy()
    texts = tuple(texts)
    hashes = [text_hash(text) for text in texts]
    texts_by_hash = dict(zip(hashes, texts))
    found = cache.lookup(list(texts_by_hash)) if cache is not None else {}
    missing = [key for key in texts_by_hash if key not in found]
    job = _Job(
        texts_by_hash=texts_by_hash,
        options=options,
        policy=policy,
        cache=cache,
        progress=JobProgress(total=len(texts_by_hash), cached=len(found)),
        on_progress=on_progress,
        should_cancel=should_cancel,
        clock=clock,
        sleep=sleep,
    )
    status, error = JobStatus.COMPLETE, None
    if missing and source is not None:
        job._report(0)
        try:
            async with source.embedding_session() as embed:
                status = await job.run(embed, missing)
        except _Abort as abort:
            status, error = JobStatus.FAILED, abort.error
        except InferenceError as exc:  # the client could not even be created
            status, error = JobStatus.FAILED, exc
    elif missing:
        status = JobStatus.INCOMPLETE
    vectors, indices = _assemble(texts, hashes, {**found, **job.vectors})
    failed = tuple(FailedText(texts_by_hash[key], message) for key, message in job.failed.items())
    return EmbeddingOutcome(
        texts=texts,
        vectors=vectors,
        indices=indices,
        status=status,
        progress=job.snapshot(),
        failed=failed,
        error=error,
        model=job.model,
    )


def run_job(
    source: InferenceBackend | None,
    texts: Sequence[str],
    options: EmbeddingOptions,
    **kwargs,
) -> EmbeddingOutcome:
    """`run_job_async` on a fresh event loop in this thread (Streamlit's script thread has none)."""
    return asyncio.run(run_job_async(source, texts, options, **kwargs))
