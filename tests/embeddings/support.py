"""Helpers for the embeddings tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from localserver import RunningServer


def embeddings_requests(server: RunningServer, status: int | None = None) -> int:
    return server.state.count(operation="embeddings", status=status)


def inputs_sent(server: RunningServer, status: int = 200) -> int:
    """How many texts the server embedded successfully (sum of inputs over 200 responses)."""
    return sum(r.inputs for r in server.state.requests if r.operation == "embeddings" and r.status == status)


def plotly_array(value: Any) -> np.ndarray:
    """A figure JSON array: plotly >= 6 writes numeric arrays as {"dtype", "bdata"} (base64)."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = [int(part) for part in shape.split(",")]
        return array.reshape(shape) if shape else array
    return np.asarray(value)


def topic_texts(count: int) -> list[str]:
    topics = ["cats purr and chase mice", "stock markets fell sharply", "football match ended in a draw", "bake bread with yeast"]
    return [f"{topics[i % len(topics)]} number {i}" for i in range(count)]
