"""Session-state and query-parameter keys, defined once. Session state holds ids and UI choices only."""

CONNECTION = "portal_connection"  # the selected connection's name (router widget key)
CONVERSATION_QUERY_PARAM = "c"  # the open conversation's id in the URL
OPEN_CONVERSATION = "portal_open_conversation"  # restores ?c= when the user comes back to the chat page
SHOW_ALL_FROM = "portal_show_from"  # per conversation: how many earlier messages the user revealed
SIDEBAR_PAGE = "portal_sidebar_page"
SIDEBAR_SEARCH = "portal_sidebar_search"
CONFIRM_DELETE = "portal_confirm_delete"
EDITING = "portal_editing_message"
NOTICE = "portal_notice"  # messages shown once in the next run (components/notices.py)
