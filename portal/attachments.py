"""Checking and preparing files attached to a chat message: images (and audio) as message parts.

Images are opened with Pillow to prove they are images (a text file renamed .png is refused),
downscaled so the long side is at most MAX_IMAGE_SIDE, and re-encoded as a data URL; nothing is
fetched and nothing but the prepared part is kept.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

MEGABYTE = 1024 * 1024
MAX_UPLOAD_BYTES = 20 * MEGABYTE
MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAX_IMAGE_SIDE = 1568
IMAGE_TYPES = ("png", "jpg", "jpeg", "gif", "webp")
AUDIO_TYPES = ("wav", "mp3")
DETAIL_OPTIONS = ("auto", "low", "high")


class AttachmentError(ValueError):
    """The file cannot be attached; the message says why."""


@dataclass(frozen=True)
class PreparedAttachment:
    part: dict[str, Any]  # the message part sent to the model and stored with the message
    description: str  # e.g. "photo.png, 800x600 (downscaled from 4000x3000)"


def _too_big(name: str, data: bytes) -> str:
    # In MiB, like the chat input's max_upload_size: 20 MB is the limit the page states.
    return f"{name} is {len(data) / MEGABYTE:.1f} MB; the limit is {MAX_UPLOAD_BYTES // MEGABYTE} MB."


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def prepare_image(name: str, data: bytes, detail: str = "auto") -> PreparedAttachment:
    if len(data) > MAX_UPLOAD_BYTES:
        raise AttachmentError(_too_big(name, data))
    if not data:
        raise AttachmentError(f"{name} is empty.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise AttachmentError(f"{name} is {width}x{height} pixels; the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels.")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except AttachmentError:
        raise
    except Image.DecompressionBombError:  # Pillow refuses to even open it: far over our own pixel limit
        raise AttachmentError(f"{name} has too many pixels; the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise AttachmentError(f"{name} is not a readable image (PNG, JPEG, GIF or WebP).") from None
    original = image.size
    if max(original) > MAX_IMAGE_SIDE:
        image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
    keep_png = image.format == "PNG" or image.mode in ("RGBA", "LA", "P")
    buffer = io.BytesIO()
    if keep_png:
        image.save(buffer, format="PNG", optimize=True)
        mime = "image/png"
    else:
        image.convert("RGB").save(buffer, format="JPEG", quality=88)
        mime = "image/jpeg"
    url = f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"
    size_note = f"{image.width}x{image.height}" + (f" (downscaled from {original[0]}x{original[1]})" if image.size != original else "")
    detail = detail if detail in DETAIL_OPTIONS else "auto"
    return PreparedAttachment({"type": "image_url", "image_url": {"url": url, "detail": detail}, "name": name}, f"{name}, {size_note}")


def prepare_audio(name: str, data: bytes) -> PreparedAttachment:
    if len(data) > MAX_UPLOAD_BYTES:
        raise AttachmentError(_too_big(name, data))
    fmt = _extension(name)
    if fmt == "wav" and not (data[:4] == b"RIFF" and data[8:12] == b"WAVE"):
        raise AttachmentError(f"{name} is not a WAV file.")
    if fmt == "mp3" and not (data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")):
        raise AttachmentError(f"{name} is not an MP3 file.")
    encoded = base64.b64encode(data).decode("ascii")
    return PreparedAttachment({"type": "input_audio", "input_audio": {"data": encoded, "format": fmt}, "name": name}, f"{name}, {len(data) // 1024} KB audio")


def prepare_attachment(name: str, data: bytes, detail: str = "auto") -> PreparedAttachment:
    extension = _extension(name)
    if extension in IMAGE_TYPES:
        return prepare_image(name, data, detail)
    if extension in AUDIO_TYPES:
        return prepare_audio(name, data)
    allowed = ", ".join(IMAGE_TYPES + AUDIO_TYPES)
    raise AttachmentError(f"{name}: only images and audio can be attached ({allowed}).")


def model_part(part: dict[str, Any]) -> dict[str, Any]:
    """The stored part without app-only keys (the file name), as the API expects it."""
    return {k: v for k, v in part.items() if k != "name"}
