"""Where the explorer's texts come from: pasted lines, an uploaded CSV or TXT file, or chat history.

Each source becomes a `TextSet` (texts plus optional labels), cleaned the same way: control
characters removed, blank entries dropped, at most `MAX_TEXTS` kept (the set says how many were
dropped or cut, so the page can say so).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from storage import repository
from storage.database import Session
from storage.records import ConversationRecord

MAX_TEXTS = 100_000  # the map stays interactive at this size (bench 7)
MAX_FILE_BYTES = 50 * 1024 * 1024
CONVERSATION_CHOICES = 200
TEXT_COLUMN_NAMES = ("text", "sentence", "content", "document", "body", "message")


class TextInputError(ValueError):
    """The input cannot be read; the message says what to fix."""


@dataclass(frozen=True)
class TextSet:
    texts: tuple[str, ...]
    labels: tuple[str, ...] | None = None
    source: str = ""
    dropped: int = 0  # blank entries removed
    cut: int = 0  # entries beyond MAX_TEXTS
    # For texts taken from chat history: where each came from, (conversation id, message id), so a
    # point or a search result can open its conversation at that message. None for other sources.
    origins: tuple[tuple[str, int], ...] | None = None

    def __len__(self) -> int:
        return len(self.texts)


def clean_text(text: str) -> str:
    """Control characters (except tab and newline) removed, surrounding space stripped."""
    return "".join(ch for ch in str(text) if ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127)).strip()


def _build(
    texts: Sequence[str],
    labels: Sequence[str] | None,
    source: str,
    limit: int,
    origins: Sequence[tuple[str, int]] | None = None,
) -> TextSet:
    kept_texts: list[str] = []
    kept_labels: list[str] = []
    kept_origins: list[tuple[str, int]] = []
    dropped = 0
    for position, raw in enumerate(texts):
        text = clean_text(raw)
        if not text:
            dropped += 1
            continue
        kept_texts.append(text)
        if labels is not None:
            kept_labels.append(clean_text(labels[position]) or "(none)")
        if origins is not None:
            kept_origins.append(origins[position])
    cut = max(0, len(kept_texts) - limit)
    return TextSet(
        texts=tuple(kept_texts[:limit]),
        labels=tuple(kept_labels[:limit]) if labels is not None else None,
        source=source,
        dropped=dropped,
        cut=cut,
        origins=tuple(kept_origins[:limit]) if origins is not None else None,
    )


def from_pasted(text: str, limit: int = MAX_TEXTS) -> TextSet:
    """One text per non-blank line."""
    return _build(text.splitlines(), None, "pasted lines", limit)


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """An uploaded file as a table of strings: CSV (delimiter sniffed) or TXT (one `text` per line)."""
    if len(data) > MAX_FILE_BYTES:
        raise TextInputError(f"The file is {len(data) / 1e6:,.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:,.0f} MB.")
    is_utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text" export
    if not is_utf16 and b"\x00" in data[:65_536]:  # text never holds NUL bytes; an image renamed .csv does
        raise TextInputError(f"{filename} is not a text file (it contains binary data); upload a CSV or TXT file.")
    content = _decode(data)
    if not filename.lower().endswith(".csv"):
        return pd.DataFrame({"text": content.splitlines()}, dtype=str)
    try:
        dialect = csv.Sniffer().sniff(content[:64_000], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(io.StringIO(content), sep=delimiter, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise TextInputError(f"The CSV file could not be read: {exc}") from None
    if frame.empty or not len(frame.columns):
        raise TextInputError("The CSV file has no rows.")
    frame.columns = [str(column) for column in frame.columns]
    return frame


def default_text_column(frame: pd.DataFrame) -> str:
    """A column named like text, else the one with the longest values on average."""
    for column in frame.columns:
        if column.strip().lower() in TEXT_COLUMN_NAMES:
            return column
    lengths = {column: frame[column].astype(str).str.len().mean() for column in frame.columns}
    return max(lengths, key=lambda column: lengths[column])


def from_table(frame: pd.DataFrame, text_column: str, label_column: str | None = None, limit: int = MAX_TEXTS) -> TextSet:
    if text_column not in frame.columns:
        raise TextInputError(f"There is no column {text_column!r}.")
    if label_column is not None and label_column not in frame.columns:
        raise TextInputError(f"There is no column {label_column!r}.")
    texts = frame[text_column].astype(str).tolist()
    labels = frame[label_column].astype(str).tolist() if label_column else None
    return _build(texts, labels, f"column {text_column!r}", limit)


def conversation_choices(session: Session, *, owner: str = "", limit: int = CONVERSATION_CHOICES) -> list[ConversationRecord]:
    """The owner's most recent conversations, to pick from."""
    return list(repository.list_conversations(session, owner=owner, limit=limit).items)


def from_conversations(
    session: Session,
    conversation_ids: Sequence[str],
    *,
    owner: str = "",
    roles: Sequence[str] = ("user", "assistant"),
    limit: int = MAX_TEXTS,
) -> TextSet:
    """The messages of the chosen conversations, labelled with the conversation's title, each with
    its origin (conversation id, message id).

    Unknown or foreign conversations contribute nothing (the repository scopes by owner).
    """
    texts: list[str] = []
    labels: list[str] = []
    origins: list[tuple[str, int]] = []
    for conversation_id in conversation_ids:
        conversation = repository.get_conversation(session, conversation_id, owner=owner)
        if conversation is None:
            continue
        for message in repository.list_messages(session, conversation_id, owner=owner):
            if message.role in roles:
                texts.append(message.content)
                labels.append(conversation.title)
                origins.append((conversation.id, message.id))
    return _build(texts, labels, "chat history", limit, origins)
