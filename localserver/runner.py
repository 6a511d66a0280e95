"""Start the server in-process on a free port (for the app and tests) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from .app import ServerConfig, ServerState, create_app


@dataclass
class RunningServer:
    """A server running on a background thread; `url` is the root (serverless-style) endpoint."""

    host: str
    port: int
    config: ServerConfig
    state: ServerState
    _server: uvicorn.Server
    _thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def endpoint(self, style: str = "root", model: str | None = None) -> str:
        """The endpoint URL for a style: root, serverless (model), models, openai (deployment)."""
        if style == "root":
            return self.url
        if style == "serverless":
            return f"{self.url}/serverless/{model}"
        if style == "models":
            return f"{self.url}/models"
        if style == "openai":
            return f"{self.url}/openai/deployments/{model}"
        raise ValueError(f"unknown endpoint style {style!r}")

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    config: ServerConfig | None = None,
    log_level: str = "warning",
    startup_timeout: float = 10.0,
) -> RunningServer:
    """Start the server on a daemon thread and return once it accepts connections (port 0 = free port)."""
    config = config or ServerConfig()
    app = create_app(config)
    sock = _bind(host, port)
    uvicorn_config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off", timeout_keep_alive=30)
    server = uvicorn.Server(uvicorn_config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="localserver", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the local inference server did not start")
        time.sleep(0.01)
    return RunningServer(host, sock.getsockname()[1], config, app.state.local, server, thread)
