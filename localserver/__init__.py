"""An offline server that speaks the Azure AI Model Inference REST API (see README, "Local server").

    from localserver import start
    server = start()            # free port, background thread
    ChatCompletionsClient(endpoint=server.url, credential=AzureKeyCredential("unused"))

The names below are imported on first use (PEP 562), so that importing a light submodule such as
`localserver.catalog` or `localserver.runner` does not import FastAPI.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "DEFAULT_CHAT_MODEL": ".catalog",
    "DEFAULT_EMBEDDINGS_MODEL": ".catalog",
    "DEFAULT_IMAGE_EMBEDDINGS_MODEL": ".catalog",
    "DEFAULT_WORDS_PER_SECOND": ".app",
    "RunningServer": ".runner",
    "ServerConfig": ".app",
    "create_app": ".app",
    "start": ".runner",
    "start_in_background": ".runner",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
