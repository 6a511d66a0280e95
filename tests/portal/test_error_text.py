"""Each error class reads as one sentence on what happened, one on what to do, then the service's words."""

from __future__ import annotations

import re

import pytest

from portal.inference import ErrorKind, InferenceError


def sentences(text: str) -> list[str]:
    return [s.strip().lower() for s in re.split(r"(?<=[.;])\s+", text) if s.strip()]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            InferenceError(ErrorKind.SERVER, "The model service failed: Internal error", 500, detail="Internal error"),
            "The model service failed. Try again in a moment. Details: Internal error; HTTP 500.",
        ),
        (
            InferenceError(ErrorKind.RATE_LIMITED, "Rate limited: Try again in 1 seconds.", 429, 1.0, detail="Try again in 1 seconds."),
            "The endpoint is rate limiting requests. Wait a moment, then try again. Details: Try again in 1 seconds; HTTP 429.",
        ),
        (
            InferenceError(ErrorKind.STREAM_CUT, "The connection closed before the reply was complete"),
            "The connection dropped before the reply finished; what arrived is kept. Try again for a complete reply.",
        ),
        (
            InferenceError(ErrorKind.AUTH, "refused", 403, detail="PermissionDenied"),
            "The endpoint refused access. Give the identity a role such as Cognitive Services OpenAI User, or check the key. "
            "Details: PermissionDenied; HTTP 403.",
        ),
        (
            InferenceError(ErrorKind.NOT_FOUND, "This endpoint cannot list its models"),
            "This endpoint cannot list its models. Check the endpoint URL and the model or deployment name.",
        ),
    ],
)
def test_error_texts(error: InferenceError, expected: str) -> None:
    assert error.user_message() == expected


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_no_error_text_says_the_same_thing_twice(kind: ErrorKind) -> None:
    text = InferenceError(kind, "message", 500, detail="the service's words").user_message()

    said = sentences(text)
    assert len(said) == len(set(said)), text
    assert ".." not in text
    first_words = [" ".join(s.split()[:3]) for s in said]
    assert len(first_words) == len(set(first_words)), text
