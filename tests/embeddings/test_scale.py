"""10,000 short texts end to end through the local server: batched, concurrent, cached, projected.

No timing assertions (speed belongs in benchmarks); only that it completes and the counts add up.
"""

from __future__ import annotations

import numpy as np

from portal.embedding_explorer import EmbeddingSpec
from portal.embedding_export import points_table
from portal.embedding_jobs import BatchPolicy, JobStatus
from portal.projections import PCA, kmeans_clusters, project
from portal.similarity import nearest_neighbours
from tests.embeddings.support import embeddings_requests, inputs_sent, topic_texts

COUNT = 10_000


def test_ten_thousand_texts_embed_project_cluster_and_export(start_server, explorer_for):
    server = start_server()
    explorer = explorer_for(server)
    texts = topic_texts(COUNT)
    spec = EmbeddingSpec(model="local-embed")

    outcome = explorer.embed(texts, spec, policy=BatchPolicy(batch_size=128, concurrency=4))

    assert outcome.status == JobStatus.COMPLETE and outcome.vectors.shape == (COUNT, 384)
    assert inputs_sent(server) == COUNT
    assert embeddings_requests(server) == -(-COUNT // 128)
    reloaded = explorer.load(texts, spec)
    assert reloaded.status == JobStatus.COMPLETE and np.array_equal(reloaded.vectors, outcome.vectors)
    assert embeddings_requests(server) == -(-COUNT // 128)  # the reload made no request

    projection = project(outcome.vectors, PCA, dims=2)
    clusters = kmeans_clusters(outcome.vectors, 8)
    rows, scores = nearest_neighbours(outcome.vectors, 3)
    table = points_table(texts, None, clusters, projection, rows, scores)

    assert projection.coords.shape == (COUNT, 2) and np.isfinite(projection.coords).all()
    assert len(set(clusters.tolist())) == 8
    assert rows.shape == (COUNT, 3) and len(table) == COUNT
    # Texts of one topic are each other's nearest neighbours.
    assert all(texts[i].split(" number")[0] == texts[rows[i, 0]].split(" number")[0] for i in range(0, COUNT, 97))
