"""Synthetic chat history for the storage benchmark (#4), generated fast and cached between runs.

The text is Zipf-distributed words (a few hundred common English words, then pseudo-words made
of syllables), so trigram statistics look like prose: some substrings are in almost every
message, some in a handful, some nowhere. Everything is seeded, so two runs build the same data.

Loading goes around the ORM on purpose (bulk `executemany` on SQLite, `COPY` on PostgreSQL):
the benchmark measures the repository's queries, not the loader. The schema is created by the
app's own Alembic migrations: the data is loaded at revision 0002 and then upgraded to head, so
the search migration's backfill runs over the full data set, as it would on an existing install.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, text

from portal.chat_service import title_from
from storage.migrate import alembic_config

DATA_VERSION = "4"  # bump when the generator changes, so cached databases are rebuilt
SEED = 20250101
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)

_COMMON = (
    "the of and to a in is you that it for was on are with as be this have from or one had by word but not what all were we "
    "when your can said there use an each which she do how their if will up other about out many then them these so some her "
    "would make like him into time has look two more write go see number no way could people my than first water been call "
    "who oil its now find long down day did get come made may part model reply stream token chat message server python code"
).split()
_SYLLABLES = (
    "ka lo mi ne ru sa to vi be da fe go hu ji ko la ma no pe qui re si tu va we xo ya ze bra cri dro fla gle "
    "pri sto tra ple ske spo cha sho thi wha ber con dis ent for gen ing ion lex mon nor pol ras sul ter und ver wor"
).split()


@dataclass(frozen=True)
class Sizes:
    conversations: int
    messages: int
    owner: str = ""

    @property
    def key(self) -> str:
        return f"v{DATA_VERSION}-{self.conversations}c-{self.messages}m"


@dataclass(frozen=True)
class Workload:
    """What the benchmark asks: ids to open/append to, and search terms of known frequency."""

    conversation_ids: tuple[str, ...]
    search_terms: dict[str, str]  # label -> needle


def vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    words = list(dict.fromkeys(_COMMON))
    seen = set(words)
    while len(words) < size:
        length = int(rng.integers(2, 5))
        word = "".join(_SYLLABLES[i] for i in rng.integers(0, len(_SYLLABLES), length))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _zipf_probabilities(size: int) -> np.ndarray:
    weights = 1.0 / np.power(np.arange(size) + 2.7, 1.07)
    return weights / weights.sum()


def _message_counts(sizes: Sizes, rng: np.random.Generator) -> np.ndarray:
    """Messages per conversation: at least 2, skewed (a few long chats), summing exactly to the total."""
    minimum = 2
    spare = sizes.messages - minimum * sizes.conversations
    if spare < 0:
        raise ValueError("need at least two messages per conversation")
    weights = rng.lognormal(0.0, 1.0, sizes.conversations)
    return minimum + rng.multinomial(spare, weights / weights.sum())


def _sqlite_time(value: datetime) -> str:
    """How SQLAlchemy's SQLite DateTime stores a value (naive UTC text)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


@dataclass
class Generated:
    conversations: list[tuple]  # id, owner, title, created_at, updated_at, message_count
    messages_by_conversation: list[int]
    words: list[str]
    word_ids: np.ndarray  # all message words, concatenated
    lengths: np.ndarray  # words per message


def generate(sizes: Sizes) -> Generated:
    rng = np.random.default_rng(SEED)
    words = vocabulary(30_000, rng)
    counts = _message_counts(sizes, rng)
    # user messages are shorter than replies; roles alternate starting with the user
    roles_user = np.concatenate([np.arange(c) % 2 == 0 for c in counts])
    lengths = np.where(roles_user, rng.integers(3, 30, sizes.messages), rng.integers(10, 60, sizes.messages))
    word_ids = rng.choice(len(words), size=int(lengths.sum()), p=_zipf_probabilities(len(words)))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    conversations = []
    first_message = 0
    for index, count in enumerate(counts):
        conversation_id = str(uuid.UUID(bytes=rng.bytes(16), version=4))
        created = BASE_TIME + timedelta(minutes=5 * index)
        first = " ".join(words[i] for i in word_ids[offsets[first_message] : offsets[first_message + 1]])
        updated = created + timedelta(seconds=20 * (int(count) - 1))
        conversations.append((conversation_id, sizes.owner, title_from(first), created, updated, int(count)))
        first_message += int(count)
    return Generated(conversations, [int(c) for c in counts], words, word_ids, lengths)


def iter_messages(data: Generated) -> Iterator[tuple[int, str, str, str, datetime]]:
    """(conversation index, conversation id, role, content, created_at) in insertion order."""
    words = np.asarray(data.words, dtype=object)
    offsets = np.concatenate([[0], np.cumsum(data.lengths)])
    message = 0
    for index, conversation in enumerate(data.conversations):
        for position in range(data.messages_by_conversation[index]):
            content = " ".join(words[data.word_ids[offsets[message] : offsets[message + 1]]])
            created = conversation[3] + timedelta(seconds=20 * position)
            yield index, conversation[0], "user" if position % 2 == 0 else "assistant", content, created
            message += 1


def workload(data: Generated, sizes: Sizes) -> Workload:
    rng = np.random.default_rng(SEED + 1)
    picks = rng.choice(len(data.conversations), size=min(500, len(data.conversations)), replace=False)
    counts = np.bincount(data.word_ids, minlength=len(data.words))
    ranked = np.argsort(-counts, kind="stable")

    def word_with(target_share: float) -> str:
        """The word whose occurrences come closest to `target_share` of all messages."""
        wanted = target_share * sizes.messages
        index = int(np.argmin(np.abs(counts[ranked] - wanted)))
        return data.words[int(ranked[index])]

    medium = word_with(0.01)
    terms = {
        "common word": "the",
        "1% of messages": medium,
        "0.01% of messages": word_with(0.0001),
        "inner substring": medium[1:-1] if len(medium) > 4 else medium,
        "two words": f"{data.words[int(ranked[3])]} {data.words[int(ranked[5])]}",
        "mixed case": medium.upper(),
        "no match": "zyxwvu",
    }
    return Workload(tuple(data.conversations[int(i)][0] for i in picks), terms)


# -- loading ----------------------------------------------------------------------------------------


def _batches(rows: Iterator[tuple], size: int = 20_000) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_sqlite(path: Path, data: Generated) -> None:
    """Bulk-load into a SQLite file already migrated to 0002 (no triggers yet, so plain inserts)."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        message_rows = (
            (cid, role, content, "complete", _sqlite_time(created), _sqlite_time(created))
            for _, cid, role, content, created in iter_messages(data)
        )
        for batch in _batches(message_rows):
            connection.executemany(
                "INSERT INTO messages (conversation_id, role, content, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                batch,
            )
        connection.executemany(
            "INSERT INTO conversations (id, owner, title, settings, created_at, updated_at, message_count) VALUES (?, ?, ?, '{}', ?, ?, ?)",
            [(c[0], c[1], c[2], _sqlite_time(c[3]), _sqlite_time(c[4]), c[5]) for c in data.conversations],
        )
        connection.execute("COMMIT")
    finally:
        connection.close()


def load_postgres(engine: Engine, data: Generated) -> None:
    """Bulk-load with COPY into a database already migrated to 0002."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(
            "COPY conversations (id, owner, title, settings, created_at, updated_at, message_count) FROM STDIN"
        ) as copy:
            for c in data.conversations:
                copy.write_row((c[0], c[1], c[2], "{}", c[3], c[4], c[5]))
        with cursor.copy("COPY messages (conversation_id, role, content, status, created_at, updated_at) FROM STDIN") as copy:
            for _, cid, role, content, created in iter_messages(data):
                copy.write_row((cid, role, content, "complete", created, created))
        raw.commit()
        cursor.execute("ANALYZE conversations")
        cursor.execute("ANALYZE messages")
        raw.commit()
    finally:
        raw.close()


def save_workload(path: Path, work: Workload) -> None:
    path.write_text(json.dumps(asdict(work)))


def read_workload(path: Path) -> Workload:
    raw = json.loads(path.read_text())
    return Workload(tuple(raw["conversation_ids"]), dict(raw["search_terms"]))


def has_marker(engine: Engine, key: str) -> bool:
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT value FROM bench_dataset")).scalar() == key
        except Exception:  # noqa: BLE001 - no marker table: not a finished benchmark database
            return False


def write_marker(engine: Engine, key: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_dataset (value VARCHAR(100))"))
        connection.execute(text("DELETE FROM bench_dataset"))
        connection.execute(text("INSERT INTO bench_dataset (value) VALUES (:v)"), {"v": key})


def migrate_to(engine: Engine, revision: str) -> float:
    from alembic import command

    started = time.perf_counter()
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    return time.perf_counter() - started
