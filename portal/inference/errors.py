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


HINTS = {
    ErrorKind.AUTH: "Check the API key, or sign in again for Entra ID (az login), and that the key belongs to this endpoint.",
    ErrorKind.NOT_FOUND: "Check the endpoint URL and the model or deployment name.",
    ErrorKind.RATE_LIMITED: "The endpoint is rate limiting requests; wait a moment and try again.",
    ErrorKind.SERVER: "The model service had a problem; try again in a moment.",
    ErrorKind.TIMEOUT: "The model did not answer in time; try again or raise the timeout.",
    ErrorKind.CONNECTION: "The endpoint could not be reached; check the URL and that the service is running.",
    ErrorKind.CONTENT_FILTER: "The content filter blocked this request; rephrase the message.",
    ErrorKind.BAD_REQUEST: "The endpoint rejected the request; check the settings for this conversation.",
    ErrorKind.STREAM_CUT: "The connection dropped before the reply finished; what arrived is kept.",
    ErrorKind.CONFIG: "Fix the connection settings in .streamlit/secrets.toml or the environment.",
    ErrorKind.UNKNOWN: "Something unexpected went wrong; try again.",
}


@dataclass
class InferenceError(Exception):
    kind: ErrorKind
    message: str
    status_code: int | None = None
    retry_after_seconds: float | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def hint(self) -> str:
        return HINTS[self.kind]

    def user_message(self) -> str:
        status = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{self.message}{status}. {self.hint}"
