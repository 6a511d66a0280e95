"""Run an embedding job with a progress bar, and tell the user what an interrupted job kept.

Cancelling is a rerun: pressing "Cancel" (or "Stop", or any widget) makes Streamlit raise a
control exception at the next UI update inside the progress callback, which ends the job. Each
finished batch is already in the database cache, so nothing is lost; the `RUNNING` marker set
before the job is still there on the next run, which is how the page knows to report it.
"""

from __future__ import annotations

import time

import streamlit as st

from portal.embedding_explorer import EmbeddingExplorer, EmbeddingSpec
from portal.embedding_jobs import BatchPolicy, EmbeddingOutcome, JobProgress, JobStatus
from portal.text_inputs import TextSet

from . import embedding_state as keys

UI_UPDATE_SECONDS = 0.2
COMPARE_BUTTON = "Compare models"  # the button that embeds the second model of a comparison


def report_interrupted(explorer: EmbeddingExplorer) -> None:
    """If the last run's job never finished, say how many texts it kept (and that Embed resumes)."""
    running = st.session_state.get(keys.RUNNING)
    if running is None:
        return
    text_set, spec = running
    kept = explorer.kept_count(text_set.texts, spec)  # with the database away this raises, and the report waits
    st.session_state.pop(keys.RUNNING, None)
    total = len(set(text_set.texts))
    how = "cancelled" if st.session_state.get(keys.CANCEL) else "interrupted"
    comparing = st.session_state.get(keys.COMPARISON)
    again = COMPARE_BUTTON if comparing is not None and comparing[2] == spec else "Embed"
    st.warning(
        f"The embedding run was {how}: {kept:,} of {total:,} texts were embedded and kept in the cache. "
        f"Press **{again}** again to embed only the rest.",
        icon=":material/pause_circle:",
    )


def embed_with_progress(
    explorer: EmbeddingExplorer, text_set: TextSet, spec: EmbeddingSpec, policy: BatchPolicy
) -> EmbeddingOutcome:
    """Embed the corpus the views show (it becomes `CORPUS` as the job starts)."""
    st.session_state[keys.CORPUS] = (text_set, spec)
    return run_with_progress(explorer, text_set, spec, policy)


def run_with_progress(
    explorer: EmbeddingExplorer, text_set: TextSet, spec: EmbeddingSpec, policy: BatchPolicy
) -> EmbeddingOutcome:
    """One embedding job with its progress bar and Cancel, then its summary (the corpus's, or a second
    model's for a comparison: the same job, cache and interruption report)."""
    st.session_state[keys.RUNNING] = (text_set, spec)
    live = st.empty()  # the progress bar and Cancel: only while the job runs
    with live.container():
        bar = st.progress(0.0, text="Looking up the cache…")
        st.button("Cancel", key=keys.CANCEL, help="Stops the job; every finished batch is kept.")
    last_update = 0.0

    def on_progress(progress: JobProgress) -> None:
        nonlocal last_update
        now = time.monotonic()
        if now - last_update >= UI_UPDATE_SECONDS or progress.done == progress.total:
            last_update = now
            bar.progress(progress.fraction, text=progress.describe())

    outcome = explorer.embed(text_set.texts, spec, policy=policy, on_progress=on_progress)
    st.session_state.pop(keys.RUNNING, None)
    live.empty()  # a finished run leaves its summary, not a full bar and a Cancel button that do nothing
    report_outcome(outcome)
    return outcome


def report_outcome(outcome: EmbeddingOutcome) -> None:
    progress = outcome.progress
    if outcome.status == JobStatus.COMPLETE and not outcome.failed:
        detail = f"{progress.embedded:,} embedded, {progress.cached:,} from the cache"
        if progress.retries or progress.splits:
            detail += f"; {progress.retries:,} rate-limit retries, {progress.splits:,} batches split"
        st.success(
            f"Embedded {len(outcome.indices):,} texts ({detail}; {progress.requests:,} requests).", icon=":material/check:"
        )
    elif outcome.status == JobStatus.CANCELLED:
        st.warning(f"Cancelled: {len(outcome.indices):,} of {len(outcome.texts):,} texts have vectors and were kept.")
    if outcome.error is not None:
        st.error(
            f"{outcome.error.user_message()} {len(outcome.indices):,} of {len(outcome.texts):,} texts have vectors and were kept."
        )
    if outcome.failed:
        with st.expander(f"{len(outcome.failed):,} texts were rejected by the endpoint", icon=":material/error:"):
            for failure in outcome.failed[:50]:
                st.markdown(f"- `{failure.text[:120]}`: {failure.message}")
