"""Folders in the sidebar: a collapsible entry per folder (subfolders nested inside), its conversations,
its menu (new chat here, new subfolder, rename, defaults, move, delete) and their dialogs, and the
"Move to folder" dialog of a conversation.

Fast by construction: one query lists every folder, and one more reads the first conversations of the
folders that are open (a LIMIT per folder); a closed folder reads and draws nothing inside it (its
expander reruns the page when it opens). Nothing counts all the conversations in folders. Folder names are user text: escaped wherever Markdown renders.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import streamlit as st

from portal.chat_service import ChatService
from portal.folders import FolderTree, new_chat_settings
from portal.markdown_text import escape_markdown
from storage.errors import FolderCycle, FolderNameTaken, FolderNotFound
from storage.records import ConversationPage, ConversationRecord, FolderRecord

from . import state
from .conversation_nav import open_conversation

PAGE_SIZE = 15
NEW_FOLDER, NEW_SUBFOLDER, RENAME, DEFAULTS, MOVE, DELETE = "New folder", "New subfolder", "Rename", "Defaults", "Move", "Delete"
FOLDER_MENU = [NEW_SUBFOLDER, RENAME, DEFAULTS, MOVE, DELETE]
MENU_LABELS = {
    NEW_SUBFOLDER: "New subfolder",
    RENAME: "Rename",
    DEFAULTS: "Default prompt and model",
    MOVE: "Move",
    DELETE: "Delete",
}
TOP_LEVEL = "Top level (no folder)"
NO_FOLDER = "No folder"
NO_MODEL = "(the connection's default)"
NOWHERE = ""  # the top level / no folder, as a select box option (a string, like the folder ids)

RowDrawer = Callable[[ConversationRecord], None]


def widget_key(folder_id: str) -> str:
    return state.FOLDER_WIDGET_PREFIX + folder_id


def open_later(*folder_ids: str | None) -> None:
    """Open these folders (and so show what was just put in them) in the next run."""
    pending = set(st.session_state.get(state.OPEN_FOLDERS, ()))
    pending.update(f for f in folder_ids if f)
    st.session_state[state.OPEN_FOLDERS] = pending


def _apply_open_later(tree: FolderTree) -> None:
    """Before any expander is drawn: open the folders asked for, with their ancestors."""
    for folder_id in st.session_state.pop(state.OPEN_FOLDERS, ()):
        for folder in tree.ancestors(folder_id):
            st.session_state[widget_key(folder.id)] = True


def _is_open(folder: FolderRecord) -> bool:
    return bool(st.session_state.get(widget_key(folder.id), False))


# -- the section -------------------------------------------------------------------------------------


def folder_section(service: ChatService, current: ConversationRecord | None, draw_row: Callable[..., None]) -> FolderTree:
    """The folders, above the date groups: each one collapsible, with its subfolders and conversations.
    `draw_row(conversation, where)` draws one conversation row into `where`. Returns the tree."""
    tree = FolderTree.of(service.list_folders())
    _apply_open_later(tree)
    sidebar = st.sidebar
    if not tree:
        sidebar.button(
            NEW_FOLDER, key="folder_new", icon=":material/create_new_folder:", type="tertiary",
            on_click=_ask, args=(NEW_FOLDER, None),
        )
        folder_dialogs(service, tree)
        return tree
    with sidebar.container(horizontal=True, key="folders_heading", vertical_alignment="center", gap=None, wrap=False):
        st.html('<p class="portal-group" role="heading" aria-level="2">Folders</p>', width="stretch")
        st.button(
            NEW_FOLDER, key="folder_new", icon=":material/create_new_folder:", type="tertiary",
            on_click=_ask, args=(NEW_FOLDER, None),
        )
    _open_around(tree, current)
    opened = [f for f, _ in tree.depth_first() if _is_open(f) and all(_is_open(a) for a in tree.ancestors(f.parent_id))]
    shown: dict[str, int] = st.session_state.get(state.FOLDER_SHOWN, {})
    limit = max([shown.get(f.id, PAGE_SIZE) for f in opened] or [PAGE_SIZE])
    pages = service.folder_conversations([f.id for f in opened], limit)
    for folder in tree.top():
        _folder(service, tree, folder, pages, shown, draw_row, sidebar)
    folder_dialogs(service, tree)
    return tree


def _open_around(tree: FolderTree, current: ConversationRecord | None) -> None:
    """When another conversation is opened, open the folders it is in (once: the user may close them)."""
    if current is None or st.session_state.get(state.FOLDERS_OPENED_FOR) == current.id:
        return
    st.session_state[state.FOLDERS_OPENED_FOR] = current.id
    for folder in tree.ancestors(current.folder_id):
        st.session_state[widget_key(folder.id)] = True


def _label(folder: FolderRecord) -> str:
    return escape_markdown(folder.name)


def _folder(
    service: ChatService,
    tree: FolderTree,
    folder: FolderRecord,
    pages: dict[str, ConversationPage],
    shown: dict[str, int],
    draw_row: Callable[..., None],
    where,  # noqa: ANN001 - a DeltaGenerator (the sidebar or the parent folder's expander)
) -> None:
    # The open state lives in session state under the key (set before drawing to open it); the
    # parameters stay the same from run to run, or Streamlit would take it for a new, closed widget.
    box = where.expander(_label(folder), key=widget_key(folder.id), on_change="rerun", icon=":material/folder:")
    if not box.open:
        return
    with box:
        with st.container(horizontal=True, key=f"folder_bar_{folder.id}", vertical_alignment="center", gap=None, wrap=False):
            st.button(
                "New chat here", key=f"folder_chat_{folder.id}", icon=":material/edit_square:", type="tertiary", width="stretch",
                on_click=start_chat_in_folder, args=(service, folder.id),
            )
            menu_key = f"folder_menu_{folder.id}"
            st.menu_button(
                "Folder actions", FOLDER_MENU, key=menu_key, type="tertiary", icon=":material/more_horiz:",
                format_func=lambda option: MENU_LABELS[option], on_click=_on_menu, args=(folder.id, menu_key),
            )
        for child in tree.children_of(folder.id):
            _folder(service, tree, child, pages, shown, draw_row, box)
        page = pages.get(folder.id)
        items = page.items[: shown.get(folder.id, PAGE_SIZE)] if page else ()
        for conversation in items:
            draw_row(conversation, box)
        if page is not None and (page.has_more or len(page.items) > len(items)):
            st.button(
                "Show more", key=f"folder_more_{folder.id}", icon=":material/expand_more:", type="tertiary",
                on_click=_show_more, args=(folder.id,),
            )
        if not items and not tree.children_of(folder.id):
            st.caption("Empty. Start a chat here, or move one in from its menu.")


def _show_more(folder_id: str) -> None:
    shown = dict(st.session_state.get(state.FOLDER_SHOWN, {}))
    shown[folder_id] = shown.get(folder_id, PAGE_SIZE) + PAGE_SIZE
    st.session_state[state.FOLDER_SHOWN] = shown


def start_chat_in_folder(service: ChatService, folder_id: str) -> None:
    """A new chat that will be created in the folder, starting with its default system prompt and model."""
    folder = service.get_folder(folder_id)
    open_conversation(None)
    if folder is None:
        return
    st.session_state[state.DRAFT_FOLDER] = folder.id
    st.session_state[state.DRAFT_SETTINGS] = new_chat_settings(folder).to_dict()
    st.session_state[state.DRAFT_SCOPE] = f"draft_{uuid.uuid4().hex[:8]}"  # a fresh settings panel with those values


def _ask(action: str, folder_id: str | None) -> None:
    st.session_state[state.FOLDER_DIALOG] = (action, folder_id)


def _on_menu(folder_id: str, menu_key: str) -> None:
    choice = st.session_state.get(menu_key)
    if choice in FOLDER_MENU:
        _ask(choice, folder_id)


def _forget() -> None:
    st.session_state.pop(state.FOLDER_DIALOG, None)


def _done() -> None:
    _forget()
    st.rerun()


# -- the folder dialogs ------------------------------------------------------------------------------


def folder_dialogs(service: ChatService, tree: FolderTree) -> None:
    """The dialog a folder's menu (or New folder) asked for; a stale folder id (deleted meanwhile) is dropped."""
    asked = st.session_state.get(state.FOLDER_DIALOG)
    if not asked:
        return
    action, folder_id = asked
    folder = tree.by_id.get(folder_id) if folder_id else None
    if folder_id and folder is None:
        _forget()
        return
    if action == NEW_FOLDER:
        _create_dialog(service, tree, None)
    elif folder is None:
        _forget()
    elif action == NEW_SUBFOLDER:
        _create_dialog(service, tree, folder)
    elif action == RENAME:
        _rename_dialog(service, folder)
    elif action == DEFAULTS:
        _defaults_dialog(service, folder)
    elif action == MOVE:
        _move_folder_dialog(service, tree, folder)
    elif action == DELETE:
        _delete_dialog(service, tree, folder)
    else:
        _forget()


def _place(tree: FolderTree, folder_id: str | None) -> str:
    return f"“{escape_markdown(tree.path(folder_id))}”" if folder_id else "the top level"


@st.dialog("New folder", on_dismiss=_forget)
def _create_dialog(service: ChatService, tree: FolderTree, parent: FolderRecord | None) -> None:
    if parent is not None:
        st.write(f"Inside {_place(tree, parent.id)}.")
    name = st.text_input("Folder name", key="folder_create_name", max_chars=200)
    with st.container(horizontal=True):
        if st.button("Create", type="primary", key="folder_create_go", icon=":material/create_new_folder:"):
            try:
                created = service.create_folder(name, parent.id if parent else None)
            except (ValueError, FolderNotFound) as exc:  # FolderNameTaken is a ValueError
                st.error(_why(exc))
            else:
                open_later(created.parent_id, created.id)
                st.session_state.pop("folder_create_name", None)
                _done()
        if st.button("Cancel", key="folder_create_cancel"):
            _done()


@st.dialog("Rename folder", on_dismiss=_forget)
def _rename_dialog(service: ChatService, folder: FolderRecord) -> None:
    name = st.text_input("Folder name", value=folder.name, key=f"folder_rename_{folder.id}", max_chars=200)
    with st.container(horizontal=True):
        if st.button("Save", type="primary", key="folder_rename_go"):
            try:
                service.rename_folder(folder.id, name)
            except (ValueError, FolderNotFound) as exc:
                st.error(_why(exc))
            else:
                open_later(folder.id)  # a new label is a new expander to Streamlit: keep it open
                _done()
        if st.button("Cancel", key="folder_rename_cancel"):
            _done()


@st.dialog("Folder defaults", on_dismiss=_forget)
def _defaults_dialog(service: ChatService, folder: FolderRecord) -> None:
    from . import resources  # the connection's model list, only when this dialog is open

    st.write(f"A new chat in “{escape_markdown(folder.name)}” starts with these. Chats already in it keep their own settings.")
    prompt = st.text_area(
        "Default system prompt", value=folder.system_prompt or "", key=f"folder_prompt_{folder.id}", height=140,
        placeholder="Empty: the usual default",
    )
    models = [NO_MODEL, *resources.get_model_choices(resources.current_connection()).chat]
    if folder.model and folder.model not in models:
        models.append(folder.model)
    model = st.selectbox(
        "Default model or deployment", models, index=models.index(folder.model) if folder.model else 0,
        key=f"folder_model_{folder.id}", accept_new_options=True, help="Pick one, or type any deployment name.",
    )
    with st.container(horizontal=True):
        if st.button("Save", type="primary", key="folder_defaults_go"):
            try:
                service.set_folder_defaults(folder.id, prompt, None if model in (None, NO_MODEL) else str(model))
            except (ValueError, FolderNotFound) as exc:
                st.error(_why(exc))
            else:
                _done()
        if st.button("Cancel", key="folder_defaults_cancel"):
            _done()


@st.dialog("Move folder", on_dismiss=_forget)
def _move_folder_dialog(service: ChatService, tree: FolderTree, folder: FolderRecord) -> None:
    targets = [f or NOWHERE for f in tree.move_targets(folder.id)]
    here = targets.index(folder.parent_id) if folder.parent_id in targets else 0
    choice = st.selectbox(
        f"Move “{escape_markdown(tree.path(folder.id))}” into", targets, index=here, key=f"folder_move_{folder.id}",
        format_func=lambda f: tree.path(f) if f else TOP_LEVEL,
    )
    target = choice or None
    st.caption("Its conversations and subfolders move with it. It cannot go inside itself or one of its subfolders.")
    with st.container(horizontal=True):
        if st.button("Move", type="primary", key="folder_move_go"):
            try:
                service.move_folder(folder.id, target)
            except (ValueError, FolderNotFound) as exc:  # FolderCycle and FolderNameTaken are ValueErrors
                st.error(_why(exc))
            else:
                open_later(target, folder.id)
                _done()
        if st.button("Cancel", key="folder_move_cancel"):
            _done()


@st.dialog("Delete this folder?", on_dismiss=_forget)
def _delete_dialog(service: ChatService, tree: FolderTree, folder: FolderRecord) -> None:
    counted = service.get_folder(folder.id)  # the sidebar's list does not count (see list_folders)
    count = (counted.conversation_count or 0) if counted is not None else 0
    where = _place(tree, folder.parent_id) if folder.parent_id else "the list below, in no folder"
    if count:
        held = f"{count} conversation{'s' if count != 1 else ''}"
        lines = [f"“{escape_markdown(folder.name)}” will be deleted. **Its {held} {'are' if count != 1 else 'is'} kept**: moved to {where}."]
    else:
        lines = [f"“{escape_markdown(folder.name)}” will be deleted. It holds no conversations."]
    children = tree.children_of(folder.id)
    if children:
        moves = f"{len(children)} subfolder{'s move' if len(children) != 1 else ' moves'}"
        lines.append(f"Its {moves} up to {_place(tree, folder.parent_id)}, with everything in {'them' if len(children) != 1 else 'it'}.")
    st.write(" ".join(lines))
    with st.container(horizontal=True):
        if st.button("Delete folder", type="primary", icon=":material/delete:", key="folder_delete_go"):
            try:
                service.delete_folder(folder.id)
            except FolderNotFound:
                pass  # deleted meanwhile (another tab): nothing left to do
            open_later(folder.parent_id)
            _done()
        if st.button("Cancel", key="folder_delete_cancel"):
            _done()


def _why(exc: Exception) -> str:
    if isinstance(exc, FolderNameTaken):
        return f"There is already a folder named “{escape_markdown(exc.name)}” there. Pick another name."
    if isinstance(exc, FolderCycle):
        return "A folder cannot go inside itself or one of its own subfolders."
    if isinstance(exc, FolderNotFound):
        return "That folder is gone (deleted in another tab?)."
    return escape_markdown(str(exc))


# -- "Move to folder" on a conversation ------------------------------------------------------------


def forget_move() -> None:
    st.session_state.pop(state.MOVING, None)


@st.dialog("Move to folder", on_dismiss=forget_move)
def move_conversation_dialog(service: ChatService, conversation: ConversationRecord) -> None:
    tree = FolderTree.of(service.list_folders())
    options = [NOWHERE] + [f.id for f, _ in tree.depth_first()]
    here = options.index(conversation.folder_id) if conversation.folder_id in options else 0
    st.write(f"“{escape_markdown(conversation.title)}”")
    target = st.selectbox(
        "Folder", options, index=here, key=f"move_target_{conversation.id}",
        format_func=lambda f: tree.path(f) if f else NO_FOLDER,
    ) or None
    new_name = st.text_input("Or a new folder (at the top level)", key=f"move_new_{conversation.id}", max_chars=200)
    with st.container(horizontal=True):
        if st.button("Move", type="primary", key="move_go", icon=":material/drive_file_move:"):
            try:
                if new_name.strip():
                    target = service.create_folder(new_name).id
                service.move_to_folder(conversation.id, target)
            except (ValueError, FolderNotFound) as exc:
                st.error(_why(exc))
            else:
                open_later(target)
                forget_move()
                st.rerun()
        if st.button("Cancel", key="move_cancel"):
            forget_move()
            st.rerun()
