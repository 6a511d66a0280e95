"""Short labels for clusters: from their most distinctive words (class-based TF-IDF), or, when asked,
written by the connection's chat model from a few representative texts of each cluster.

All texts of a cluster are one document; a word scores by how often it appears in that cluster
(relative to the cluster's size) times how rare it is across clusters, `log(1 + A / f)` with `A`
the average number of words per cluster and `f` the word's count over all clusters (the c-TF-IDF
of BERTopic). English stop words and words shorter than three letters are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from portal.inference import InferenceBackend

LABEL_WORDS = 3
WORD_PATTERN = r"(?u)\b[^\W\d_]{3,}\b"  # letters only: no numbers, ids or underscores


def cluster_labels(texts: Sequence[str], clusters: Sequence[int] | np.ndarray, words: int = LABEL_WORDS) -> dict[int, str]:
    """Each cluster id's label: its `words` most distinctive words, best first, joined by ", "
    ("" for a cluster with no usable word)."""
    from sklearn.feature_extraction.text import CountVectorizer

    clusters = np.asarray(clusters)
    ids = sorted(int(c) for c in set(clusters.tolist()))
    documents = [" ".join(texts[int(i)] for i in np.flatnonzero(clusters == cluster)) for cluster in ids]
    vectorizer = CountVectorizer(stop_words="english", token_pattern=WORD_PATTERN, lowercase=True)
    try:
        counts = vectorizer.fit_transform(documents).toarray().astype(np.float64)
    except ValueError:  # no word survives (only numbers or stop words)
        return {cluster: "" for cluster in ids}
    vocabulary = vectorizer.get_feature_names_out()
    per_cluster = counts.sum(axis=1, keepdims=True)
    term_frequency = counts / np.where(per_cluster == 0, 1, per_cluster)
    idf = np.log(1 + counts.sum(axis=1).mean() / counts.sum(axis=0))
    scores = term_frequency * idf
    labels = {}
    for row, cluster in enumerate(ids):
        best = [column for column in np.argsort(-scores[row], kind="stable")[:words] if scores[row, column] > 0]
        labels[cluster] = ", ".join(str(vocabulary[column]) for column in best)
    return labels


REPRESENTATIVES = 5  # texts per cluster shown to the model
REPRESENTATIVE_CHARS = 300
LABEL_MAX_CHARS = 40
_NAMING_PROMPT = (
    "Here are {count} texts from one group of a larger collection. Reply with a name for what the group "
    "is about, in 2 to 4 words, and nothing else.\n\n{texts}"
)


def representatives(vectors: np.ndarray, clusters: Sequence[int] | np.ndarray, cluster: int, count: int = REPRESENTATIVES) -> list[int]:
    """The rows of `cluster` closest to its centroid (cosine), most central first."""
    clusters = np.asarray(clusters)
    members = np.flatnonzero(clusters == cluster)
    if len(members) == 0:
        return []
    unit = vectors[members] / np.maximum(np.linalg.norm(vectors[members], axis=1, keepdims=True), 1e-12)
    centre = unit.mean(axis=0)
    order = np.argsort(-(unit @ centre), kind="stable")[:count]
    return [int(members[i]) for i in order]


def clean_label(reply: str) -> str:
    """A model's answer as a short label: its first non-empty line, without quotes, list marks or a
    final full stop, cut to LABEL_MAX_CHARS."""
    line = next((part.strip() for part in reply.splitlines() if part.strip()), "")
    line = re.sub(r"^(?:[-*#>\d.)\s]+|name\s*:\s*|label\s*:\s*)", "", line, flags=re.IGNORECASE).strip().strip("\"'`*“”‘’").rstrip(".").strip()
    return line if len(line) <= LABEL_MAX_CHARS else line[: LABEL_MAX_CHARS - 1].rstrip() + "…"


def model_written_labels(
    backend: InferenceBackend,
    model: str | None,
    texts: Sequence[str],
    vectors: np.ndarray,
    clusters: Sequence[int] | np.ndarray,
) -> dict[int, str]:
    """Each cluster's label as the chat `model` writes it from the cluster's most central texts: one
    request per cluster (points in no cluster, id < 0, get none). Raises InferenceError when a
    request fails; the caller says so and keeps the word-based labels."""
    from portal.inference.types import ChatMessage, ChatOptions

    labels: dict[int, str] = {}
    for cluster in sorted({int(c) for c in np.asarray(clusters).tolist() if int(c) >= 0}):
        rows = representatives(vectors, clusters, cluster)
        listed = "\n".join(f"{number}. {texts[row][:REPRESENTATIVE_CHARS]}" for number, row in enumerate(rows, 1))
        prompt = _NAMING_PROMPT.format(count=len(rows), texts=listed)
        reply = backend.complete_chat([ChatMessage("user", prompt)], ChatOptions(model=model, temperature=0.2, max_tokens=20))
        labels[cluster] = clean_label(reply.content)
    return labels
