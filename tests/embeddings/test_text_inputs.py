"""Texts from pasted lines, uploaded CSV/TXT files and the chat history."""

from __future__ import annotations

import pytest

from portal.text_inputs import (
    TextInputError,
    default_text_column,
    from_conversations,
    from_pasted,
    from_table,
    read_table,
)
from storage import repository


def test_pasted_lines_skip_blanks_and_control_characters():
    text_set = from_pasted("first\n\n  second \x00line \r\n\t\nthird")

    assert text_set.texts == ("first", "second line", "third")
    assert text_set.dropped == 2 and text_set.labels is None


def test_the_cap_cuts_and_says_how_many():
    text_set = from_pasted("\n".join(f"t{i}" for i in range(12)), limit=10)

    assert len(text_set) == 10 and text_set.cut == 2


def test_csv_with_a_text_and_a_label_column():
    data = b'id,sentence,topic\n1,Cats purr.,animals\n2,"Markets, again, fell.",finance\n3,,empty\n'

    frame = read_table(data, "corpus.csv")
    text_set = from_table(frame, default_text_column(frame), "topic")

    assert list(frame.columns) == ["id", "sentence", "topic"]
    assert default_text_column(frame) == "sentence"
    assert text_set.texts == ("Cats purr.", "Markets, again, fell.")
    assert text_set.labels == ("animals", "finance") and text_set.dropped == 1


def test_semicolon_csv_in_windows_encoding_and_the_longest_column_as_default():
    data = "a;b\nx;Crème brûlée is a dessert\ny;Un café noir\n".encode("cp1252")

    frame = read_table(data, "DATA.CSV")

    assert list(frame.columns) == ["a", "b"]
    assert default_text_column(frame) == "b"
    assert frame["b"].tolist()[0] == "Crème brûlée is a dessert"


def test_txt_upload_is_one_text_per_line():
    frame = read_table("one\ntwo\n\nthree\n".encode("utf-8-sig"), "notes.txt")

    assert from_table(frame, "text").texts == ("one", "two", "three")


def test_unknown_columns_are_refused():
    frame = read_table(b"a,b\n1,2\n", "x.csv")
    with pytest.raises(TextInputError, match="no column"):
        from_table(frame, "c")


def test_messages_of_chosen_conversations_labelled_by_title(sessions):
    with sessions.begin() as session:
        pets = repository.create_conversation(session, title="Pets")
        repository.add_message(session, pets.id, role="system", content="You are helpful.")
        purr = repository.add_message(session, pets.id, role="user", content="Do cats purr?")
        repository.add_message(session, pets.id, role="assistant", content="  ")  # blank: left out, with its origin
        yes = repository.add_message(session, pets.id, role="assistant", content="Yes, cats purr.")
        money = repository.create_conversation(session, title="Money")
        why = repository.add_message(session, money.id, role="user", content="Why did markets fall?")
        private = repository.create_conversation(session, title="Private", owner="alice@example.com")
        repository.add_message(session, private.id, role="user", content="secret", owner="alice@example.com")

    with sessions.begin() as session:
        both = from_conversations(session, [pets.id, money.id, private.id])
        users_only = from_conversations(session, [pets.id], roles=("user",))

    assert both.texts == ("Do cats purr?", "Yes, cats purr.", "Why did markets fall?")
    assert both.labels == ("Pets", "Pets", "Money")
    # Each text knows its message, so the explorer can open the conversation there.
    assert both.origins == ((pets.id, purr.id), (pets.id, yes.id), (money.id, why.id))
    assert users_only.texts == ("Do cats purr?",) and users_only.origins == ((pets.id, purr.id),)
    assert from_pasted("a\nb").origins is None


def test_a_binary_file_renamed_csv_is_refused_with_a_clear_message():
    import io as _io

    import pytest as _pytest
    from PIL import Image

    from portal.text_inputs import TextInputError, read_table

    buffer = _io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    with _pytest.raises(TextInputError, match="not a text file"):
        read_table(buffer.getvalue(), "photo.csv")
