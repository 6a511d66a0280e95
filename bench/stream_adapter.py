"""Benchmark 1: the app's streaming adapter vs a bare SDK loop over the same 4,000-chunk reply, through
azure-ai-inference, through the openai package's Chat Completions (Foundry's OpenAI v1 API), and through
its Responses API (4,000 `response.output_text.delta` events).

The bare loops ask for what the backend asks for (`stream_options.include_usage`; `store=false`), so
that both read the same bytes."""

from __future__ import annotations

import time

import openai
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import UserMessage

from localserver import ServerConfig, start
from portal.inference import ChatMessage, ChatOptions, InferenceBackend, make_backend
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


def bare_openai_loop(client: openai.OpenAI, chunks_wanted: int = CHUNKS) -> tuple[float, int]:
    started = time.perf_counter()
    chunks = 0
    stream = client.chat.completions.create(
        model="local-chat", messages=[{"role": "user", "content": prompt(chunks_wanted)}], stream=True, stream_options={"include_usage": True}
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            chunks += 1
    return (time.perf_counter() - started) * 1000, chunks


def bare_responses_loop(client: openai.OpenAI, deltas_wanted: int = CHUNKS) -> tuple[float, int]:
    started = time.perf_counter()
    deltas = 0
    for event in client.responses.create(model="local-chat", input=prompt(deltas_wanted), stream=True, store=False):
        if event.type == "response.output_text.delta":
            deltas += 1
    return (time.perf_counter() - started) * 1000, deltas


def adapter_loop(backend: InferenceBackend, chunks_wanted: int = CHUNKS) -> tuple[float, int]:
    started = time.perf_counter()
    messages = [ChatMessage("user", prompt(chunks_wanted))]
    stream = ReplyStream(lambda: backend.stream_chat(messages, ChatOptions()), on_finish=lambda outcome: None, on_flush=lambda text: None)
    chunks = sum(1 for _ in stream)
    return (time.perf_counter() - started) * 1000, chunks


def _compare(bare_run, adapter_run, wanted: int, repeats: int) -> tuple[list[float], list[float]]:
    bare_run(wanted), adapter_run(wanted)  # warm up connections and imports
    bare, adapter = [], []
    for _ in range(repeats):  # interleaved so that machine noise hits both alike
        elapsed, chunks = bare_run(wanted)
        assert chunks == wanted, chunks
        bare.append(elapsed)
        elapsed, chunks = adapter_run(wanted)
        assert chunks == wanted, chunks
        adapter.append(elapsed)
    return bare, adapter


def run(repeats: int = 7, quick: bool = False) -> list[Result]:
    wanted, repeats = (200, 2) if quick else (CHUNKS, repeats)
    server = start(config=ServerConfig(words_per_second=0))
    results = []
    try:
        v1 = openai.OpenAI(base_url=server.url + "/openai/v1", api_key="unused", max_retries=0)
        sdks = (
            ("azure-ai-inference", ChatCompletionsClient(server.url, ""), bare_loop, "azure-ai-inference", "chat_completions"),  # "": no auth
            ("openai", v1, bare_openai_loop, "openai", "chat_completions"),
            ("openai Responses API", v1, bare_responses_loop, "openai", "responses"),
        )
        for label, client, bare_run, api, wire in sdks:
            backend = make_backend(offline_connection(server.url, api, wire))
            bare, adapter = _compare(lambda n, c=client, f=bare_run: f(c, n), lambda n, b=backend: adapter_loop(b, n), wanted, repeats)
            ratio = median(adapter) / median(bare)
            name = f"streaming adapter, {wanted:,}-chunk reply, {label} (median of {repeats})"
            results.append(Result(1, name, median(adapter), "ms", "≤ 1.05x bare SDK loop", ratio <= 1.05, baseline=median(bare), ratio=ratio))
            backend.close()
    finally:
        server.stop()
    return results
