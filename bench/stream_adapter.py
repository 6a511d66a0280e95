"""Benchmark 1: the app's streaming adapter vs a bare SDK loop over the same 4,000-chunk reply."""

from __future__ import annotations

import time

from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import UserMessage

from localserver import ServerConfig, start
from portal.azure_backend import AzureInferenceBackend
from portal.backend import ChatMessage, ChatOptions
from portal.reply_stream import ReplyStream
from portal.settings import offline_connection

from .common import Result, median

CHUNKS = 4000


def prompt(chunks: int) -> str:
    return f"benchmark /long {chunks} /slow 0"


def bare_loop(client: ChatCompletionsClient, chunks_wanted: int = CHUNKS) -> tuple[float, int]:
    started = time.perf_counter()
    chunks = 0
    for update in client.complete(stream=True, messages=[UserMessage(prompt(chunks_wanted))]):
        if update.choices and update.choices[0].delta.content:
            chunks += 1
    return (time.perf_counter() - started) * 1000, chunks


def adapter_loop(backend: AzureInferenceBackend, chunks_wanted: int = CHUNKS) -> tuple[float, int]:
    started = time.perf_counter()
    messages = [ChatMessage("user", prompt(chunks_wanted))]
    stream = ReplyStream(lambda: backend.stream_chat(messages, ChatOptions()), on_finish=lambda outcome: None, on_flush=lambda text: None)
    chunks = sum(1 for _ in stream)
    return (time.perf_counter() - started) * 1000, chunks


def run(repeats: int = 7, quick: bool = False) -> list[Result]:
    wanted, repeats = (200, 2) if quick else (CHUNKS, repeats)
    server = start(config=ServerConfig(words_per_second=0))
    try:
        client = ChatCompletionsClient(server.url, "")  # no auth header: the local server accepts all
        backend = AzureInferenceBackend(offline_connection(server.url))
        bare_loop(client, wanted), adapter_loop(backend, wanted)  # warm up connections and imports
        bare, adapter = [], []
        for _ in range(repeats):  # interleaved so that machine noise hits both alike
            elapsed, chunks = bare_loop(client, wanted)
            assert chunks == wanted, chunks
            bare.append(elapsed)
            elapsed, chunks = adapter_loop(backend, wanted)
            assert chunks == wanted, chunks
            adapter.append(elapsed)
    finally:
        server.stop()
    ratio = median(adapter) / median(bare)
    return [
        Result(1, f"streaming adapter, {wanted:,}-chunk reply (median of {repeats})", median(adapter), "ms", "≤ 1.05x bare SDK loop", ratio <= 1.05, baseline=median(bare), ratio=ratio)
    ]
