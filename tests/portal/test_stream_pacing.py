"""The pacing between the reply stream and the screen: merges only what was already waiting, loses nothing."""

from portal.stream_pacing import paced


class FakeTime:
    """A clock that a scripted source advances: each chunk says how long reading it blocked."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def source(self, script: list[tuple[float, str]]):
        for blocked, chunk in script:
            self.now += blocked
            yield chunk


def test_a_caught_up_reader_shows_every_chunk_at_once():
    clock = FakeTime()
    script = [(0.02, "Hello"), (0.02, " there"), (0.02, ", friend")]
    assert list(paced(clock.source(script), clock=clock)) == ["Hello", " there", ", friend"]


def test_a_backlog_becomes_few_large_updates_without_losing_text():
    clock = FakeTime()
    words = [f"w{i} " for i in range(1000)]
    script = [(0.0001, word) for word in words]  # already buffered: each read returns at once
    updates = list(paced(clock.source(script), clock=clock, min_interval=0.05))
    assert "".join(updates) == "".join(words)
    # 1,000 chunks over 0.1 s of reading: the first at once, then one update per 50 ms, then the rest
    assert len(updates) <= 4


def test_a_chunk_that_had_to_be_waited_for_releases_what_was_held():
    clock = FakeTime()
    script = [(0.0001, "a"), (0.0001, "b"), (0.0001, "c"), (0.5, "d")]
    assert list(paced(clock.source(script), clock=clock)) == ["a", "bcd"]


def test_the_end_of_the_stream_releases_the_held_tail():
    clock = FakeTime()
    script = [(0.0001, "first"), (0.0001, " second"), (0.0001, " third")]
    assert list(paced(clock.source(script), clock=clock)) == ["first", " second third"]
