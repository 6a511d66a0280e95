"""Cluster labels from each cluster's most distinctive words (c-TF-IDF), on a corpus of four topics."""

from __future__ import annotations

from collections import Counter

from localserver.embedding_models import embed_texts
from portal.cluster_labels import cluster_labels
from portal.projections import kmeans_clusters

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
