"""Fair baseline for benchmark 3: the tutorial chat app over the portal's database, showing `history[-40:]`.

Streamlit's tutorial chat app ("Build a basic LLM chat app") with its history read from the same
database the portal uses (PORTAL_DATA_DIR or DATABASE_URL) for the conversation in the URL
(`?c=<id>`), showing only the latest 40 messages, as the portal does: `history[-40:]`, read as such
(`list_messages(limit=40)`, the storage API's own tail query) so that neither app reads the rest
of a long conversation. Each message is drawn with `st.chat_message` + `st.markdown` on every
rerun. A sent message is stored, the reply is streamed from BENCH_ENDPOINT through the
azure-ai-inference SDK (the latest 20 messages are sent, as the portal's context budget would at
most) and stored. This is the simplest app that shows what the portal shows of a long
conversation; `baseline_full_history_app.py` (every message) is kept as an informational row.

Run: BENCH_ENDPOINT=http://127.0.0.1:8000 PORTAL_DATA_DIR=... streamlit run bench/baseline_recent_history_app.py
"""

import os

import streamlit as st
from azure.ai.inference import ChatCompletionsClient
from azure.core.credentials import AzureKeyCredential

from storage import repository
from storage.engine import default_database_url, make_engine, make_sessionmaker
from storage.migrate import upgrade_to_head

SHOWN_MESSAGES = 40
SENT_MESSAGES = 20


@st.cache_resource
def sessions():
    engine = make_engine(default_database_url())
    upgrade_to_head(engine)
    return make_sessionmaker(engine)


client = ChatCompletionsClient(endpoint=os.environ["BENCH_ENDPOINT"], credential=AzureKeyCredential("unused"))
conversation_id = st.query_params.get("c")
st.title("Recent-history chat")

with sessions().begin() as session:
    history = repository.list_messages(session, conversation_id, limit=SHOWN_MESSAGES) if conversation_id else []

for message in history[-SHOWN_MESSAGES:]:
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
