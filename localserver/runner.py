"""Start the server in-process on a free port (for the app and tests) or in the foreground (CLI).

`start()` returns once the server accepts connections. `start_in_background()` returns as soon as
the port is bound: FastAPI is imported and the app built on a daemon thread, and connections made
meanwhile wait in the socket's listen backlog. The app uses it for the offline demo server so that
a fresh `streamlit run` shows its first page without waiting for the server's imports.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily: FastAPI and uvicorn cost a few hundred ms to import
    import uvicorn

    from .app import ServerConfig, ServerState


def _url(host: str, port: int) -> str:
    return f"http://{host}:{port}"


def _endpoint(url: str, style: str, model: str | None) -> str:
    """The endpoint URL for a style: root, serverless (model), models, openai (deployment)."""
    if style == "root":
        return url
    if style == "serverless":
        return f"{url}/serverless/{model}"
    if style == "models":
        return f"{url}/models"
    if style == "openai":
        return f"{url}/openai/deployments/{model}"
    raise ValueError(f"unknown endpoint style {style!r}")


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
        return _url(self.host, self.port)

    def endpoint(self, style: str = "root", model: str | None = None) -> str:
        """The endpoint URL for a style: root, serverless (model), models, openai (deployment)."""
        return _endpoint(self.url, style, model)

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
    sock: socket.socket | None = None,
) -> RunningServer:
    """Start the server on a daemon thread and return once it accepts connections (port 0 = free port).

    `sock`: serve on this already bound, listening socket instead of binding `host`:`port`.
    """
    import uvicorn

    from .app import ServerConfig, create_app

    config = config or ServerConfig()
    app = create_app(config)
    sock = sock or _bind(host, port)
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


class BackgroundServer:
    """A server whose port is bound and whose app is starting on a daemon thread (`start_in_background`)."""

    def __init__(self, host: str, sock: socket.socket, config_options: dict[str, Any], log_level: str):
        self.host = host
        self.port = sock.getsockname()[1]
        self._ready = threading.Event()
        self._running: RunningServer | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(sock, config_options, log_level), name="localserver-start", daemon=True
        )
        self._thread.start()

    def _run(self, sock: socket.socket, config_options: dict[str, Any], log_level: str) -> None:
        try:
            from .app import ServerConfig

            self._running = start(self.host, config=ServerConfig(**config_options), log_level=log_level, sock=sock)
        except BaseException as exc:  # reported by wait()
            self._error = exc
        finally:
            self._ready.set()

    @property
    def url(self) -> str:
        return _url(self.host, self.port)

    def endpoint(self, style: str = "root", model: str | None = None) -> str:
        return _endpoint(self.url, style, model)

    def wait(self, timeout: float = 30.0) -> RunningServer:
        """The running server, once it accepts connections."""
        if not self._ready.wait(timeout):
            raise RuntimeError("the local inference server did not start")
        if self._running is None:
            raise RuntimeError("the local inference server did not start") from self._error
        return self._running

    @property
    def state(self) -> ServerState:
        return self.wait().state

    def stop(self, timeout: float = 5.0) -> None:
        self.wait(timeout).stop(timeout)


def start_in_background(host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning", **config_options: Any) -> BackgroundServer:
    """Bind now and start the server (`ServerConfig(**config_options)`) on a daemon thread; returns at once."""
    return BackgroundServer(host, _bind(host, port), config_options, log_level)
