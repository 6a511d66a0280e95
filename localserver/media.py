"""Describing image and audio message parts without ever fetching anything.

Data URLs are decoded locally; a remote URL is named, never requested (the server must work with no
network and must not be turned into a proxy).
"""

from __future__ import annotations

import base64
import binascii
import io
import wave
from urllib.parse import urlparse

from PIL import Image, UnidentifiedImageError

_COLOUR_NAMES = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "grey": (128, 128, 128),
    "red": (200, 30, 30),
    "green": (40, 160, 60),
    "blue": (40, 80, 200),
    "yellow": (230, 210, 40),
    "orange": (240, 140, 30),
    "purple": (130, 50, 160),
    "brown": (120, 80, 40),
    "pink": (240, 150, 180),
    "cyan": (40, 200, 210),
}


def decode_data_url(url: str) -> tuple[str, bytes] | None:
    """`data:<mime>;base64,<data>` -> (mime, bytes); None when it is not a base64 data URL."""
    if not url.startswith("data:") or "," not in url:
        return None
    header, _, payload = url.partition(",")
    if not header.endswith(";base64"):
        return None
    try:
        return header[5:-7], base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return None


def load_image(data: bytes) -> Image.Image | None:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def nearest_colour_name(rgb: tuple[float, ...]) -> str:
    return min(_COLOUR_NAMES, key=lambda name: sum((a - b) ** 2 for a, b in zip(rgb, _COLOUR_NAMES[name])))


def describe_image_url(url: str, detail: str | None = None) -> str:
    decoded = decode_data_url(url)
    if decoded is None:
        try:
            host = urlparse(url).hostname or "an unknown host"
        except ValueError:  # e.g. an unbalanced IPv6 bracket
            host = "an unknown host"
        return f"an image at {host} that I did not fetch (only data URLs are read offline)"
    _, data = decoded
    image = load_image(data)
    if image is None:
        return f"an attachment of {len(data)} bytes that is not a readable image"
    small = image.convert("RGB").resize((1, 1), Image.Resampling.BOX)
    pixel = small.getpixel((0, 0))
    assert isinstance(pixel, tuple), "an RGB image's pixel is an (r, g, b) tuple"
    colour = nearest_colour_name(pixel)
    detail_note = f", detail {detail}" if detail else ""
    return f"a {image.width}x{image.height} {image.format or 'image'} image, mostly {colour}{detail_note}"


def describe_audio(data_b64: str, audio_format: str | None) -> str:
    try:
        data = base64.b64decode(data_b64, validate=False)
    except (binascii.Error, ValueError):
        return "an audio clip that could not be decoded"
    fmt = (audio_format or "audio").lower()
    if fmt == "wav":
        try:
            with wave.open(io.BytesIO(data)) as clip:
                seconds = clip.getnframes() / float(clip.getframerate() or 1)
            return f"a {seconds:.1f} second wav audio clip"
        except (wave.Error, EOFError):
            pass
    return f"a {fmt} audio clip of {len(data)} bytes"
