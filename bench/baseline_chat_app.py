"""Baseline for benchmark 2: the minimal chat app of Streamlit's tutorial "Build a basic LLM chat app".

The tutorial's app (https://docs.streamlit.io/develop/tutorials/chat-and-llm-apps/build-conversational-apps),
kept as close to the original as possible, with the OpenAI client swapped for the
azure-ai-inference SDK pointed at the benchmark's local server (BENCH_ENDPOINT), so both apps
stream the same reply from the same server through the same SDK.

Run: BENCH_ENDPOINT=http://127.0.0.1:8000 streamlit run bench/baseline_chat_app.py
"""

import os

import streamlit as st
from azure.ai.inference import ChatCompletionsClient
from azure.core.credentials import AzureKeyCredential

st.title("ChatGPT-like clone")

client = ChatCompletionsClient(endpoint=os.environ["BENCH_ENDPOINT"], credential=AzureKeyCredential("unused"))

if "messages" not in st.session_state:
    st.session_state.messages = []

for message in st.session_state.messages:
    with st.chat_message(message["role"]):
        st.markdown(message["content"])

if prompt := st.chat_input("What is up?"):
    st.session_state.messages.append({"role": "user", "content": prompt})
    with st.chat_message("user"):
        st.markdown(prompt)

    with st.chat_message("assistant"):
        stream = client.complete(
            messages=[{"role": m["role"], "content": m["content"]} for m in st.session_state.messages],
            stream=True,
        )
        response = st.write_stream(update.choices[0].delta.content or "" for update in stream if update.choices)
    st.session_state.messages.append({"role": "assistant", "content": response})
