"""Attachments: every file is opened for what it claims to be (Pillow for images, the header for audio),
images are downscaled and sent as data URLs, and an attached image reaches the model and comes back in
the history (real files made with Pillow and `wave`; the real SDK and server)."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from portal.attachments import (
    MAX_IMAGE_SIDE,
    MAX_UPLOAD_BYTES,
    AttachmentError,
    model_part,
    prepare_attachment,
)
from portal.chat_service import ChatService, to_chat_message
from portal.chat_settings import ChatSettings
from tests.chat.support import ChatDatabase
from tests.tools.support import Wire, ask, decoded_image, image_bytes, wav_bytes

NOT_AN_IMAGE = "is not a readable image (PNG, JPEG, GIF or WebP)."


def refused(name: str, data: bytes) -> str:
    with pytest.raises(AttachmentError) as caught:
        prepare_attachment(name, data)
    return str(caught.value)


# -- images that are accepted -------------------------------------------------------------------------------


def test_a_png_becomes_a_data_url_image_part_with_its_name_and_detail() -> None:
    prepared = prepare_attachment("red.png", image_bytes((2, 3)), "low")
    part = prepared.part
    assert part["type"] == "image_url" and part["name"] == "red.png"
    assert part["image_url"]["detail"] == "low"
    assert part["image_url"]["url"].startswith("data:image/png;base64,")
    image = decoded_image(part["image_url"]["url"])
    assert (image.format, image.size, image.getpixel((0, 0))) == ("PNG", (2, 3), (200, 30, 30))
    assert prepared.description == "red.png, 2x3"
    assert model_part(part) == {"type": "image_url", "image_url": part["image_url"]}  # the app-only name is not sent


def test_a_jpeg_stays_a_jpeg() -> None:
    prepared = prepare_attachment("photo.JPG", image_bytes((640, 480), (40, 80, 200), "JPEG"), "high")
    assert prepared.part["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert prepared.part["image_url"]["detail"] == "high"
    assert decoded_image(prepared.part["image_url"]["url"]).size == (640, 480)
    assert prepared.description == "photo.JPG, 640x480"


@pytest.mark.parametrize(("name", "fmt", "mode", "mime"), [("anim.gif", "GIF", "P", "png"), ("pic.webp", "WEBP", "RGB", "jpeg")])
def test_gif_and_webp_are_accepted(name: str, fmt: str, mode: str, mime: str) -> None:
    colour = 1 if mode == "P" else (40, 160, 60)
    prepared = prepare_attachment(name, image_bytes((16, 8), colour, fmt, mode))
    assert prepared.part["image_url"]["url"].startswith(f"data:image/{mime};base64,")
    assert decoded_image(prepared.part["image_url"]["url"]).size == (16, 8)


def test_an_unknown_detail_falls_back_to_auto() -> None:
    assert prepare_attachment("red.png", image_bytes(), "ultra").part["image_url"]["detail"] == "auto"


@pytest.mark.parametrize(("size", "scaled"), [((4000, 3000), (1568, 1176)), ((3000, 4000), (1176, 1568)), ((1568, 20), (1568, 20))])
def test_large_images_are_downscaled_to_the_long_side_limit(size: tuple[int, int], scaled: tuple[int, int]) -> None:
    prepared = prepare_attachment("big.jpg", image_bytes(size, (200, 30, 30), "JPEG"))
    image = decoded_image(prepared.part["image_url"]["url"])
    assert image.size == scaled and max(image.size) <= MAX_IMAGE_SIDE
    note = f"big.jpg, {scaled[0]}x{scaled[1]}"
    assert prepared.description == (note if size == scaled else f"{note} (downscaled from {size[0]}x{size[1]})")


# -- files that are refused -----------------------------------------------------------------------------------------


def test_a_text_file_renamed_png_is_refused() -> None:
    assert refused("notes.png", b"these are my notes, not a picture\n" * 10) == f"notes.png {NOT_AN_IMAGE}"


def test_a_truncated_png_is_refused() -> None:
    data = image_bytes((50, 40))
    assert refused("cut.png", data[: len(data) // 2]) == f"cut.png {NOT_AN_IMAGE}"


def test_a_png_with_corrupt_data_is_refused() -> None:
    data = bytearray(image_bytes((50, 40)))
    data[60] ^= 0xFF  # inside the image data: the chunk checksum no longer matches
    assert refused("corrupt.png", bytes(data)) == f"corrupt.png {NOT_AN_IMAGE}"


def test_a_jpeg_named_png_is_still_an_image() -> None:
    prepared = prepare_attachment("really-a-jpeg.png", image_bytes((10, 10), (40, 80, 200), "JPEG"))
    assert prepared.part["image_url"]["url"].startswith("data:image/jpeg;base64,")  # the content decides, not the name


def test_an_image_over_the_pixel_limit_is_refused_before_decoding() -> None:
    data = image_bytes((8000, 6000), 0, "PNG", "1")  # 48 megapixels, a few KB compressed
    assert len(data) < 100_000
    assert refused("wide.png", data) == "wide.png is 8000x6000 pixels; the limit is 40 megapixels."


def test_a_decompression_bomb_is_refused_with_the_pixel_limit() -> None:
    data = image_bytes((20000, 10000), 0, "PNG", "1")  # 200 megapixels: Pillow itself will not open it
    assert refused("bomb.png", data) == "bomb.png has too many pixels; the limit is 40 megapixels."


def test_a_file_over_the_size_limit_and_an_empty_file_are_refused() -> None:
    too_big = b"\0" * (MAX_UPLOAD_BYTES + 100_000)
    assert refused("huge.png", too_big) == "huge.png is 20.1 MB; the limit is 20 MB."
    assert refused("huge.wav", too_big) == "huge.wav is 20.1 MB; the limit is 20 MB."
    assert refused("empty.png", b"") == "empty.png is empty."


@pytest.mark.parametrize("name", ["notes.txt", "report.pdf", "script.py", "no_extension", "archive.png.zip"])
def test_unsupported_extensions_are_refused(name: str) -> None:
    assert refused(name, image_bytes()) == f"{name}: only images and audio can be attached (png, jpg, jpeg, gif, webp, wav, mp3)."


# -- audio -------------------------------------------------------------------------------------------------------------


def test_a_wav_file_is_accepted_as_input_audio() -> None:
    data = wav_bytes(0.5)
    prepared = prepare_attachment("hello.wav", data)
    assert prepared.part["type"] == "input_audio"
    assert prepared.part["input_audio"]["format"] == "wav"
    assert base64.b64decode(prepared.part["input_audio"]["data"]) == data
    assert prepared.description == f"hello.wav, {len(data) // 1024} KB audio"


def test_a_fake_wav_is_refused() -> None:
    assert refused("fake.wav", b"just some text pretending to be audio") == "fake.wav is not a WAV file."
    assert refused("image.wav", image_bytes()) == "image.wav is not a WAV file."


def test_mp3_is_checked_by_its_header() -> None:
    assert prepare_attachment("song.mp3", b"ID3\x04\x00" + b"\0" * 64).part["input_audio"]["format"] == "mp3"
    assert refused("fake.mp3", b"not an mp3 at all") == "fake.mp3 is not an MP3 file."


# -- through the service to the model and back -------------------------------------------------------------------------


def test_an_attached_image_reaches_the_model_is_stored_and_is_sent_again_later(
    service: ChatService, chat_db: ChatDatabase, wire: Wire
) -> None:
    part = prepare_attachment("red.png", image_bytes((2, 3)), "low").part
    conversation_id, turn = ask(service, "what is in this picture?", ChatSettings(image_detail="low"), attachments=[part])
    assert 'You said: "what is in this picture?". You attached a 2x3 PNG image, mostly red, detail low.' in turn.final_text

    content = wire.last["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "what is in this picture?"}
    assert content[1] == {"type": "image_url", "image_url": {"url": part["image_url"]["url"], "detail": "low"}}

    user = chat_db.messages(conversation_id, chat_db.other_sessions())[0]
    assert user.parts == {"attachments": [part]}  # stored with its name, for the history
    assert to_chat_message(user).parts == (model_part(part),)

    _, turn = ask(service, "and now?", ChatSettings(), conversation_id)
    earlier = wire.last["messages"][1]["content"]
    assert earlier[1]["image_url"]["url"] == part["image_url"]["url"]  # the history still carries the image


def test_an_image_without_text_is_sent_and_names_the_conversation(service: ChatService, chat_db: ChatDatabase) -> None:
    data = io.BytesIO()
    Image.new("RGB", (4000, 3000), (40, 80, 200)).save(data, "JPEG")
    part = prepare_attachment("holiday.jpg", data.getvalue()).part
    conversation_id, turn = ask(service, "", ChatSettings(), attachments=[part])
    assert "You attached a 1568x1176 JPEG image, mostly blue, detail auto." in turn.final_text
    assert service.get_conversation(conversation_id).title == "holiday.jpg"


def test_an_attached_wav_reaches_the_model(service: ChatService, wire: Wire) -> None:
    part = prepare_attachment("hello.wav", wav_bytes(0.5)).part
    _, turn = ask(service, "transcribe this", ChatSettings(), attachments=[part])
    assert "You attached a 0.5 second wav audio clip." in turn.final_text
    sent = wire.last["messages"][-1]["content"][1]
    assert sent["type"] == "input_audio" and sent["input_audio"]["format"] == "wav"
    assert json.dumps(sent).count("hello.wav") == 0
