"""Short labels for k-means clusters from their most distinctive words (class-based TF-IDF).

All texts of a cluster are one document; a word scores by how often it appears in that cluster
(relative to the cluster's size) times how rare it is across clusters, `log(1 + A / f)` with `A`
the average number of words per cluster and `f` the word's count over all clusters (the c-TF-IDF
of BERTopic). English stop words and words shorter than three letters are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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
