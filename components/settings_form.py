"""The chat settings panel (opened from the top of the chat): model, system prompt and presets,
reasoning, sampling parameters, tools and response format, in three tabs. Returns ChatSettings."""

from __future__ import annotations

import json

import streamlit as st

from portal.attachments import DETAIL_OPTIONS
from portal.chat_settings import SYSTEM_PROMPT_PRESETS, ChatSettings
from portal.inference import REASONING_EFFORTS, REASONING_SUMMARIES, SAMPLING_PARAMETERS
from portal.inference.endpoints import API_OPENAI
from portal.response_formats import JSON_OBJECT, JSON_SCHEMA, TEXT, SchemaError, build_response_format
from portal.settings import Connection
from portal.tools import REGISTRY

from . import resources

FREE_TEXT_MODEL_KINDS = ("foundry", "github_models", "openai_compatible", "foundry_v1", "openai")  # one URL, many models
DEFAULT_EFFORT = "model default"
NO_SUMMARY = "none"
RESPONSES_ONLY_MARK = " · Responses API only"

EXAMPLE_SCHEMA = json.dumps(
    {"type": "object", "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}}, "required": ["answer"]},
    indent=2,
)
FORMAT_LABELS = {TEXT: "Text", JSON_OBJECT: "JSON object", JSON_SCHEMA: "JSON schema"}


def _parse_stop(raw: str) -> tuple[str, ...]:
    return tuple(s for s in (part.strip() for part in raw.replace("\n", ",").split(",")) if s)[:4]


def settings_form(stored: ChatSettings, connection: Connection, scope: str) -> ChatSettings:
    """Widgets keyed by `scope` (the conversation id) so each conversation keeps its own values; drawn
    where the caller is (the settings popover)."""
    model_tab, parameters_tab, tools_tab = st.tabs(["Model and prompt", "Parameters", "Tools and output"])
    with model_tab:
        preset_names = list(SYSTEM_PROMPT_PRESETS)
        preset = st.selectbox("System prompt preset", ["Custom"] + preset_names, key=f"preset_{scope}")
        prompt_key = f"system_{scope}"
        if prompt_key not in st.session_state:
            st.session_state[prompt_key] = stored.system_prompt
        if preset != "Custom" and st.session_state.get(f"applied_{scope}") != preset:
            st.session_state[prompt_key] = SYSTEM_PROMPT_PRESETS[preset]
            st.session_state[f"applied_{scope}"] = preset
        system_prompt = st.text_area("System prompt", key=prompt_key, height=140)
        as_developer = st.toggle(
            "Send as developer message", value=stored.system_role == "developer", key=f"dev_{scope}",
            help="For reasoning models that expect a `developer` message instead of `system`.",
        )
        model = model_picker(stored.model, connection, scope)
        reasoning_effort, reasoning_summary = stored.reasoning_effort, stored.reasoning_summary
        if connection.api == API_OPENAI:
            efforts = [DEFAULT_EFFORT, *REASONING_EFFORTS]
            chosen = st.selectbox(
                "Reasoning effort", efforts, index=efforts.index(stored.reasoning_effort or DEFAULT_EFFORT), key=f"effort_{scope}",
                help="`reasoning_effort`, for reasoning models (o-series, gpt-5, DeepSeek-R1); other models refuse it.",
            )
            reasoning_effort = None if chosen == DEFAULT_EFFORT else chosen
            summaries = [NO_SUMMARY, *REASONING_SUMMARIES]
            summary = st.selectbox(
                "Reasoning summary", summaries, index=summaries.index(stored.reasoning_summary or NO_SUMMARY), key=f"summary_{scope}",
                help="`reasoning.summary`: the Responses API's summaries of a reasoning model's thinking, shown in the Thinking "
                "block. Chat completions have none.",
            )
            reasoning_summary = None if summary == NO_SUMMARY else summary
    with parameters_tab:
        st.caption("Empty fields use the connection's defaults.")
        sampling = _sampling_inputs(stored, scope)
        stop = st.text_input("Stop sequences (comma separated, up to 4)", value=", ".join(stored.stop), key=f"stop_{scope}")
    with tools_tab:
        tools, response_format, image_detail = _capabilities_form(stored, scope)
    return stored.with_changes(
        tools=tools,
        response_format=response_format,
        image_detail=image_detail,
        system_prompt=system_prompt,
        system_role="developer" if as_developer else "system",
        model=model,
        reasoning_effort=reasoning_effort,
        reasoning_summary=reasoning_summary,
        **sampling,
        stop=_parse_stop(stop),
    )


def _sampling_inputs(stored: ChatSettings, scope: str) -> dict[str, float | int | None]:
    """One number input per sampling parameter (SAMPLING_PARAMETERS), in two columns; empty = None."""
    columns = st.columns(2)
    values: dict[str, float | int | None] = {}
    for position, parameter in enumerate(SAMPLING_PARAMETERS):
        number = int if parameter.integer else float
        value = columns[position % 2].number_input(
            parameter.label,
            number(parameter.minimum),
            number(parameter.maximum),
            value=getattr(stored, parameter.name),
            step=number(parameter.step),
            key=f"{parameter.widget_key}_{scope}",
            placeholder=parameter.placeholder,
        )
        values[parameter.name] = number(value) if value is not None else None
    return values


def model_picker(current: str | None, connection: Connection, scope: str) -> str | None:
    """The chat model or deployment: a list where the connection has several (configured, or listed by
    the endpoint, with a refresh button), free text where any name may do."""
    choices = resources.get_model_choices(connection)
    options = list(choices.chat)
    responses_only = set(choices.responses_only(connection))
    model = current
    if len(options) > 1:
        index = options.index(current) if current in options else 0
        model = st.selectbox(
            "Model / deployment", options, index=index, key=f"model_{scope}",
            format_func=lambda name: name + (RESPONSES_ONLY_MARK if name in responses_only else ""),
        )
    elif connection.kind.value in FREE_TEXT_MODEL_KINDS:
        value = current or choices.default_chat or ""
        model = st.text_input("Model / deployment", value=value, key=f"model_{scope}") or None
    if choices.note:
        st.caption(choices.note)
    if resources.get_backend(connection).features().model_listing and st.button(
        "Refresh the model list", key=f"refresh_models_{scope}", icon=":material/refresh:", help="Ask the endpoint again which models it serves"
    ):
        resources.refresh_model_choices()
        st.rerun()
    return model


def _capabilities_form(stored: ChatSettings, scope: str) -> tuple[tuple[str, ...], dict | None, str]:
    tools = st.multiselect(
        "Tools the model may call", REGISTRY.names(), default=list(stored.tools), key=f"tools_{scope}",
        help="Add a tool: one function with a JSON schema in portal/tools/builtin.py",
    )
    image_detail = st.selectbox(
        "Image detail", DETAIL_OPTIONS, index=DETAIL_OPTIONS.index(stored.image_detail) if stored.image_detail in DETAIL_OPTIONS else 0,
        key=f"detail_{scope}",
    )
    current_kind = (stored.response_format or {}).get("type", TEXT)
    kind = st.radio(
        "Response format", list(FORMAT_LABELS), index=list(FORMAT_LABELS).index(current_kind),
        format_func=FORMAT_LABELS.get, key=f"format_{scope}", horizontal=True,
    )
    schema_text = ""
    if kind == JSON_SCHEMA:
        # The example is a placeholder, not a value: choosing "JSON schema" must not switch the
        # conversation to a schema the user never chose (replacing their previous format).
        current_schema = (stored.response_format or {}).get("json_schema", {}).get("schema")
        schema_text = st.text_area(
            "JSON schema", value=json.dumps(current_schema, indent=2) if current_schema else "",
            placeholder=EXAMPLE_SCHEMA, key=f"schema_{scope}", height=260,
        )
    if kind == JSON_SCHEMA and not schema_text.strip():
        st.info("Paste a JSON schema (the grey text is an example). The previous response format is kept until then.")
        response_format = stored.response_format
    else:
        try:
            response_format = build_response_format(kind, schema_text)
        except SchemaError as exc:
            st.error(f"{exc} The previous response format is kept until the schema is valid.")
            response_format = stored.response_format
    return tuple(tools), response_format, image_detail
