"""Baseline for benchmark 3: the tutorial chat app over the portal's database, rendering the whole history.

The straightforward way to show a stored conversation in Streamlit: load every message of the
conversation in the URL (`?c=<id>`) from the same database the portal uses (PORTAL_DATA_DIR or
DATABASE_URL) and draw each one with `st.chat_message` + `st.markdown` on every rerun. A sent
message is stored, the reply is streamed from BENCH_ENDPOINT through the azure-ai-inference SDK
and stored. Only the latest 20 messages are sent to the model (all of them would not fit its
context window), so the comparison is about showing the history, not about the request.

Run: BENCH_ENDPOINT=http://127.0.0.1:8000 PORTAL_DATA_DIR=... streamlit run bench/baseline_full_history_app.py
"""

import os

import streamlit as st
from azure.ai.inference import ChatCompletionsClient
from azure.core.credentials import AzureKeyCredential

from storage import repository
from storage.engine import default_database_url, make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head

SENT_MESSAGES = 20


@st.cache_resource
def sessions():
    engine = make_engine(default_database_url())
    upgrade_to_head(engine)
    return make_sessionmaker(engine)


client = ChatCompletionsClient(endpoint=os.environ["BENCH_ENDPOINT"], credential=AzureKeyCredential("unused"))
conversation_id = st.query_params.get("c")
st.title("Full-history chat")

with sessions().begin() as session:
    history = repository.list_messages(session, conversation_id) if conversation_id else []

for message in history:
    with st.chat_message("user" if message.role == "user" else "assistant"):
        st.markdown(message.content)

if (prompt := st.chat_input("What is up?")) and conversation_id:
    with sessions().begin() as session:
        repository.add_message(session, conversation_id, role="user", content=prompt)
    with st.chat_message("user"):
        st.markdown(prompt)
    sent = [{"role": m.role, "content": m.content} for m in history[-(SENT_MESSAGES - 1) :]] + [
        {"role": "user", "content": prompt}
    ]
    with st.chat_message("assistant"):
        stream = client.complete(messages=sent, stream=True)
        response = st.write_stream(update.choices[0].delta.content or "" for update in stream if update.choices)
    with sessions().begin() as session:
        repository.add_message(session, conversation_id, role="assistant", content=response)
