"""An offline server that speaks the Azure AI Model Inference REST API (see README, "Local server").

    from localserver import start
    server = start()            # free port, background thread
    ChatCompletionsClient(endpoint=server.url, credential=AzureKeyCredential("unused"))
"""

from .app import DEFAULT_WORDS_PER_SECOND, ServerConfig, create_app
from .catalog import DEFAULT_CHAT_MODEL, DEFAULT_EMBEDDINGS_MODEL, DEFAULT_IMAGE_EMBEDDINGS_MODEL
from .runner import RunningServer, start

__all__ = [
    "DEFAULT_CHAT_MODEL",
    "DEFAULT_EMBEDDINGS_MODEL",
    "DEFAULT_IMAGE_EMBEDDINGS_MODEL",
    "DEFAULT_WORDS_PER_SECOND",
    "RunningServer",
    "ServerConfig",
    "create_app",
    "start",
]
