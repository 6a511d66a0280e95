"""The app's own error type: what went wrong, in words a person can act on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ErrorKind(str, Enum):
    AUTH = "auth"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    SERVER = "server"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    CONTENT_FILTER = "content_filter"
    BAD_REQUEST = "bad_request"
    STREAM_CUT = "stream_cut"
    CONFIG = "config"
    UNKNOWN = "unknown"


# What happened (one sentence) and what to do, per kind: the words a person reads. The service's own
# message, when it sent one, follows as the detail.
HEADLINES = {
    ErrorKind.AUTH: "The endpoint refused the credentials",
    ErrorKind.NOT_FOUND: "The endpoint has no such model, deployment or path",
    ErrorKind.RATE_LIMITED: "The endpoint is rate limiting requests",
    ErrorKind.SERVER: "The model service failed",
    ErrorKind.TIMEOUT: "The model did not answer in time",
    ErrorKind.CONNECTION: "The endpoint could not be reached",
    ErrorKind.CONTENT_FILTER: "The content filter blocked this request",
    ErrorKind.BAD_REQUEST: "The endpoint rejected the request",
    ErrorKind.STREAM_CUT: "The connection dropped before the reply finished; what arrived is kept",
    ErrorKind.CONFIG: "The connection is not configured correctly",
    ErrorKind.UNKNOWN: "Something unexpected went wrong",
}
HINTS = {
    ErrorKind.AUTH: "Check the API key, or sign in again for Entra ID (az login).",
    ErrorKind.NOT_FOUND: "Check the endpoint URL and the model or deployment name.",
    ErrorKind.RATE_LIMITED: "Wait a moment, then try again.",
    ErrorKind.SERVER: "Try again in a moment.",
    ErrorKind.TIMEOUT: "Try again, or raise the timeout.",
    ErrorKind.CONNECTION: "Check the URL and that the service is running.",
    ErrorKind.CONTENT_FILTER: "Rephrase the message and send it again.",
    ErrorKind.BAD_REQUEST: "Check the settings of this conversation (model, parameters, tools).",
    ErrorKind.STREAM_CUT: "Try again for a complete reply.",
    ErrorKind.CONFIG: "Fix the connection in .streamlit/secrets.toml or the environment.",
    ErrorKind.UNKNOWN: "Try again.",
}
FORBIDDEN = ("The endpoint refused access", "Give the identity a role such as Cognitive Services OpenAI User, or check the key.")


@dataclass
class InferenceError(Exception):
    """`message` is a sentence for logs and tests; `detail` what the service itself said (if anything)."""

    kind: ErrorKind
    message: str
    status_code: int | None = None
    retry_after_seconds: float | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def hint(self) -> str:
        return HINTS[self.kind]

    @property
    def headline(self) -> str:
        """What happened, in one sentence without a final period."""
        if self.kind is ErrorKind.AUTH and self.status_code == 403:
            return FORBIDDEN[0]
        if self.detail is None and self.kind in (ErrorKind.CONFIG, ErrorKind.UNKNOWN, ErrorKind.NOT_FOUND):
            return self.message.rstrip(".")  # the app's own specific sentence
        return HEADLINES[self.kind]

    def user_message(self) -> str:
        """What happened and what to do, each said once; then the service's words and the HTTP status."""
        action = FORBIDDEN[1] if self.kind is ErrorKind.AUTH and self.status_code == 403 else self.hint
        text = f"{self.headline}. {action}"
        details = [self.detail.strip().rstrip(".")] if self.detail and self.detail.strip() else []
        if self.status_code:
            details.append(f"HTTP {self.status_code}")
        return f"{text} Details: {'; '.join(details)}." if details else text
