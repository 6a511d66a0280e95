"""Where a planted secret could surface, and the search for it.

A `Evidence` collects raw bytes per source (database files, the process log, page HTML, websocket
frames, downloaded files, HTTP responses); `find_leaks` looks for the secret in each, as plain text
and in the three base64 alignments (so a key inside a base64 blob, such as a Basic auth header or a
serialized cookie, is found too).
"""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


def needles(secret: str, *, visible_suffix: int = 4) -> dict[str, bytes]:
    """The secret, the part of it a mask must never show, and its base64 forms."""
    raw = secret.encode()
    found = {"secret": raw, "secret without its last characters": raw[:-visible_suffix]}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        # Characters that depend on the padding bytes or on what follows the secret are dropped.
        start = (shift * 4 + 2) // 3 + (1 if shift else 0)
        found[f"base64 (offset {shift})"] = encoded[start : len(encoded) - 4]
    return found


@dataclass
class Evidence:
    sources: dict[str, list[bytes]] = field(default_factory=lambda: defaultdict(list))

    def add(self, source: str, data: bytes | str) -> None:
        self.sources[source].append(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data))

    def add_file(self, source: str, path: Path) -> None:
        if path.exists():
            self.add(f"{source} ({path.name})", path.read_bytes())

    def count(self, source_prefix: str) -> int:
        return sum(len(items) for name, items in self.sources.items() if name.startswith(source_prefix))

    def size(self) -> int:
        return sum(len(item) for items in self.sources.values() for item in items)


def find_leaks(evidence: Evidence, secret: str) -> list[str]:
    """Every (source, form) where the secret was found; empty when it is nowhere."""
    hits = []
    for source, items in evidence.sources.items():
        for form, needle in needles(secret).items():
            if any(needle in item for item in items):
                hits.append(f"{source}: {form}")
    return hits
