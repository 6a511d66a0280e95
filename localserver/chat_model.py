"""`local-chat`: a deterministic chat model whose reply is derived from the conversation.

The reply restates the last user message and summarises the conversation (how many turns, the
system prompt, key words, attachments). Given tools it calls the best-matching one with arguments
that satisfy the tool's schema; given tool results it answers from them. Everything is a pure
function of the request, so tests can predict it and demos can show it.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .directives import Directives, parse_directives
from .media import describe_audio, describe_image_url
from .schema_values import STOPWORDS, extract_expression, value_for_schema
from .tokens import count_message_tokens, count_tokens, split_words

_FILLER = (
    "the model streams this sentence word by word so that you can watch the interface keep up "
    "with a long reply while every token arrives in its own server sent event and the usage "
    "figures are counted on the final chunk"
).split()
_OPENINGS = ("You said:", "You wrote:", "Your message reads:", "I received:")
RESTATE_WORDS = 60


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass
class ChatPlan:
    """What the model will answer, before it is framed as JSON or SSE."""

    chunks: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0  # the answer's and the reasoning's tokens together, as OpenAI counts them
    directives: Directives = field(default_factory=Directives)
    reasoning_chunks: list[str] = field(default_factory=list)  # a reasoning model's thinking, before the answer
    hidden_reasoning_tokens: int = 0  # thinking that was counted but is not sent (OpenAI's reasoning models)

    @property
    def content(self) -> str:
        return "".join(self.chunks)

    @property
    def reasoning(self) -> str:
        return "".join(self.reasoning_chunks)

    @property
    def reasoning_tokens(self) -> int:
        return len(self.reasoning_chunks) + self.hidden_reasoning_tokens


def text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if part.get("type") == "text")


def _attachments_of(content: Any) -> list[str]:
    if not isinstance(content, list):
        return []
    found = []
    for part in content:
        if part.get("type") == "image_url":
            image = part.get("image_url") or {}
            found.append(describe_image_url(image.get("url", ""), image.get("detail")))
        elif part.get("type") == "input_audio":
            audio = part.get("input_audio") or {}
            found.append(describe_audio(audio.get("data", ""), audio.get("format")))
    return found


def _stable_hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _key_words(messages: list[dict[str, Any]], limit: int = 5) -> list[str]:
    counts: Counter[str] = Counter()
    for message in messages:
        if message.get("role") in ("user", "system", "developer"):
            _, cleaned = parse_directives(text_of(message.get("content")))
            for word in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", cleaned.lower()):
                if word not in STOPWORDS:
                    counts[word] += 1
    return [word for word, _ in counts.most_common(limit)]


# What Markdown would not show as typed: emphasis marks touching a word ("6*7", "a_b_c"), code
# backticks, link brackets "[x](y)", and a backslash before punctuation.
_MARKDOWN_SENSITIVE = re.compile(r"(?<=\S)[*_~]|[*_~](?=\S)|`|\[(?=[^\]]*\]\()|\](?=\()|\\(?=[!-/:-@\[-`{-~])")


def _as_typed(text: str) -> str:
    """The echo escaped where Markdown would change it, so that it renders as the user typed it
    ("6*7" stays 6*7 instead of starting italics); plain text is left as it is."""
    return _MARKDOWN_SENSITIVE.sub(lambda match: "\\" + match.group(0), text)


def _restate(text: str, verbatim: bool = False) -> str:
    words = split_words(text)
    shown = " ".join(words[:RESTATE_WORDS])
    shown = shown if verbatim else _as_typed(shown)
    return shown + " …" if len(words) > RESTATE_WORDS else shown


def _text_reply(
    messages: list[dict[str, Any]], last_user_text: str, attachments: list[str], seed: int | None, verbatim: bool = False
) -> str:
    opening = _OPENINGS[(seed or 0) % len(_OPENINGS)]
    sentences = []
    if last_user_text:
        sentences.append(f'{opening} "{_restate(last_user_text, verbatim)}".')
    for description in attachments:
        sentences.append(f"You attached {description}.")
    users = sum(1 for m in messages if m.get("role") == "user")
    replies = sum(1 for m in messages if m.get("role") == "assistant")
    summary = f"This conversation has {users} user message{'s' if users != 1 else ''}"
    summary += f" and {replies} earlier repl{'ies' if replies != 1 else 'y'}."
    sentences.append(summary)
    system = next((m for m in messages if m.get("role") in ("system", "developer")), None)
    if system is not None:
        system_words = split_words(text_of(system.get("content")))
        prompt = " ".join(system_words[:12]) + (" …" if len(system_words) > 12 else "")
        sentences.append(f'The {system["role"]} prompt says: "{prompt}".')
    if key_words := _key_words(messages):
        sentences.append("Key words: " + ", ".join(key_words) + ".")
    if expression := extract_expression(last_user_text):
        if (value := _safe_arithmetic(expression)) is not None:
            sentences.append(f"By my arithmetic `{expression}` = {value}.")
    return " ".join(sentences)


def _safe_arithmetic(expression: str) -> str | None:
    # Deliberately tiny: digits, + - * / and parentheses only; never eval.
    tokens = re.findall(r"\d+(?:\.\d+)?|[-+*/()]", expression.replace("×", "*").replace("÷", "/"))
    position = 0

    def parse_sum() -> float:
        nonlocal position
        value = parse_product()
        while position < len(tokens) and tokens[position] in "+-":
            operator = tokens[position]
            position += 1
            value = value + parse_product() if operator == "+" else value - parse_product()
        return value

    def parse_product() -> float:
        nonlocal position
        value = parse_atom()
        while position < len(tokens) and tokens[position] in "*/":
            operator = tokens[position]
            position += 1
            value = value * parse_atom() if operator == "*" else value / parse_atom()
        return value

    def parse_atom() -> float:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            value = parse_sum()
            position += 1
            return value
        if token == "-":
            return -parse_atom()
        return float(token)

    try:
        result = parse_sum()
    except (IndexError, ValueError, ZeroDivisionError):
        return None
    if position != len(tokens) or not math.isfinite(result):
        return None
    return str(int(result)) if result == int(result) else f"{result:.6g}"


def _pad_to_length(text: str, words: int, seed_material: str) -> str:
    current = split_words(text)
    if len(current) >= words:
        return " ".join(current[:words])
    rng = random.Random(seed_material)
    start = rng.randrange(len(_FILLER))
    extra = [_FILLER[(start + i) % len(_FILLER)] for i in range(words - len(current))]
    return " ".join(current + extra)


def _chunk_text(text: str) -> list[str]:
    """One chunk per word, whitespace kept, so that "".join(chunks) == text exactly."""
    chunks = re.findall(r"\s*\S+", text)
    if chunks and (tail := text[len("".join(chunks)) :]):
        chunks[-1] += tail
    return chunks


def _apply_stop(text: str, stop: list[str] | None) -> str:
    if not stop:
        return text
    cut = min((index for s in stop if s and (index := text.find(s)) >= 0), default=-1)
    return text if cut < 0 else text[:cut]


# -- tools -------------------------------------------------------------------------------------------


def _tool_words(tool: dict[str, Any]) -> set[str]:
    function = tool.get("function") or {}
    raw = " ".join(
        [
            re.sub(r"([a-z])([A-Z])", r"\1 \2", function.get("name", "")).replace("_", " "),
            function.get("description") or "",
            " ".join(((function.get("parameters") or {}).get("properties") or {}).keys()).replace("_", " "),
        ]
    )
    return {_stem(w) for w in re.findall(r"[a-z]+", raw.lower()) if w not in STOPWORDS}


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


_ARITHMETIC_WORDS = frozenset(
    "multiply product times add sum plus subtract minus divide quotient calculate calculator compute math arithmetic evaluate".split()
)


def _tool_score(tool: dict[str, Any], clause: str) -> float:
    words = {_stem(w) for w in re.findall(r"[a-z]+", clause.lower()) if w not in STOPWORDS}
    tool_words = _tool_words(tool)
    score = float(len(words & tool_words))
    properties = ((tool.get("function") or {}).get("parameters") or {}).get("properties") or {}
    if extract_expression(clause) and (
        any(hint in name.lower() for name in properties for hint in ("expression", "expr", "formula"))
        or tool_words & _ARITHMETIC_WORDS  # "whats 5 * 4" for a tool that multiplies
    ):
        score += 2
    return score


def _split_clauses(text: str) -> list[str]:
    parts = re.split(r"\s*(?:;|\band also\b|\band then\b|\bthen\b|\band\b|,)\s*", text)
    return [p for p in parts if p.strip()] or [text]


def _plan_tool_calls(tools: list[dict[str, Any]], tool_choice: Any, text: str, seed_material: str) -> list[ToolCall]:
    functions = [t for t in tools if t.get("type", "function") == "function" and t.get("function")]
    if not functions or tool_choice == "none":
        return []
    if isinstance(tool_choice, dict):
        wanted = (tool_choice.get("function") or {}).get("name")
        functions = [t for t in functions if t["function"].get("name") == wanted] or functions
    calls: list[tuple[str, str]] = []
    for clause in _split_clauses(text):
        scored = sorted(((_tool_score(t, clause), i) for i, t in enumerate(functions)), key=lambda s: (-s[0], s[1]))
        best_score, best_index = scored[0]
        if best_score <= 0 and tool_choice not in ("required",) and not isinstance(tool_choice, dict):
            continue
        function = functions[best_index]["function"]
        arguments = value_for_schema(function.get("parameters") or {"type": "object"}, clause)
        call = (function["name"], json.dumps(arguments))
        if call not in calls:
            calls.append(call)
    if not calls and (tool_choice == "required" or isinstance(tool_choice, dict)):
        function = functions[0]["function"]
        calls.append((function["name"], json.dumps(value_for_schema(function.get("parameters"), text))))
    return [
        ToolCall(id="call_" + _stable_hash(seed_material, index, name, args)[:24], name=name, arguments=args)
        for index, (name, args) in enumerate(calls)
    ]


def _answer_from_tool_results(messages: list[dict[str, Any]]) -> str:
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or []:
            names[call.get("id", "")] = (call.get("function") or {}).get("name", "tool")
    results = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        name = names.get(message.get("tool_call_id", ""), "tool")
        raw = text_of(message.get("content")).strip()
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if isinstance(value, dict) and "error" in value:
            results.append(f"{name} failed: {value['error']}")
        elif isinstance(value, dict) and "result" in value:
            results.append(f"{name} returned {value['result']}")
        else:
            results.append(f"{name} returned {raw}")
    results.reverse()
    return "Based on the tool results: " + "; ".join(results) + "."


# -- structured output --------------------------------------------------------------------------------


def _structured_reply(response_format: dict[str, Any], text_reply: str, last_user_text: str) -> str | None:
    kind = response_format.get("type")
    if kind == "json_object":
        return json.dumps({"reply": text_reply, "words": count_tokens(last_user_text)})
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}
        return json.dumps(value_for_schema(schema, last_user_text or text_reply))
    return None


# -- entry point --------------------------------------------------------------------------------------


# How many words a reasoning model thinks per effort level (None: the model's default, "medium").
REASONING_WORDS = {"none": 0, "minimal": 8, "low": 16, "medium": 40, "high": 80, "xhigh": 120}


def _reasoning_text(messages: list[dict[str, Any]], last_user_text: str, has_tools: bool, effort: str | None, seed_material: str) -> str:
    """What `local-reasoner` thinks before it answers: about the question, then filler up to the effort's length."""
    words = REASONING_WORDS.get(effort or "medium", REASONING_WORDS["medium"])
    if words == 0:
        return ""
    sentences = [f'The user asks: "{_restate(last_user_text)}".' if last_user_text else "There is no new question."]
    if expression := extract_expression(last_user_text):
        if (value := _safe_arithmetic(expression)) is not None:
            sentences.append(f"Working it out, `{expression}` gives {value}.")
    if has_tools:
        sentences.append("A tool may help here, so I will consider calling one.")
    users = sum(1 for m in messages if m.get("role") == "user")
    sentences.append(f"The conversation has {users} user message{'s' if users != 1 else ''}; I will answer the last one.")
    return _pad_to_length(" ".join(sentences), words, seed_material + "reasoning")


def _limit(plan: ChatPlan, chunks: list[str], max_tokens: int | None) -> list[str]:
    """Cut the answer so that reasoning plus answer fit `max_tokens` (finish reason `length`)."""
    if max_tokens is None:
        return chunks
    if len(plan.reasoning_chunks) > max_tokens:
        plan.reasoning_chunks = plan.reasoning_chunks[:max_tokens]
    room = max_tokens - len(plan.reasoning_chunks)
    if len(chunks) > room:
        plan.finish_reason = "length"
        return chunks[:room]
    return chunks


def _with_system_directives(directives: Directives, messages: list[dict[str, Any]]) -> Directives:
    """Directives in the system (or developer) message apply where the last user message sets none:
    one prompt sent to several targets can then fail or slow down only the target whose system
    prompt asks for it (compare mode's tests)."""
    for message in messages:
        if message.get("role") not in ("system", "developer"):
            continue
        found, _ = parse_directives(text_of(message.get("content")))
        directives = Directives(
            long_words=directives.long_words if directives.long_words is not None else found.long_words,
            words_per_second=directives.words_per_second if directives.words_per_second is not None else found.words_per_second,
            fault=directives.fault or found.fault,
            verbatim=directives.verbatim or found.verbatim,
        )
    return directives


def plan_reply(body: dict[str, Any], *, reasons: bool = False, reasoning_effort: str | None = None) -> ChatPlan:
    """Decide the whole reply for a validated chat request body.

    `reasons`: the model is a reasoning model (`local-reasoner`): it thinks before it answers, for
    as long as `reasoning_effort` asks, and its thinking counts as completion tokens.
    """
    messages: list[dict[str, Any]] = body["messages"]
    seed = body.get("seed")
    seed_material = _stable_hash(messages, seed)
    last = messages[-1] if messages else {}
    last_user: dict[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    directives, last_user_text = parse_directives(text_of(last_user.get("content")))
    directives = _with_system_directives(directives, messages)
    plan = ChatPlan(prompt_tokens=count_message_tokens(messages), directives=directives)
    max_tokens = body.get("max_completion_tokens")
    if max_tokens is None:
        max_tokens = body.get("max_tokens")
    if reasons:
        thinking = _reasoning_text(messages, last_user_text, bool(body.get("tools")), reasoning_effort, seed_material)
        plan.reasoning_chunks = _chunk_text(thinking)
        _limit(plan, [], max_tokens)

    if last.get("role") == "user" and body.get("tools"):
        plan.tool_calls = _plan_tool_calls(body["tools"], body.get("tool_choice"), last_user_text, seed_material)
    if plan.tool_calls:
        plan.finish_reason = "tool_calls"
        plan.completion_tokens = plan.reasoning_tokens + sum(count_tokens(c.name) + count_tokens(c.arguments) for c in plan.tool_calls)
        return plan

    if last.get("role") == "tool":
        text = _answer_from_tool_results(messages)
    else:
        text = _text_reply(messages, last_user_text, _attachments_of(last_user.get("content")), seed, directives.verbatim)
    if directives.long_words is not None:
        text = _pad_to_length(text if last_user_text else "", directives.long_words, seed_material)
    if structured := _structured_reply(body.get("response_format") or {}, text, last_user_text):
        text = structured
    text = _apply_stop(text, body.get("stop"))

    plan.chunks = _limit(plan, _chunk_text(text), max_tokens)
    plan.completion_tokens = len(plan.chunks) + plan.reasoning_tokens
    return plan
