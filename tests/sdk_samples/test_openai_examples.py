"""The openai package's own example scripts, run unmodified against the local server's OpenAI v1 API.

`openai_examples/` holds verbatim copies of `examples/*.py` from the openai 3.60.0 source distribution
on PyPI (the version requirements.txt pins; Apache-2.0, see `openai_examples/LICENSE`). Each runs as its
own process, as a user would run it, with only `OPENAI_BASE_URL` (the server's `/openai/v1`) and
`OPENAI_API_KEY` set. The server answers the model names the examples use (`gpt-5.5`,
`gpt-4o-2024-08-06`) with its local models; structured output must satisfy the examples' pydantic
models, because the package parses it into them. Examples that cannot run here are listed in
`EXCLUDED` with the reason, and still run to check that they fail for exactly that reason.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.sdk_samples.support import SAMPLE_TIMEOUT_SECONDS, LocalServer, assert_in_order, base_env

EXAMPLES = Path(__file__).resolve().parent / "openai_examples"


@dataclass(frozen=True)
class Example:
    script: str
    expect: tuple[str, ...]  # printed, in this order


CASES = (
    Example(
        "demo.py",
        (
            "----- standard request -----",
            'You said: "Say this is a test".',
            "----- streaming request -----",
            '"How do I output all files in a directory using Python?"',
            "----- custom response headers test -----",
            'You said: "Say this is a test".',
        ),
    ),
    Example("async_demo.py", ('You said: "Say this is a test".',)),
    Example("streaming.py", ("got response data: {", '"content": " said:"', '"finish_reason": "stop"', "got response data: {", '"finish_reason": "stop"')),
    Example("parsing.py", ("Step(", "answer: ")),
    Example("parsing_stream.py", ('{"steps":', "answer: ", "ParsedChatCompletion")),
    Example("parsing_tools.py", ("ParsedFunction(", "Table.orders")),
    Example("parsing_tools_stream.py", ("FunctionToolCallArgumentsDeltaEvent", "FunctionToolCallArgumentsDoneEvent", "get_weather")),
    # -- the Responses API
    Example("responses/streaming.py", ("ResponseTextDeltaEvent(", "ResponseTextDoneEvent(", "ParsedResponse(", "type='json_schema'")),
    Example(
        "responses/streaming_tools.py",
        ("ResponseCreatedEvent(", "ResponseOutputItemAddedEvent(", "ResponseFunctionCallArgumentsDeltaEvent(", "ResponseCompletedEvent("),
    ),
    Example("responses/structured_outputs.py", ("MathResponse(", "answer: ", "MathResponse(", "answer: ")),
    Example("responses/structured_outputs_tools.py", ("ParsedResponse", "table name: Table.orders")),
    Example("responses/background.py", ("ResponseTextDeltaEvent(", "Interrupted. Continuing...", "ResponseTextDeltaEvent(", "ResponseTextDoneEvent(")),
    Example("responses/background_async.py", ("ResponseTextDeltaEvent(", "Interrupted. Continuing...", "ResponseTextDoneEvent(")),
    Example("responses/background_streaming.py", ("Interrupted. Continuing...", "ResponseTextDoneEvent(", "ParsedResponse(")),
    Example("responses/background_streaming_async.py", ("Interrupted. Continuing...", "ResponseTextDoneEvent(")),
)


@dataclass(frozen=True)
class Excluded:
    script: str
    reason: str
    failure: str  # printed (stdout or stderr) when it fails for the stated reason


EXCLUDED = (
    Excluded(
        "azure.py",
        "hard-codes its endpoint (https://example-endpoint.openai.azure.com) instead of reading one, and there is no network here",
        "APIConnectionError",
    ),
    Excluded(
        "responses/multi_agent_streaming.py",
        "uses the beta `multi_agent` parameter (client.beta.responses), which the local server does not implement",
        "Unrecognized request argument supplied: multi_agent",
    ),
    Excluded(
        "responses/websocket.py",
        "uses the Responses API's WebSocket mode, which the local server does not serve",
        "server rejected WebSocket connection",
    ),
    Excluded(
        "responses/multi_agent_websocket.py",
        "uses the beta multi-agent mode over the Responses API's WebSocket mode, which the local server does not serve",
        "server rejected WebSocket connection",
    ),
    Excluded(
        "azure_ad.py",
        "hard-codes its endpoint (https://my-resource.openai.azure.com) and uses Entra ID only; there is no network here",
        "APIConnectionError",
    ),
)


def _run(script: str, server: LocalServer) -> subprocess.CompletedProcess[str]:
    env = base_env()
    env.update(OPENAI_BASE_URL=f"{server.base}/openai/v1", OPENAI_API_KEY=server.key, AZURE_OPENAI_API_KEY=server.key)
    path = EXAMPLES / script
    return subprocess.run(
        [sys.executable, str(path)],
        env=env,
        cwd=path.parent,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=SAMPLE_TIMEOUT_SECONDS,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.script for c in CASES])
def test_openai_example_runs_unmodified(case: Example, local_server: LocalServer) -> None:
    result = _run(case.script, local_server)
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    assert_in_order(result.stdout, case.expect)


@pytest.mark.parametrize("excluded", EXCLUDED, ids=[e.script for e in EXCLUDED])
def test_excluded_example_fails_for_the_stated_reason(excluded: Excluded, local_server: LocalServer) -> None:
    result = _run(excluded.script, local_server)
    assert result.returncode != 0, f"{excluded.script} now passes; move it to CASES.\nstdout:\n{result.stdout}"
    assert excluded.failure in result.stdout + result.stderr, (
        f"{excluded.script} fails, but not because it {excluded.reason}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )


def test_every_copied_example_is_run_or_excluded() -> None:
    copied = {path.relative_to(EXAMPLES).as_posix() for path in EXAMPLES.rglob("*.py") if path.name != "__init__.py"}
    assert copied == {c.script for c in CASES} | {e.script for e in EXCLUDED}


def test_the_examples_really_need_the_key(local_server: LocalServer) -> None:
    """Guard against a vacuous pass: the same run with a wrong key fails with the package's 401 error."""
    wrong = LocalServer(base=local_server.base, key="wrong-key", log=local_server.log)
    result = _run("demo.py", wrong)
    assert result.returncode != 0 and "AuthenticationError" in result.stderr
