"""How one turn looks: the user's text as typed, or the model's answer (Markdown, never raw HTML) with
its thinking, tool chips, status marker and one stats line; then one row of actions under it."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from portal.response_formats import check_reply
from portal.safe_markdown import neutralize_links
from portal.turns import ASSISTANT, USER, Turn, parts_of
from storage.records import MessageRecord, MessageStatus, Siblings

from .chrome import screen_reader_text

# One sentence on what happened and what to do. An error's own text (portal/inference/errors.py) says
# both for errors, so an error shows that text alone.
STATUS_MARKERS: dict[str, tuple[str, str]] = {
    MessageStatus.STOPPED: ("Stopped by you; the partial reply is kept. Regenerate for a full one.", "warning"),
    MessageStatus.INTERRUPTED: ("Interrupted: the page was closed before the reply finished; what arrived is kept.", "warning"),
    MessageStatus.INCOMPLETE: ("Incomplete: the app stopped before the reply finished; what arrived is kept.", "warning"),
    MessageStatus.ERROR: ("The request failed. Regenerate to try again.", "error"),
    MessageStatus.STREAMING: ("Still being written in another tab or session; reload to see the rest.", "info"),
}
AUTHORS = {USER: ("user", "You said:"), ASSISTANT: ("assistant", "The model said:"), "system": ("assistant", "System message:")}


@dataclass
class TurnActions:
    """What the row under a turn can do; None of it while a reply streams."""

    siblings: dict[int, Siblings]
    on_edit: Callable[[MessageRecord], None]
    on_regenerate: Callable[[MessageRecord], None]
    on_switch: Callable[[int], None]
    edit_form: Callable[[MessageRecord], None]
    editing: int | None = None


def status_marker(message: MessageRecord) -> tuple[str, str] | None:
    """(text, level) for a reply that did not complete; None for a complete one."""
    if message.status not in STATUS_MARKERS:
        return None
    text, level = STATUS_MARKERS[message.status]
    if message.error and message.status in (MessageStatus.ERROR, MessageStatus.INCOMPLETE):
        return message.error, level  # the error's own sentence and what to do
    return text, level


def user_text(text: str, said: str = "", target: bool = False) -> None:
    """The user's words exactly as typed: line breaks and spacing kept, nothing interpreted. `said` (trusted)
    is announced to screen readers first, in the same element: one element per message, not two."""
    label = f'<span class="{_label_class(target)}">{said}</span>' if said else ""
    st.html(f'{label}<p class="portal-user-text">{html.escape(text)}</p>')


def copy_button(text: str, label: str = "Copy") -> None:
    """A button the page script answers (no rerun): puts `text` on the clipboard."""
    st.html(
        f'<button type="button" class="portal-copy" aria-label="{html.escape(label)} to the clipboard" '
        f'data-copy="{html.escape(text, quote=True)}"><span class="portal-copy-label">{html.escape(label)}</span></button>',
        width="content",
    )


def _attachments(message: MessageRecord) -> None:
    for attachment in parts_of(message).get("attachments") or []:
        url = (attachment.get("image_url") or {}).get("url")
        if url and url.startswith("data:image/"):
            st.image(url, width=240, caption=attachment.get("name"))
        elif attachment.get("type") == "input_audio":
            st.caption(f":material/audio_file: {attachment.get('name', 'audio')}")


def _structured(message: MessageRecord) -> bool:
    """Render a JSON reply formatted and checked against its schema; False when not structured."""
    response_format = (message.params or {}).get("response_format") or {}
    check = check_reply(message.content, response_format) if message.status == MessageStatus.COMPLETE else None
    if check is None:
        return False
    if not check.valid_json:
        st.code(message.content, language="json")
        st.warning("The reply is not valid JSON.")
        return True
    st.code(json.dumps(check.parsed, indent=2, ensure_ascii=False), language="json")
    if check.schema_errors:
        st.warning("The reply does not match the schema: " + "; ".join(check.schema_errors[:5]))
    elif response_format.get("type") == "json_schema":
        st.caption(":material/check_circle: matches the schema")
    return True


def tool_chip(name: str, arguments: str, content: str, ok: bool, duration_ms: float | None) -> None:
    """A compact chip for one tool call; it opens to the arguments, the result and the time."""
    timing = f" · {duration_ms:,.0f} ms" if duration_ms is not None else ""
    with st.popover(f"{name}{timing}", icon=":material/build:" if ok else ":material/error:"):
        st.caption("Arguments")
        st.code(arguments or "{}", language="json", wrap_lines=True)
        st.caption("Result" if ok else "Error returned to the model")
        st.code(content, language="json", wrap_lines=True)


def _tool_chips(results: list[MessageRecord]) -> None:
    with st.container(horizontal=True, gap="small"):
        for result in results:
            parts = parts_of(result)
            tool_chip(str(parts.get("name", "tool")), str(parts.get("arguments", "")), result.content, parts.get("ok", True), parts.get("duration_ms"))


def _thinking(message: MessageRecord) -> None:
    reasoning = parts_of(message).get("reasoning")
    if reasoning:
        tokens = parts_of(message).get("reasoning_tokens")
        with st.expander(f"Thinking · {tokens} tokens" if tokens else "Thinking", icon=":material/psychology:"):
            st.markdown(neutralize_links(str(reasoning)))


def _assistant_body(turn: Turn) -> None:
    messages = list(turn.messages)
    index = 0
    while index < len(messages):
        message = messages[index]
        index += 1
        if message.role == "tool":  # tool results without their call in view (the window starts mid-turn)
            results = [message]
        else:
            _thinking(message)
            if message.content and not _structured(message):
                st.markdown(neutralize_links(message.content))  # never HTML; only http(s)/mailto links stay clickable
            results = []
        while index < len(messages) and messages[index].role == "tool":
            results.append(messages[index])
            index += 1
        if results:
            _tool_chips(results)
    marker = status_marker(turn.last)
    if marker is not None:
        getattr(st, marker[1])(marker[0])
    sent = (turn.last.params or {}).get("context_messages_sent")
    if sent is not None:
        st.caption(f"Only the latest {sent} messages were sent: the conversation exceeds the context budget.")
    line = turn.stats().line()
    if line:
        st.caption(line)


def _label_class(target: bool) -> str:
    # portal-target: the message a link opened the conversation at (portal.css marks it, portal.js scrolls to it)
    return "portal-sr-only portal-target" if target else "portal-sr-only"


def render_turn(turn: Turn, actions: TurnActions | None, target: bool = False) -> None:
    avatar, said = AUTHORS.get(turn.role, AUTHORS[ASSISTANT])
    if target:
        said = said.removesuffix(":") + " (the message you opened):"
    with st.chat_message(avatar):
        if turn.role == USER and turn.first.content and not (actions is not None and actions.editing == turn.first.id):
            user_text(turn.first.content, said, target)  # the label and the words in one element
        elif target:
            st.html(f'<span class="{_label_class(target)}">{said}</span>')
        else:
            screen_reader_text(said)
        if turn.role == USER:
            if actions is not None and actions.editing == turn.first.id:
                actions.edit_form(turn.first)
                return
            _attachments(turn.first)
        else:
            _assistant_body(turn)
        if actions is not None:
            _action_row(turn, actions)


def _action_row(turn: Turn, actions: TurnActions) -> None:
    first = turn.first
    with st.container(horizontal=True, gap=None, key=f"act_{first.id}", vertical_alignment="center", wrap=False):
        text = turn.copy_text()
        if text:
            copy_button(text)
        if turn.role == USER:
            st.button(
                "Edit", key=f"edit_{first.id}", icon=":material/edit:", type="tertiary", on_click=actions.on_edit, args=(first,),
                help="Edit this message and send it again; the current version stays one click away",
            )
        elif turn.role == ASSISTANT and first.role == "assistant" and first.status != MessageStatus.STREAMING:
            st.button(
                "Regenerate", key=f"regen_{first.id}", icon=":material/refresh:", type="tertiary", on_click=actions.on_regenerate,
                args=(first,), help="Ask for another reply; this one stays one click away",
            )
        switch = actions.siblings.get(first.id)
        if switch is not None:
            _branch_switch(first, switch, actions.on_switch, "edit" if turn.role == USER else "reply")


def _branch_switch(message: MessageRecord, switch: Siblings, on_switch: Callable[[int], None], noun: str) -> None:
    """‹ 2 / 3 ›: the other versions of this message (edits of a question, replies to it)."""
    with st.container(horizontal=True, gap=None, key=f"iconly_branch_{message.id}", width="content", vertical_alignment="center"):
        st.button(
            f"Previous {noun}", key=f"prev_{message.id}", icon=":material/chevron_left:", type="tertiary",
            disabled=switch.index == 0, on_click=on_switch, args=(switch.ids[max(0, switch.index - 1)],),
        )
        st.html(f'<span class="portal-branch" aria-label="Version {switch.index + 1} of {switch.count}">{switch.index + 1} / {switch.count}</span>', width="content")
        st.button(
            f"Next {noun}", key=f"next_{message.id}", icon=":material/chevron_right:", type="tertiary",
            disabled=switch.index == switch.count - 1, on_click=on_switch, args=(switch.ids[min(switch.count - 1, switch.index + 1)],),
        )
