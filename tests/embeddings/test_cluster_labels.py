"""Cluster labels from each cluster's most distinctive words (c-TF-IDF), on a corpus of four topics."""

from __future__ import annotations

from collections import Counter

import numpy as np

from localserver.embedding_models import embed_texts
from portal.cluster_labels import (
    LABEL_MAX_CHARS,
    REPRESENTATIVES,
    clean_label,
    cluster_labels,
    model_written_labels,
    representatives,
)
from portal.inference import make_backend
from portal.projections import UNCLUSTERED, hdbscan_clusters, kmeans_clusters
from portal.settings import offline_connection

TOPICS = {
    "football": [
        "The football match ended with a late goal.",
        "Our football team won the league match.",
        "The striker scored a goal in the football final.",
        "Fans sang as the football team left the pitch.",
        "A red card changed the football match.",
        "The goal keeper saved a penalty in the match.",
    ],
    "baking": [
        "Knead the bread dough and let the yeast rise.",
        "Bake the bread in a hot oven for forty minutes.",
        "Fresh yeast makes the bread dough rise faster.",
        "The oven bakes sourdough bread with a dark crust.",
        "Flour, water, yeast and salt make bread dough.",
        "Let the dough rest before it goes in the oven.",
    ],
    "markets": [
        "Stock markets fell as investors sold shares.",
        "Shares in the bank rose after strong earnings.",
        "Investors bought shares when the stock market opened.",
        "Quarterly earnings lifted the company's stock price.",
        "The stock market closed higher on bank earnings.",
        "Investors worry that shares are overpriced.",
    ],
    "astronomy": [
        "The telescope photographed a distant galaxy.",
        "Astronomers found a planet orbiting a nearby star.",
        "A galaxy collision lit up the telescope images.",
        "The star exploded as a supernova in the galaxy.",
        "A new telescope will search for planets around stars.",
        "Astronomers measured the planet's orbit around its star.",
    ],
}
TOPIC_WORDS = {
    "football": {"football", "match", "goal", "team", "league", "striker", "pitch"},
    "baking": {"bread", "dough", "yeast", "oven", "bake", "bakes", "flour", "sourdough"},
    "markets": {"stock", "shares", "investors", "earnings", "market", "markets", "bank"},
    "astronomy": {"telescope", "galaxy", "planet", "star", "stars", "astronomers", "planets", "orbit"},
}


def test_each_cluster_is_labelled_with_words_of_its_topic():
    texts = [text for sentences in TOPICS.values() for text in sentences]
    topics = [topic for topic, sentences in TOPICS.items() for _ in sentences]
    clusters = kmeans_clusters(embed_texts(texts, 384), len(TOPICS))

    labels = cluster_labels(texts, clusters)

    assert sorted(labels) == list(range(len(TOPICS)))
    for cluster, label in labels.items():
        members = Counter(topic for topic, c in zip(topics, clusters) if c == cluster)
        topic = members.most_common(1)[0][0]
        words = label.split(", ")
        assert len(words) == 3 and words[0] in TOPIC_WORDS[topic], (cluster, members, label)


def test_the_true_topics_get_their_own_words_and_stop_words_never_count():
    texts = [text for sentences in TOPICS.values() for text in sentences]
    clusters = [index for index, sentences in enumerate(TOPICS.values()) for _ in sentences]

    labels = cluster_labels(texts, clusters)

    for index, topic in enumerate(TOPICS):
        assert set(labels[index].split(", ")) <= TOPIC_WORDS[topic], (topic, labels[index])
    assert cluster_labels(["the and of", "12 34"], [0, 1]) == {0: "", 1: ""}


def test_a_word_every_cluster_uses_is_not_distinctive():
    # "news" is the most frequent word of every cluster; by frequency alone it would name them all.
    texts = [f"news news {text}" for sentences in TOPICS.values() for text in sentences]
    clusters = [index for index, sentences in enumerate(TOPICS.values()) for _ in sentences]

    labels = cluster_labels(texts, clusters)

    assert all("news" not in label.split(", ") for label in labels.values()), labels
    assert all(label.split(", ")[0] in TOPIC_WORDS[topic] for label, topic in zip(labels.values(), TOPICS))


# -- HDBSCAN: dense groups found without a k -------------------------------------------------------


def _blobs(sizes: tuple[int, ...], outliers: int = 0, dimensions: int = 16, seed: int = 5):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 20, (len(sizes), dimensions))
    vectors = np.vstack([centres[i] + rng.normal(0, 1, (size, dimensions)) for i, size in enumerate(sizes)])
    truth = np.repeat(np.arange(len(sizes)), sizes)
    if outliers:
        vectors = np.vstack([vectors, rng.uniform(-200, 200, (outliers, dimensions))])
        truth = np.concatenate([truth, np.full(outliers, -1)])
    return vectors.astype(np.float32), truth


def test_hdbscan_finds_the_dense_groups_biggest_first_and_leaves_outliers_out():
    vectors, truth = _blobs((120, 80, 40), outliers=6)

    clusters = hdbscan_clusters(vectors)

    assert sorted(set(clusters.tolist()) - {UNCLUSTERED}) == [0, 1, 2]
    for group, expected in zip(range(3), (0, 1, 2)):  # numbered by size: the 120 are cluster 0
        assert set(clusters[truth == group].tolist()) == {expected}
    assert (clusters[truth == -1] == UNCLUSTERED).sum() >= 4  # far-away points are in no group


def test_hdbscan_above_its_fit_size_puts_every_other_point_with_its_nearest_sampled_neighbour(monkeypatch):
    import portal.projections as projections

    monkeypatch.setattr(projections, "HDBSCAN_MAX_FIT", 150)
    vectors, truth = _blobs((300, 200, 100))

    clusters = hdbscan_clusters(vectors)

    assert len(clusters) == 600
    for group, expected in zip(range(3), (0, 1, 2)):
        assert set(clusters[truth == group].tolist()) == {expected}


def test_hdbscan_groups_get_word_labels_and_unclustered_points_none():
    texts = [text for sentences in TOPICS.values() for text in sentences]
    clusters = np.array([index for index, sentences in enumerate(TOPICS.values()) for _ in sentences])
    clusters[0] = UNCLUSTERED

    labels = cluster_labels(texts, clusters)

    assert labels[1].split(", ")[0] in TOPIC_WORDS["baking"]
    assert set(labels) == {UNCLUSTERED, 0, 1, 2, 3}  # the page shows no name for UNCLUSTERED


# -- names written by the chat model ---------------------------------------------------------------


class RecordingBackend:
    """The real backend, with the chat requests it was given kept for the test to read."""

    def __init__(self, backend):
        self._backend = backend
        self.requests: list[tuple[list, object]] = []

    def complete_chat(self, messages, options):
        self.requests.append((list(messages), options))
        return self._backend.complete_chat(messages, options)


def test_representatives_are_the_texts_closest_to_their_cluster_centre():
    vectors = np.array([[1, 0], [0.9, 0.1], [0.2, 0.8], [0, 1], [0.95, 0.05]], dtype=np.float32)
    clusters = np.array([0, 0, 0, 1, 0])

    assert set(representatives(vectors, clusters, 0, count=2)) == {1, 4}
    assert representatives(vectors, clusters, 0)[-1] == 2  # the outlier [0.2, 0.8] comes last
    assert representatives(vectors, clusters, 1) == [3]
    assert representatives(vectors, clusters, 7) == []


def test_the_chat_model_names_each_cluster_from_its_central_texts(start_server):
    server = start_server()
    backend = make_backend(offline_connection(server.url, "openai"))
    recording = RecordingBackend(backend)
    texts = [text for sentences in TOPICS.values() for text in sentences]
    clusters = np.array([index for index, sentences in enumerate(TOPICS.values()) for _ in sentences])
    clusters[-1] = UNCLUSTERED
    try:
        labels = model_written_labels(recording, "local-chat", texts, embed_texts(texts, 384), clusters)
    finally:
        backend.close()

    assert sorted(labels) == [0, 1, 2, 3]  # one name per cluster, none for the unclustered point
    assert server.state.count("chat") == 4 and len(recording.requests) == 4  # one request per cluster
    for cluster, (messages, options) in enumerate(recording.requests):
        prompt = messages[0].content
        assert "in 2 to 4 words" in prompt and options.model == "local-chat"
        sent = [text for text in texts if text in prompt]
        assert len(sent) == REPRESENTATIVES and all(clusters[texts.index(text)] == cluster for text in sent)
    assert all(0 < len(label) <= LABEL_MAX_CHARS and "\n" not in label for label in labels.values())


def test_a_reply_becomes_a_short_one_line_label():
    assert clean_label('"Customer refunds."\nThese texts are about…') == "Customer refunds"
    assert clean_label("1. Login problems") == "Login problems"
    assert clean_label("Name: Sports results") == "Sports results"
    assert clean_label("  \n ") == ""
    assert len(clean_label("word " * 40)) == LABEL_MAX_CHARS and clean_label("word " * 40).endswith("…")
