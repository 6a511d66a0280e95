#!/usr/bin/env python3
"""Run the portal for a team on one host: N `streamlit run` instances on one database behind nginx.

    DATABASE_URL=postgresql+psycopg://portal:...@db/portal .venv/bin/python deploy/team.py --instances 3

Instances listen on 127.0.0.1:8501, 8502, ...; nginx listens on --listen (default 8080) with
`deploy/nginx.conf`, whose instance list is rewritten to match, and keeps each browser on one
instance (sticky sessions; see the comments in nginx.conf). Ctrl+C stops everything. Standard
library only; the functions are also what tests/deploy uses to start nginx in front of test apps.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
_INSTANCES = re.compile(r"(?P<indent>[ \t]*)# instances: begin[^\n]*\n.*?# instances: end", re.S)
_LISTEN = re.compile(r"^(?P<indent>[ \t]*)listen\s+[^;]+;", re.M)


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return next((path for path in NGINX_CANDIDATES if os.access(path, os.X_OK)), None)


def render_nginx_conf(instances: Iterable[str], listen: str, template: str | None = None) -> str:
    """`deploy/nginx.conf` with its upstream servers set to `instances` ("host:port") and its
    `listen` set to `listen` (a port or "address:port"); everything else is kept as shipped."""
    text = template if template is not None else NGINX_TEMPLATE.read_text()
    match = _INSTANCES.search(text)
    if match is None or not _LISTEN.search(text):
        raise ValueError("nginx.conf lost its '# instances: begin/end' markers or its listen line")
    indent = match.group("indent")
    servers = "".join(f"{indent}server {address} max_fails=1 fail_timeout=10s;\n" for address in instances)
    block = f"{indent}# instances: begin (rendered by deploy/team.py)\n{servers}{indent}# instances: end"
    text = text[: match.start()] + block + text[match.end() :]
    return _LISTEN.sub(lambda m: f"{m.group('indent')}listen {listen};", text, count=1)


def prepare_prefix(prefix: Path, conf_text: str) -> Path:
    """Create nginx's prefix directory (logs, temp) and write the rendered conf into it.

    The directories are made world-readable: when nginx starts as root its workers run as an
    unprivileged user and still need to reach the temp directories under the prefix."""
    for directory in (prefix, prefix / "logs", prefix / "temp"):
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)
    conf_path = prefix / "nginx.conf"
    conf_path.write_text(conf_text)
    return conf_path


def nginx_command(nginx: str, prefix: Path, conf_path: Path) -> list[str]:
    """nginx in the foreground (so its parent can stop it), logging under the prefix from the start."""
    prefix = prefix.resolve()
    return [
        nginx,
        "-p",
        f"{prefix}/",
        "-c",
        str(conf_path.resolve()),
        "-e",
        str(prefix / "logs" / "error.log"),
        "-g",
        "daemon off;",
    ]


def check_nginx_conf(nginx: str, prefix: Path, conf_path: Path) -> None:
    """`nginx -t`: raise with nginx's own message when the configuration is invalid."""
    command = nginx_command(nginx, prefix, conf_path)
    test = [*command[: command.index("-g")], "-t", "-q"]
    result = subprocess.run(test, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{result.stderr or result.stdout}")


def wait_http_ok(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with code {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local URL)
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:g} s (last: {last})")


def instance_command(python: str, port: int) -> list[str]:
    return [
        python,
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",  # cwd is ROOT
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",  # only nginx is reachable from outside
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def _default_python() -> str:
    venv = ROOT / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    return str(venv) if venv.exists() else sys.executable


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    nginx = args.nginx or find_nginx()
    if nginx is None:
        print("nginx not found: apt-get install nginx (or pass --nginx PATH)", file=sys.stderr)
        return 2
    env = dict(environ)
    if not env.get("DATABASE_URL"):
        print(
            "DATABASE_URL is not set: every instance would use its own SQLite file. Set it to one "
            "postgresql+psycopg:// database shared by all instances.",
            file=sys.stderr,
        )
        return 2
    # One cookie secret for all instances, so signed cookies (sign-in) are valid on whichever one
    # a browser lands on after an instance restarts. Set it yourself to keep it across restarts.
    env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_urlsafe(32))

    ports = [args.first_port + index for index in range(args.instances)]
    prefix = Path(args.prefix).resolve()
    conf_path = prepare_prefix(prefix, render_nginx_conf((f"127.0.0.1:{port}" for port in ports), args.listen))
    check_nginx_conf(nginx, prefix, conf_path)

    processes: list[subprocess.Popen] = []
    try:
        for port in ports:
            processes.append(subprocess.Popen(instance_command(args.python, port), cwd=ROOT, env=env))
        for port, process in zip(ports, processes):
            wait_http_ok(f"http://127.0.0.1:{port}/_stcore/health", process=process)
        nginx_process = subprocess.Popen(nginx_command(nginx, prefix, conf_path))
        processes.append(nginx_process)
        print(
            f"{args.instances} instances on ports {ports[0]}-{ports[-1]}; nginx on {args.listen} "
            f"(logs in {prefix / 'logs'}). Ctrl+C stops everything.",
            flush=True,
        )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        failed = next(process for process in processes if process.poll() is not None)
        print(f"{failed.args[0]} exited with code {failed.returncode}; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(processes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="deploy/team.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=2, help="how many streamlit instances (default 2)")
    parser.add_argument("--first-port", type=int, default=8501, help="port of the first instance (default 8501)")
    parser.add_argument("--listen", default="8080", help="nginx's listen address, e.g. 8080 or 0.0.0.0:80 (default 8080)")
    parser.add_argument("--prefix", default=str(ROOT / "deploy" / "run"), help="nginx prefix: rendered conf, logs, temp")
    parser.add_argument("--nginx", default=None, help="path of the nginx binary (default: found on PATH or /usr/sbin)")
    parser.add_argument("--python", default=_default_python(), help="python with the requirements installed (default .venv)")
    return run(parser.parse_args(argv), os.environ)


if __name__ == "__main__":
    sys.exit(main())
