"""Compare mode's domain (portal/compare.py): several targets answer one user message at once, through
the real SDK over HTTP to the local server, into a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from localserver import RunningServer
from portal.chat_service import ChatService
from portal.chat_settings import ChatSettings
from portal.compare import (
    COMPARE,
    CompareRound,
    CompareSetup,
    RoundTarget,
    Target,
    pick,
    round_of,
    round_timings,
    running_figures,
    stored_columns,
    unpicked,
)
from portal.inference import make_backend
from storage import repository
from storage.records import MessageStatus
from tests.chat.support import ChatDatabase, unique
from tests.conftest import chat_connection

ONE_WIRE = pytest.mark.parametrize("chat_api", ["openai"], ids=["openai-chat"], indirect=True)  # the wires have their own tests

FAILING = "You are a test target. /fault 500"


def make_round(
    service: ChatService, conversation_id: str, user_id: int, targets: list[Target], base: ChatSettings = ChatSettings(), **options
) -> CompareRound:
    round_targets = [RoundTarget(t, service, t.settings(base), t.label(i)) for i, t in enumerate(targets)]
    return CompareRound(conversation_id, user_id, round_targets, max_retries=0, **options)


def ask(service: ChatService, text: str, settings: ChatSettings = ChatSettings()):
    user = service.add_user_message(None, unique(text), settings)
    return user.conversation_id, user


def run_round(service: ChatService, compare: CompareRound) -> None:
    compare.start()
    compare.join(timeout=60)
    assert compare.done
    compare.finish(service)


def leaf(chat_db: ChatDatabase, conversation_id: str) -> int | None:
    with chat_db.sessions.begin() as session:
        return repository.leaf_id(session, conversation_id)


@ONE_WIRE
def test_a_round_stores_one_reply_per_target_as_siblings_of_the_user_message(service: ChatService, chat_db: ChatDatabase):
    conversation_id, user = ask(service, "compare these")
    targets = [Target("local", temperature=0.2), Target("local", temperature=1.0), Target("local", system_prompt=FAILING)]
    compare = make_round(service, conversation_id, user.id, targets)
    run_round(service, compare)

    stored = chat_db.messages(conversation_id)
    replies = [m for m in stored if m.role == "assistant"]
    assert len(stored) == 4 and len(replies) == 3
    assert all(m.parent_id == user.id for m in replies)  # siblings of the one user message
    by_target = {m.params[COMPARE]["target"]: m for m in replies}
    assert [by_target[i].id for i in range(3)] == sorted(m.id for m in replies)  # the switch's order is the targets'
    assert by_target[0].status == by_target[1].status == MessageStatus.COMPLETE
    assert by_target[0].params["temperature"] == 0.2 and by_target[1].params["temperature"] == 1.0
    assert by_target[2].status == MessageStatus.ERROR and "500" in (by_target[2].error or "")
    assert by_target[0].content and by_target[1].content  # the failing target did not disturb the others
    assert {m.params[COMPARE]["connection"] for m in replies} == {"local"}
    assert "http" not in json.dumps([m.params for m in replies])  # a connection by name, never its endpoint

    views = compare.views()
    assert views[2].error and "500" in views[2].error and views[2].status == MessageStatus.ERROR
    assert views[0].stats is not None and views[0].stats.finish_reason == "stop" and views[0].stats.completion_tokens
    # The first target's branch is shown; the three replies are siblings in the page's ‹ 1 / 3 › switch.
    assert leaf(chat_db, conversation_id) == by_target[0].id
    assert service.siblings(conversation_id, [by_target[0]])[by_target[0].id].count == 3


@ONE_WIRE
def test_targets_stream_at_the_same_time(service: ChatService):
    """While streaming, there is a moment when both columns have text and neither has finished."""
    conversation_id, user = ask(service, "talk slowly /slow 20 /long 40")
    compare = make_round(service, conversation_id, user.id, [Target("local", temperature=0.1), Target("local", temperature=0.9)])
    compare.start()
    overlapped = False
    while not compare.done:
        compare.wait(0.5)
        views = compare.views()
        if all(v.text and not v.done for v in views):
            overlapped = True
    compare.join()
    assert overlapped
    assert all(v.status == MessageStatus.COMPLETE and len(v.text.split()) == 40 for v in compare.views())


@ONE_WIRE
def test_stopping_one_column_keeps_its_partial_reply_and_lets_the_others_finish(service: ChatService, chat_db: ChatDatabase):
    conversation_id, user = ask(service, "talk slowly /slow 20 /long 40")
    compare = make_round(service, conversation_id, user.id, [Target("local"), Target("local", temperature=0.5)])
    compare.start()
    while not compare.views()[0].text:
        compare.wait(0.5)
    compare.stop(0)
    compare.join(timeout=60)
    stopped, finished = (chat_db.message(v.reply_id) for v in compare.views())
    assert stopped.status == MessageStatus.STOPPED and 0 < len(stopped.content.split()) < 40
    assert finished.status == MessageStatus.COMPLETE and len(finished.content.split()) == 40


@ONE_WIRE
def test_a_round_nobody_draws_any_more_ends_as_interrupted(service: ChatService, chat_db: ChatDatabase):
    """The page draws the round and calls heartbeat(); a closed tab stops doing so, and the workers stop."""
    now = [0.0]
    conversation_id, user = ask(service, "talk slowly /slow 20 /long 60")
    compare = make_round(service, conversation_id, user.id, [Target("local"), Target("local", temperature=0.5)], clock=lambda: now[0])
    compare.start()
    while not all(v.text for v in compare.views()):
        compare.wait(0.5)
    now[0] += 60  # no heartbeat for a minute
    compare.join(timeout=60)
    for view in compare.views():
        reply = chat_db.message(view.reply_id)
        assert reply.status == MessageStatus.INTERRUPTED and 0 < len(reply.content.split()) < 60


@ONE_WIRE
def test_tool_rounds_stay_on_each_targets_own_branch(service: ChatService, chat_db: ChatDatabase):
    settings = ChatSettings(tools=("calculator",))
    conversation_id, user = ask(service, "what is 12*7?", settings)
    compare = make_round(service, conversation_id, user.id, [Target("local"), Target("local", temperature=0.5)], settings)
    run_round(service, compare)
    columns = stored_columns(service, conversation_id, chat_db.message(user.id))
    assert len(columns) == 2
    for index, messages in enumerate(columns):
        assert [m.role for m in messages] == ["assistant", "tool", "assistant"]
        assert messages[0].parent_id == user.id
        assert messages[1].parent_id == messages[0].id and messages[2].parent_id == messages[1].id  # one chain per target
        assert "84" in messages[2].content
        assert all(m.params is None or m.params[COMPARE]["target"] == index for m in messages if m.role == "assistant")
    assert len(compare.views()[0].tools) == 1
    assert leaf(chat_db, conversation_id) == columns[0][-1].id  # the first target's whole turn is shown


@ONE_WIRE
def test_continue_with_a_pick_shows_its_branch_and_remembers_it(service: ChatService, chat_db: ChatDatabase):
    conversation_id, user = ask(service, "which one")
    service.set_message_part(conversation_id, user.id, COMPARE, {"targets": ["a", "b"], "picked": None})
    compare = make_round(service, conversation_id, user.id, [Target("local"), Target("local", temperature=1.0)])
    run_round(service, compare)
    stored_user = chat_db.message(user.id)
    assert unpicked(stored_user)
    second = stored_columns(service, conversation_id, stored_user)[1][0]
    assert pick(service, conversation_id, stored_user, second.id)
    assert leaf(chat_db, conversation_id) == second.id
    assert round_of(chat_db.message(user.id)) == {"targets": ["a", "b"], "picked": second.id}
    assert not unpicked(chat_db.message(user.id))
    # The next message continues from the pick.
    follow_up = service.add_user_message(conversation_id, "and then?", ChatSettings())
    assert follow_up.parent_id == second.id


@ONE_WIRE
def test_figures_over_the_conversation(service: ChatService, chat_db: ChatDatabase):
    conversation_id, user = ask(service, "first round")
    targets = [Target("local"), Target("local", system_prompt=FAILING)]
    run_round(service, make_round(service, conversation_id, user.id, targets))
    second = service.add_user_message(conversation_id, "second round", ChatSettings())
    run_round(service, make_round(service, conversation_id, second.id, targets))

    figures = {f.label: f for f in running_figures(chat_db.messages(conversation_id))}
    healthy, failing = figures["1. default model"], figures["2. default model · own system prompt"]
    assert healthy.rounds == failing.rounds == 2
    assert healthy.failures == 0 and failing.failures == 2
    assert healthy.mean_first_token_ms is not None and healthy.mean_tokens_per_second is not None
    timings = round_timings(stored_columns(service, conversation_id, chat_db.message(second.id)))
    assert [label for label, _, _ in timings] == ["1. default model", "2. default model · own system prompt"]
    assert timings[0][1] is not None and timings[0][2] is not None


@ONE_WIRE
def test_an_unknown_connection_fails_in_its_own_column(service: ChatService, chat_db: ChatDatabase):
    conversation_id, user = ask(service, "hello")
    targets = [Target("local"), Target("gone")]
    round_targets = [RoundTarget(targets[0], service, ChatSettings(), "1"), RoundTarget(targets[1], None, ChatSettings(), "2")]
    compare = CompareRound(conversation_id, user.id, round_targets, max_retries=0)
    run_round(service, compare)
    ok, gone = compare.views()
    assert ok.status == MessageStatus.COMPLETE and gone.status == MessageStatus.ERROR and "gone" in (gone.error or "")
    assert len([m for m in chat_db.messages(conversation_id) if m.role == "assistant"]) == 1


def test_two_connections_in_one_round(chat_db: ChatDatabase, local_server: RunningServer):
    """Each target's service is bound to its own connection (here the two APIs of the local server)."""
    inference = make_backend(chat_connection(local_server.url, "azure-ai-inference"))
    openai = make_backend(chat_connection(local_server.url, "openai"))
    try:
        first, second = ChatService(chat_db.sessions, inference), ChatService(chat_db.sessions, openai)
        conversation_id, user = ask(first, "two apis")
        round_targets = [
            RoundTarget(Target("inference"), first, ChatSettings(), "1"),
            RoundTarget(Target("openai"), second, ChatSettings(), "2"),
        ]
        compare = CompareRound(conversation_id, user.id, round_targets, max_retries=0)
        run_round(first, compare)
        assert [v.status for v in compare.views()] == [MessageStatus.COMPLETE, MessageStatus.COMPLETE]
    finally:
        inference.close()
        openai.close()


def test_setup_round_trips_through_the_conversation_settings():
    setup = CompareSetup(True, (Target("a", "m1", 0.2, 100, "be brief"), Target("b")))
    settings = ChatSettings(compare=setup.to_dict())
    assert CompareSetup.from_settings(ChatSettings.from_dict(settings.to_dict())) == setup
    assert setup.ready and not CompareSetup(True, setup.targets[:1]).ready and not CompareSetup(False, setup.targets).ready
    junk = ChatSettings.from_dict({"compare": {"enabled": True, "targets": [{"connection": 3}, {"connection": "x", "temperature": 9}, "no"]}})
    assert CompareSetup.from_settings(junk).targets == (Target("x"),)
    assert ChatSettings.from_dict({"compare": "nonsense"}).compare is None


@ONE_WIRE
def test_every_target_sees_the_attachment_and_the_pick_keeps_it(service: ChatService, chat_db: ChatDatabase):
    from portal.attachments import prepare_attachment
    from tests.tools.support import image_bytes

    part = prepare_attachment("red.png", image_bytes((4, 4)), "low").part
    user = service.add_user_message(None, unique("what is in this picture?"), ChatSettings(), attachments=[part])
    conversation_id = user.conversation_id
    service.set_message_part(conversation_id, user.id, COMPARE, {"targets": ["a", "b"], "picked": None})
    compare = make_round(service, conversation_id, user.id, [Target("local"), Target("local", temperature=0.5)])
    run_round(service, compare)
    for view in compare.views():
        assert view.status == MessageStatus.COMPLETE and "You attached a 4x4 PNG image, mostly red" in view.text
    stored_user = chat_db.message(user.id)
    assert stored_user.parts["attachments"][0]["name"] == "red.png"  # the round's note sits beside the attachment
    assert pick(service, conversation_id, stored_user, compare.views()[1].reply_id)
    assert chat_db.message(user.id).parts["attachments"] == stored_user.parts["attachments"]


@ONE_WIRE
def test_a_turn_after_a_message_chains_its_rows_whatever_else_is_written(service: ChatService, chat_db: ChatDatabase):
    """Another target writing in the same conversation between the steps (which moves the shown branch's
    end) does not move this turn's rows: each goes after its own previous row."""
    from portal.chat_service import PreparedReply

    settings = ChatSettings(tools=("calculator",))
    conversation_id, user = ask(service, "what is 12*7?", settings)
    ours = []
    for step in service.turn(conversation_id, settings, after=user.id):
        if isinstance(step, PreparedReply):
            list(step.stream)
            ours.append(step.assistant_message_id)
        with chat_db.sessions.begin() as session:  # "another target" writes meanwhile
            repository.add_message(session, conversation_id, role="assistant", content="someone else", parent_id=user.id)
    first, tool, answer = (m for m in chat_db.messages(conversation_id) if m.id in ours or m.role == "tool")
    assert (first.parent_id, tool.parent_id, answer.parent_id) == (user.id, first.id, tool.id)
    assert "84" in answer.content


@ONE_WIRE
def test_a_second_round_on_the_same_message_shows_only_its_own_columns(service: ChatService, chat_db: ChatDatabase):
    """Regenerate with compare mode on runs another round below the same user message; its columns
    are the newest reply per target, and a reply made outside compare mode is never a column."""
    conversation_id, user = ask(service, "again")
    list(service.prepare_reply(conversation_id, ChatSettings(), after=user.id).stream)  # a plain reply first
    targets = [Target("local"), Target("local", temperature=0.5)]
    run_round(service, make_round(service, conversation_id, user.id, targets))
    second = make_round(service, conversation_id, user.id, targets)
    run_round(service, second)
    columns = stored_columns(service, conversation_id, chat_db.message(user.id))
    assert [messages[0].id for messages in columns] == [view.reply_id for view in second.views()]
