"""Helpers for the tool, attachment and structured-output tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import wave
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from portal.chat_service import ChatService, PreparedReply, ToolStep
from portal.chat_settings import ChatSettings
from portal.inference import ChatEvent, ChatMessage, ChatOptions
from portal.inference.azure_backend import AzureInferenceBackend
from portal.settings import offline_connection
from portal.tools import REGISTRY, Tool

# -- what went over the wire -------------------------------------------------------------------------


@dataclass
class Wire:
    """The JSON bodies of the chat requests exactly as the SDK sent them over HTTP.

    Recorded with azure-core's `raw_request_hook` (a client keyword argument that the backend passes
    through to `ChatCompletionsClient`), so what is checked is what the local server received.
    """

    bodies: list[dict[str, Any]] = field(default_factory=list)

    def hook(self, pipeline_request: Any) -> None:
        request = pipeline_request.http_request
        if not request.url.split("?")[0].endswith("/chat/completions"):
            return
        body = request.body
        self.bodies.append(json.loads(body.decode() if isinstance(body, bytes) else body))

    @property
    def last(self) -> dict[str, Any]:
        assert self.bodies, "no chat request was sent"
        return self.bodies[-1]

    def tool_names(self, index: int) -> list[str]:
        return [t["function"]["name"] for t in self.bodies[index].get("tools") or []]


def wired_backend(url: str, wire: Wire, backend_class: type[AzureInferenceBackend] = AzureInferenceBackend) -> AzureInferenceBackend:
    return backend_class(offline_connection(url), chat_defaults={"raw_request_hook": wire.hook})


class ToolHungryModel(AzureInferenceBackend):
    """`local-chat` as a model that never stops asking for tools.

    `local-chat` answers in text once it has tool results; a real model may instead keep calling
    tools. While tools are offered, this backend appends a user nudge after tool results, so the real
    server (over the real SDK and HTTP) calls the tool again; without tools it sends the history as is.
    """

    NUDGE = "take the next step of the task"

    def stream_chat(self, messages: Sequence[ChatMessage], options: ChatOptions) -> Iterator[ChatEvent]:
        if options.tools and messages and messages[-1].role == "tool":
            messages = [*messages, ChatMessage(role="user", content=self.NUDGE)]
        return super().stream_chat(messages, options)


# -- driving a turn as the page does ------------------------------------------------------------------


@dataclass
class TurnLog:
    replies: list[str] = field(default_factory=list)  # the streamed text of every reply, in order
    outcomes: list[Any] = field(default_factory=list)
    tool_steps: list[ToolStep] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # "reply" / "tools"

    @property
    def final_text(self) -> str:
        return self.replies[-1]

    @property
    def results(self):
        return [result for step in self.tool_steps for result in step.results]


def run_turn(service: ChatService, conversation_id: str, settings: ChatSettings) -> TurnLog:
    """Consume `ChatService.turn` like `components/reply_view.stream_turn`: stream each reply to the end."""
    log = TurnLog()
    for step in service.turn(conversation_id, settings, max_retries=0):
        if isinstance(step, ToolStep):
            log.tool_steps.append(step)
            log.order.append("tools")
            continue
        assert isinstance(step, PreparedReply)
        try:
            log.replies.append("".join(step.stream))  # what st.write_stream would show
        finally:
            step.stream.close()
        log.outcomes.append(step.stream.outcome)
        log.order.append("reply")
    return log


def ask(service: ChatService, text: str, settings: ChatSettings, conversation_id: str | None = None, **kwargs: Any):
    """Commit a user message and run the turn; returns (conversation id, TurnLog)."""
    message = service.add_user_message(conversation_id, text, settings, **kwargs)
    return message.conversation_id, run_turn(service, message.conversation_id, settings)


# -- tools registered for one test ---------------------------------------------------------------------


@contextlib.contextmanager
def temporary_tool(name: str, description: str, parameters: dict[str, Any], function: Callable[..., Any]) -> Iterator[Tool]:
    """Register a tool in the app's REGISTRY (what ChatService and the page use) and remove it after."""
    item = REGISTRY.register(Tool(name, description, parameters, function))
    try:
        yield item
    finally:
        REGISTRY.tools.pop(name, None)


def failing_weather(context: Any, city: str) -> dict[str, Any]:
    raise RuntimeError(f"the weather service for {city} is unreachable")


FAILING_TOOL = (
    "flaky_weather",
    "Get the weather forecast for a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    failing_weather,
)
# local-chat fills arguments from the user's words and ignores `pattern`, as real models sometimes do.
STRICT_TOOL = (
    "postcode_lookup",
    "Look up the postcode of a town.",
    {"type": "object", "properties": {"postcode": {"type": "string", "pattern": "^[0-9]{5}$"}}, "required": ["postcode"]},
    lambda context, postcode: {"postcode": postcode, "town": "somewhere"},
)
STEP_TOOL = (
    "next_step",
    "Take the next step of a long task.",
    {"type": "object", "properties": {"task": {"type": "string"}}, "required": ["task"]},
    lambda context, task: {"task": task, "done": False},
)


# -- files -----------------------------------------------------------------------------------------------


def image_bytes(size: tuple[int, int] = (2, 3), colour: Any = (200, 30, 30), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def decoded_image(data_url: str) -> Image.Image:
    header, _, payload = data_url.partition(",")
    assert header.startswith("data:image/") and header.endswith(";base64"), header
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    image.load()
    return image
