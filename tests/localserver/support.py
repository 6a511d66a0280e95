"""Helpers shared by the local-server tests: media made on the fly, a canary HTTP listener, vector maths."""

from __future__ import annotations

import base64
import io
import math
import threading
import uuid
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
from azure.ai.inference.models import ChatCompletionsToolDefinition, FunctionDefinition
from PIL import Image

API_KEY = "unused-by-the-no-auth-server"
PHRASES = ["first phrase", "second phrase", "third phrase"]
WEATHER_TOOL = ChatCompletionsToolDefinition(
    function=FunctionDefinition(
        name="get_weather",
        description="Returns the current weather in a given city",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
)
CALCULATOR_TOOL = ChatCompletionsToolDefinition(
    function=FunctionDefinition(
        name="calculate",
        description="Evaluates an arithmetic expression",
        parameters={"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
    )
)
TWO_TOOL_PROMPT = "What is the weather in Seattle and what is 12*7?"

DISTANCE_SCHEMA = {
    "type": "object",
    "properties": {
        "distances": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "location1": {"type": "string"},
                    "location2": {"type": "string"},
                    "distance": {"type": "integer"},
                },
                "required": ["location1", "location2", "distance"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["distances"],
    "additionalProperties": False,
}


def png_bytes(width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png_data_url(width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30)) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(width, height, colour)).decode("ascii")


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def unique(text: str) -> str:
    """`text` plus a marker word, so that `/fault ...xN` counters and replies are per test run."""
    return f"{text} marker{uuid.uuid4().hex[:10]}"


def cosine(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def decode_base64_floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


def is_finite_vector(values) -> bool:
    return all(math.isfinite(v) for v in values)


class Canary:
    """A plain HTTP listener that records every request it gets: proof that something was (not) fetched."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                canary.hits.append(self.path)
                body = png_bytes(5, 5)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Canary:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def wav_b64(seconds: float) -> str:
    return base64.b64encode(wav_bytes(seconds)).decode("ascii")
