"""The explorer's saved collections: save what the map shows under a name; list, reopen (the map and
the options come back without embedding anything), rename, delete and export.

A reopened collection becomes the shown corpus (`CORPUS`) with `COLLECTION` naming it, and its matrix
is read once (one row, portal/collections.py) into a small process cache keyed by owner, id and save
time: reruns redraw from there, and no other owner's key can reach it. Actions run as button
callbacks, before the page draws, so the options they restore fill the sidebar's widgets on the same
run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from portal.collections import Collections, OpenedCollection, SavedMap, description_json, texts_csv, vectors_npy
from portal.embedding_explorer import EmbeddingSpec
from portal.embedding_jobs import EmbeddingOutcome
from portal.markdown_text import escape_markdown
from portal.projections import HDBSCAN, KMEANS, available_methods
from portal.text_inputs import TextSet
from storage.errors import CollectionNameTaken, CollectionNotFound, DatabaseUnavailable, StorageError
from storage.records import CollectionRecord

from . import embedding_state as keys
from . import resources
from .embedding_inputs import INPUT_TYPES

VIEW_KEYS = {
    "projection": keys.PROJECTION,
    "view": keys.PROJECTION_DIMS,
    "colour_by": keys.COLOUR_BY,
    "clusters": keys.CLUSTERS,
    "clustering": keys.CLUSTERING,
}


def _opened(owner: str, collection_id: str, saved_at: str, store: Collections) -> OpenedCollection:
    return resources.opened_collection(owner, collection_id, saved_at, store)


def _key(record: CollectionRecord) -> tuple[str, str]:
    return record.id, record.updated_at.isoformat()


def _notice(kind: str, text: str) -> None:
    st.session_state[keys.COLLECTION_NOTICE] = (kind, text)


def _restore_options(collection: OpenedCollection) -> None:
    """Put the collection's embedding and map options back into the page's widgets."""
    spec = collection.spec
    state = st.session_state
    if spec.model:
        state[keys.MODEL] = spec.model
    state[keys.DIMENSIONS] = spec.dimensions
    state[keys.TRUNCATE_LOCALLY] = spec.truncate_locally
    state[keys.INPUT_TYPE] = next(label for label, value in INPUT_TYPES.items() if value == spec.input_types)
    state[keys.ENCODING] = spec.encoding_format
    view = collection.view
    if view.get("projection") in available_methods():
        state[keys.PROJECTION] = view["projection"]
    if view.get("view") in ("2D", "3D"):
        state[keys.PROJECTION_DIMS] = view["view"]
    if view.get("colour_by") == "cluster" or (view.get("colour_by") == "label" and collection.text_set.labels is not None):
        state[keys.COLOUR_BY] = view["colour_by"]
    if isinstance(view.get("clusters"), int):
        state[keys.CLUSTERS] = max(1, min(view["clusters"], len(collection.text_set)))
    state[keys.CLUSTERING] = view.get("clustering") if view.get("clustering") in (KMEANS, HDBSCAN) else KMEANS


def _reopen(store: Collections, owner: str, record: CollectionRecord) -> None:
    try:
        collection = _opened(owner, *_key(record), store)
    except StorageError as exc:
        _notice("error", f"The collection could not be opened: {exc}")
        return
    st.session_state[keys.CORPUS] = (collection.text_set, collection.spec)
    st.session_state[keys.COLLECTION] = _key(record)
    st.session_state.pop(keys.RUNNING, None)
    _restore_options(collection)
    _notice("success", f"Opened **{escape_markdown(record.name)}**: {record.text_count:,} texts, no embedding needed.")


def _rename(store: Collections, record: CollectionRecord) -> None:
    try:
        renamed = store.rename(record.id, st.session_state.get(keys.COLLECTION_RENAME) or "")
    except (StorageError, ValueError) as exc:
        _notice("error", str(exc))
        return
    st.session_state[keys.COLLECTION_PICK] = renamed.id
    _notice("success", f"Renamed to **{escape_markdown(renamed.name)}**.")


def _delete(store: Collections, record: CollectionRecord) -> None:
    try:
        store.delete(record.id)
    except StorageError as exc:
        _notice("error", str(exc))
        return
    if st.session_state.get(keys.COLLECTION, (None,))[0] == record.id:  # its map goes with it
        st.session_state.pop(keys.COLLECTION, None)
        st.session_state.pop(keys.CORPUS, None)
    st.session_state.pop(keys.COLLECTION_PICK, None)
    _notice("success", f"Deleted **{escape_markdown(record.name)}**.")


def _label(record: CollectionRecord) -> str:
    return f"{record.name} · {record.text_count:,} texts · {record.updated_at.astimezone():%Y-%m-%d %H:%M}"


def library(store: Collections, owner: str) -> None:
    """The saved collections: pick one, then open, rename, delete or export it."""
    notice = st.session_state.pop(keys.COLLECTION_NOTICE, None)
    try:
        saved = store.list()
    except DatabaseUnavailable:  # the rest of the page says so; embedding must still be offered
        st.caption("Saved collections cannot be listed while the database is unreachable.")
        return
    with st.expander(f"Saved collections ({len(saved)})", icon=":material/folder_open:", expanded=notice is not None):
        if notice is not None:
            (st.success if notice[0] == "success" else st.error)(notice[1])
        if not saved:
            st.caption("Nothing saved yet: embed texts, then **Save as a collection** below the results.")
            return
        by_id = {record.id: record for record in saved}
        if st.session_state.get(keys.COLLECTION_PICK) not in by_id:
            st.session_state[keys.COLLECTION_PICK] = saved[0].id
        chosen = by_id[st.selectbox("Collection", list(by_id), format_func=lambda i: _label(by_id[i]), key=keys.COLLECTION_PICK)]
        model = chosen.model or "endpoint default"
        st.caption(f"From {chosen.source or 'unknown source'} · model `{model}` · {chosen.dimensions} dimensions")
        open_col, delete_col = st.columns(2)
        open_col.button(
            "Open on the map",
            type="primary",
            icon=":material/open_in_new:",
            on_click=_reopen,
            args=(store, owner, chosen),
            width="stretch",
        )
        delete_col.button("Delete", icon=":material/delete:", on_click=_delete, args=(store, chosen), width="stretch")
        name_col, rename_col = st.columns([3, 1], vertical_alignment="bottom")
        name_col.text_input("New name", key=keys.COLLECTION_RENAME, max_chars=200, placeholder=chosen.name)
        rename_col.button("Rename", on_click=_rename, args=(store, chosen), width="stretch")
        _exports(store, owner, chosen)


def _exports(store: Collections, owner: str, record: CollectionRecord) -> None:
    """Each file is built when its button is pressed (one read of the collection, cached)."""

    def collection() -> OpenedCollection:
        return _opened(owner, *_key(record), store)

    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in record.name)[:60] or "collection"
    texts_col, options_col, vectors_col = st.columns(3)
    texts_col.download_button(
        "Texts CSV", lambda: texts_csv(collection()), f"{stem}.csv", "text/csv", icon=":material/download:", on_click="ignore"
    )
    options_col.download_button(
        "Options JSON",
        lambda: description_json(collection()),
        f"{stem}.json",
        "application/json",
        icon=":material/download:",
        on_click="ignore",
    )
    vectors_col.download_button(
        "Vectors .npy",
        lambda: vectors_npy(collection()),
        f"{stem}.npy",
        "application/octet-stream",
        icon=":material/download:",
        on_click="ignore",
        help="A NumPy float32 matrix, one row per text of the CSV.",
    )


def shown(store: Collections, owner: str) -> OpenedCollection | None:
    """The saved collection the page shows, if the shown corpus is one (read once, then cached)."""
    key = st.session_state.get(keys.COLLECTION)
    if key is None:
        return None
    try:
        return _opened(owner, key[0], key[1], store)
    except CollectionNotFound:  # deleted meanwhile (in another tab): back to the texts as they were
        st.session_state.pop(keys.COLLECTION, None)
        st.warning("The saved collection shown here was deleted.")
        return None


def _view_options() -> dict[str, Any]:
    return {name: st.session_state[key] for name, key in VIEW_KEYS.items() if key in st.session_state}


def _save(
    store: Collections, text_set: TextSet, spec: EmbeddingSpec, outcome: EmbeddingOutcome, shown_map: SavedMap | None
) -> None:
    name = st.session_state.get(keys.SAVE_NAME) or f"Texts of {datetime.now():%Y-%m-%d %H:%M}"
    replace = bool(st.session_state.get(keys.SAVE_REPLACE))
    try:
        record = store.save(name, text_set, spec, outcome, view=_view_options(), shown_map=shown_map, replace=replace)
    except CollectionNameTaken as exc:
        _notice("error", f"{exc} Choose another name, or tick **Replace a collection of the same name**.")
        return
    except (StorageError, ValueError) as exc:
        _notice("error", str(exc))
        return
    st.session_state[keys.COLLECTION_PICK] = record.id
    _notice("success", f"Saved **{escape_markdown(record.name)}** ({record.text_count:,} texts).")


def save_form(
    store: Collections, text_set: TextSet, spec: EmbeddingSpec, outcome: EmbeddingOutcome, shown_map: SavedMap | None
) -> None:
    """Save the shown texts, their vectors and the options under a name (the list above says how it went)."""
    if len(outcome.indices) == 0:
        return
    with st.expander("Save as a collection", icon=":material/save:"):
        with st.form("emb_save_form", border=False):
            st.text_input("Name", key=keys.SAVE_NAME, max_chars=200, placeholder="for example: support tickets, March")
            st.checkbox("Replace a collection of the same name", key=keys.SAVE_REPLACE)
            st.form_submit_button(
                "Save", icon=":material/save:", on_click=_save, args=(store, text_set, spec, outcome, shown_map)
            )
