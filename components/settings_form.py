"""The chat settings form: system prompt presets, model, sampling parameters. Returns ChatSettings."""

from __future__ import annotations

import streamlit as st

from portal.chat_settings import SYSTEM_PROMPT_PRESETS, ChatSettings
from portal.settings import Connection


def _parse_stop(raw: str) -> tuple[str, ...]:
    return tuple(s for s in (part.strip() for part in raw.replace("\n", ",").split(",")) if s)[:4]


def settings_form(stored: ChatSettings, connection: Connection, scope: str) -> ChatSettings:
    """Widgets keyed by `scope` (the conversation id) so each conversation keeps its own values."""
    with st.sidebar.expander("Chat settings", icon=":material/tune:"):
        preset_names = list(SYSTEM_PROMPT_PRESETS)
        preset = st.selectbox("System prompt preset", ["Custom"] + preset_names, key=f"preset_{scope}")
        prompt_key = f"system_{scope}"
        if prompt_key not in st.session_state:
            st.session_state[prompt_key] = stored.system_prompt
        if preset != "Custom" and st.session_state.get(f"applied_{scope}") != preset:
            st.session_state[prompt_key] = SYSTEM_PROMPT_PRESETS[preset]
            st.session_state[f"applied_{scope}"] = preset
        system_prompt = st.text_area("System prompt", key=prompt_key, height=100)
        as_developer = st.toggle(
            "Send as developer message", value=stored.system_role == "developer", key=f"dev_{scope}",
            help="For reasoning models that expect a `developer` message instead of `system`.",
        )
        choices = list(connection.model_choices())
        model = stored.model
        if len(choices) > 1:
            index = choices.index(stored.model) if stored.model in choices else 0
            model = st.selectbox("Model / deployment", choices, index=index, key=f"model_{scope}")
        elif connection.kind.value in ("foundry", "github_models", "openai_compatible"):
            model = st.text_input("Model / deployment", value=stored.model or connection.chat_model or "", key=f"model_{scope}") or None
        st.caption("Empty fields use the connection's defaults.")
        left, right = st.columns(2)
        temperature = left.number_input("Temperature", 0.0, 2.0, value=stored.temperature, step=0.1, key=f"temp_{scope}", placeholder="default")
        top_p = right.number_input("Top p", 0.0, 1.0, value=stored.top_p, step=0.05, key=f"top_p_{scope}", placeholder="default")
        max_tokens = left.number_input("Max tokens", 1, 1_000_000, value=stored.max_tokens, step=64, key=f"max_{scope}", placeholder="default")
        seed = right.number_input("Seed", 0, 2**31 - 1, value=stored.seed, step=1, key=f"seed_{scope}", placeholder="none")
        presence = left.number_input("Presence penalty", -2.0, 2.0, value=stored.presence_penalty, step=0.1, key=f"pres_{scope}", placeholder="default")
        frequency = right.number_input("Frequency penalty", -2.0, 2.0, value=stored.frequency_penalty, step=0.1, key=f"freq_{scope}", placeholder="default")
        stop = st.text_input("Stop sequences (comma separated, up to 4)", value=", ".join(stored.stop), key=f"stop_{scope}")
    return stored.with_changes(
        system_prompt=system_prompt,
        system_role="developer" if as_developer else "system",
        model=model,
        temperature=temperature,
        top_p=top_p,
        max_tokens=int(max_tokens) if max_tokens is not None else None,
        presence_penalty=presence,
        frequency_penalty=frequency,
        seed=int(seed) if seed is not None else None,
        stop=_parse_stop(stop),
    )
