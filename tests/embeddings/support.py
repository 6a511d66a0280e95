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


# Paraphrase pairs with few or no words in common: a model of meaning puts each text's partner first
# among its neighbours, a lexical one (local-embed) mostly does not.
PARAPHRASE_PAIRS = (
    ("The cat sat on the mat.", "A kitten is sitting on a rug."),
    ("How do I reset my password?", "I forgot my login and need new credentials."),
    ("The stock market crashed today.", "Share prices plunged this afternoon."),
    ("She is cooking dinner in the kitchen.", "A woman prepares an evening meal at the stove."),
    ("My car would not start this morning.", "The vehicle's engine failed to turn over at dawn."),
    ("It is raining heavily outside.", "There is a downpour out there."),
    ("Children are playing football in the park.", "Kids kick a ball around on the grass."),
    ("He bought a new laptop yesterday.", "Yesterday he purchased a brand-new notebook computer."),
    ("The flight was delayed by three hours.", "Our plane took off three hours late."),
    ("I am feeling very tired.", "I'm exhausted."),
)
PARAPHRASES = [text for pair in PARAPHRASE_PAIRS for text in pair]  # text i's partner is text i ^ 1
