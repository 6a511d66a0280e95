"""Session-state and query-parameter keys, defined once. Session state holds ids and UI choices only."""

CONNECTION = "portal_connection"  # the selected connection's name (router widget key)
CONVERSATION_QUERY_PARAM = "c"  # the open conversation's id in the URL
MESSAGE_QUERY_PARAM = "m"  # a message to open the conversation at (links from the embeddings page)
TARGET_MESSAGE = "portal_target_message"  # (conversation id, message id) that link opened: marked until the next send
OPEN_CONVERSATION = "portal_open_conversation"  # restores ?c= when the user comes back to the chat page
SHOW_ALL_FROM = "portal_show_from"  # per conversation: how many earlier messages the user revealed
SIDEBAR_PAGE = "portal_sidebar_page"
SIDEBAR_SEARCH = "portal_sidebar_search"
CONFIRM_DELETE = "portal_confirm_delete"
EDITING = "portal_editing_message"
NOTICE = "portal_notice"  # messages shown once in the next run (components/notices.py)
RENAMING = "portal_renaming"  # the conversation whose title is being edited in the list
EXPORTING = "portal_exporting"  # the conversation whose export dialog is open
SIDEBAR_SHOWN = "portal_sidebar_shown"  # how many conversations the list shows ("Show more")
DRAFT_SETTINGS = "portal_draft_settings"  # a new chat's settings, before its first message stores them
AFTER_STOP = "portal_hidden_after_stop"  # the hidden button the page script clicks once a stopped run has ended
CONNECTING = "portal_connecting"  # the "Connect your model" dialog is open
SHARE_QUERY_PARAM = "share"  # a share link's token in the URL (portal/shares.py)
SHARING = "portal_sharing"  # the conversation whose share dialog is open
SHARE_LINK = "portal_share_link"  # (conversation id, link) of the link just made, shown once in the dialog
SHARED_SHOWN = "portal_shared_shown"  # how many messages the shared view shows ("Show earlier")
SHARE_RESUME_CHECKED = "portal_share_resume_checked"  # this session looked for a link opened before sign-in
DRAFT_FOLDER = "portal_draft_folder"  # the folder a new chat will be created in ("New chat in this folder")
DRAFT_SCOPE = "portal_draft_scope"  # the settings panel's widget scope for that new chat (fresh per folder chat)
FOLDER_DIALOG = "portal_folder_dialog"  # (action, folder id or None): the folder dialog that is open
MOVING = "portal_moving"  # the conversation whose "Move to folder" dialog is open
FOLDER_SHOWN = "portal_folder_shown"  # per folder: how many conversations it shows ("Show more")
OPEN_FOLDERS = "portal_open_folders"  # folders to open in the next run (after creating or filing into them)
FOLDER_WIDGET_PREFIX = "folder_"  # + folder id: the folder's expander in the sidebar (its open state)
FOLDERS_OPENED_FOR = "portal_folders_opened_for"  # the conversation whose folders were last opened for it
