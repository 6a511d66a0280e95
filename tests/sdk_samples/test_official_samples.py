"""The SDK's official samples, run unmodified against the local server.

The samples under ``samples/`` are verbatim copies of
``Azure/azure-sdk-for-python/sdk/ai/azure-ai-inference/samples`` (see ``README.md`` for the commit
of each file). Every test runs one sample as its own process, exactly as a user would
(``python sample_x.py`` in the samples folder), with only the environment variables that the
sample reads pointing at a ``python -m localserver`` subprocess started with an API key. A sample
passes when it exits 0 and prints what it prints against a real endpoint: the model's reply, the
tool result, the embedding length, the model info.

Samples that cannot run against a plain-http local server are listed in ``EXCLUDED`` with the
reason, and a test checks that they fail for exactly that reason, so that nothing is skipped
silently and an exclusion that stops being true is noticed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.sdk_samples.support import SAMPLE_TIMEOUT_SECONDS, LocalServer, assert_in_order, base_env

SAMPLES = Path(__file__).resolve().parent / "samples"

# Endpoint styles of the local server (see localserver/app.py). "{base}" is http://127.0.0.1:<port>.
ROOT = "{base}"  # serverless endpoint of local-chat; also answers /embeddings and /images/embeddings
CHAT = "{base}/serverless/local-chat"
EMBED = "{base}/serverless/local-embed"
IMAGE_EMBED = "{base}/serverless/local-image-embed"
AOAI_CHAT = "{base}/openai/deployments/local-chat"
AOAI_EMBED = "{base}/openai/deployments/local-embed"


def _chat(endpoint: str = CHAT) -> dict[str, str]:
    return {"AZURE_AI_CHAT_ENDPOINT": endpoint, "AZURE_AI_CHAT_KEY": "{key}"}


def _embeddings(endpoint: str = EMBED) -> dict[str, str]:
    return {"AZURE_AI_EMBEDDINGS_ENDPOINT": endpoint, "AZURE_AI_EMBEDDINGS_KEY": "{key}"}


def _image_embeddings(endpoint: str = IMAGE_EMBED) -> dict[str, str]:
    return {"AZURE_AI_IMAGE_EMBEDDINGS_ENDPOINT": endpoint, "AZURE_AI_IMAGE_EMBEDDINGS_KEY": "{key}"}


def _aoai_chat() -> dict[str, str]:
    return {"AZURE_OPENAI_CHAT_ENDPOINT": AOAI_CHAT, "AZURE_OPENAI_CHAT_KEY": "{key}"}


def _aoai_embeddings() -> dict[str, str]:
    return {"AZURE_OPENAI_EMBEDDINGS_ENDPOINT": AOAI_EMBED, "AZURE_OPENAI_EMBEDDINGS_KEY": "{key}"}


@dataclass(frozen=True)
class Case:
    sample: str  # path under samples/
    env: dict[str, str]  # exactly the variables the sample reads; "{base}" and "{key}" are filled in
    expect: tuple[str, ...]  # fragments that must appear in stdout, in this order


MILE = "How many feet are in a mile?"
EXERCISE = "Give me 5 good reasons why I should exercise every day."
ISS_FOLLOW_UP = "And what was the estimated cost to build it?"

CASES: tuple[Case, ...] = (
    # -- chat completions, synchronous client
    Case("sample_chat_completions.py", _chat(ROOT), (f'"{MILE}"',)),
    Case("sample_chat_completions_streaming.py", _chat(), (f'"{EXERCISE}"', "Key words:")),
    Case(
        "sample_chat_completions_with_defaults.py",
        _chat(),
        (f'"{MILE}"', '"What\'s the distance from Earth to the Moon in miles?"'),
    ),
    Case(
        "sample_chat_completions_with_history.py",
        _chat(),
        (
            '"What year was construction of the international space station mostly done?"',
            f'"{ISS_FOLLOW_UP}"',
            "2 user messages and 1 earlier reply",
        ),
    ),
    Case("sample_chat_completions_with_model_extras.py", _chat(), (f'"{MILE}"',)),
    Case(
        "sample_chat_completions_with_tools.py",
        _chat(),
        (
            "Calling function `get_flight_info` with arguments {'origin_city': 'Seattle', 'destination_city': 'Miami'}.",
            'Function response = {"airline": "Delta", "flight_number": "DL123"',
            "Model response = Based on the tool results: get_flight_info returned",
            "DL123",
        ),
    ),
    # use_azure_openai_endpoint = True in the sample, so it reads the AZURE_OPENAI_* variables
    Case(
        "sample_chat_completions_streaming_with_tools.py",
        _aoai_chat(),
        (
            'Calling function `get_flight_info` with arguments {"origin_city": "Seattle", "destination_city": "Miami"}.',
            'Function response = {"airline": "Delta", "flight_number": "DL123"',
            "Model response = Based on the tool results: get_flight_info returned",
            "DL123",
        ),
    ),
    # key_auth = True in the sample: AzureKeyCredential("") plus an explicit `api-key` header
    Case("sample_chat_completions_azure_openai.py", _aoai_chat(), (f'"{MILE}"',)),
    Case(
        "sample_chat_completions_with_structured_output.py",
        _aoai_chat(),
        ('"title": "', '"servings": ', '"ingredients": [', '"quantity": "', '"steps": [', '"directions": "', '"notes": "'),
    ),
    Case(
        "sample_chat_completions_with_structured_output_pydantic.py",
        _aoai_chat(),
        # Pydantic puts CookingIngredient/CookingStep under $defs: the reply must follow the $ref.
        ("json_schema = ", "json_response_message = ", '"ingredients": [', '"quantity": "', '"steps": [', '"directions": "'),
    ),
    Case(
        "sample_chat_completions_with_image_data.py",
        {**_chat(), "AZURE_AI_CHAT_DEPLOYMENT_NAME": "local-chat"},
        ('"What\'s in this image?"', "You attached a 64x48 PNG image, mostly red, detail high."),
    ),
    Case("sample_chat_completions_from_input_bytes.py", _chat(), (f'"{MILE}"',)),
    Case("sample_chat_completions_from_input_dict.py", _chat(), (f'"{ISS_FOLLOW_UP}"', "2 user messages and 1 earlier reply")),
    Case(
        "sample_get_model_info.py",
        _chat(ROOT),
        ("Model name: local-chat", "Model provider name: Local", "Model type: chat-completion"),
    ),
    Case("sample_load_client.py", _chat(), ("Created client of type `ChatCompletionsClient`.", f'"{MILE}"')),
    # -- embeddings, synchronous client
    Case("sample_embeddings.py", _embeddings(), ("data[0]: length=384, [", "data[1]: length=384, [", "data[2]: length=384, [")),
    Case(
        "sample_embeddings_with_base64_encoding.py",
        _embeddings(),
        ("data[0] encoded (string length=2048)", "data[0] decoded (vector length=384)", "data[2] decoded (vector length=384)"),
    ),
    # two calls: the client defaults (dimensions=1024), then an override of input_type
    Case(
        "sample_embeddings_with_defaults.py",
        _embeddings(),
        ("data[0]: length=1024, [", "data[2]: length=1024, [", "data[0]: length=1024, [", "data[2]: length=1024, ["),
    ),
    Case("sample_embeddings_azure_openai.py", _aoai_embeddings(), ("data[0]: length=384, [", "data[2]: length=384, [")),
    Case("sample_image_embeddings.py", _image_embeddings(), ("data[0]: length=512, [",)),
    # -- asynchronous clients
    Case("async_samples/sample_chat_completions_async.py", _chat(ROOT), (f'"{MILE}"', "Token usage: {'prompt_tokens': ")),
    Case("async_samples/sample_chat_completions_streaming_async.py", _chat(), (f'"{EXERCISE}"', "Key words:")),
    Case("async_samples/sample_chat_completions_streaming_azure_openai_async.py", _aoai_chat(), (f'"{EXERCISE}"', "Key words:")),
    Case("async_samples/sample_chat_completions_from_input_bytes_async.py", _chat(), (f'"{MILE}"',)),
    Case("async_samples/sample_chat_completions_from_input_dict_async.py", _chat(), (f'"{ISS_FOLLOW_UP}"',)),
    Case("async_samples/sample_chat_completions_from_input_json_async.py", _chat(), (f'"{ISS_FOLLOW_UP}"',)),
    Case("async_samples/sample_embeddings_async.py", _embeddings(), ("Embeddings response:", "data[2]: length=384, [")),
    Case(
        "async_samples/sample_image_embeddings_async.py",
        _image_embeddings(ROOT),
        ("Embeddings response:", "data[0]: length=512, ["),
    ),
    Case(
        "async_samples/sample_load_client_async.py",
        _embeddings(),
        ("Created client of type `EmbeddingsClient`.", "Embeddings response:", "data[2]: length=384, ["),
    ),
)


@dataclass(frozen=True)
class Excluded:
    sample: str
    reason: str
    env: dict[str, str]  # what the sample reads, so that it gets as far as the stated failure
    failure: str  # printed (stdout or stderr) when the sample fails for the stated reason


EXCLUDED: tuple[Excluded, ...] = (
    Excluded(
        "sample_chat_completions_with_entra_id_auth.py",
        "Entra ID only (DefaultAzureCredential), no key branch: azure-core refuses to send a bearer token over plain http",
        {**_chat(), "AZURE_AI_CHAT_MODEL_DEPLOYMENT_NAME": "local-chat"},
        "Bearer token authentication is not permitted for non-TLS protected (non-https) URLs.",
    ),
    Excluded(
        "sample_chat_completions_streaming_with_entra_id_auth.py",
        "Entra ID only (DefaultAzureCredential), no key branch: azure-core refuses to send a bearer token over plain http",
        {"AZURE_AI_CHAT_ENDPOINT": CHAT, "AZURE_AI_CHAT_DEPLOYMENT_NAME": "local-chat"},
        "Bearer token authentication is not permitted for non-TLS protected (non-https) URLs.",
    ),
    Excluded(
        "sample_image_embeddings_with_defaults.py",
        "the only published version of this sample imports `EmbeddingInput`, which the SDK renamed to "
        "`ImageEmbeddingInput` before 1.0.0b9: it fails at import, before any request",
        _image_embeddings(),
        "cannot import name 'EmbeddingInput' from 'azure.ai.inference.models'",
    ),
)


# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def samples_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the samples with the images they load (`sample1.png`, `sample2.png`) next to them.

    The repository's `sample1.png` is binary and not readable through the text index the samples were
    taken from, so stand-ins with the same names are generated here; the copy keeps the working tree clean.
    """
    from PIL import Image

    target = tmp_path_factory.mktemp("sdk_samples") / "samples"
    shutil.copytree(SAMPLES, target)
    for folder in (target, target / "async_samples"):
        Image.new("RGB", (64, 48), (200, 30, 30)).save(folder / "sample1.png")
        Image.new("RGB", (32, 32), (30, 30, 200)).save(folder / "sample2.png")
    return target


def _run(samples_dir: Path, sample: str, variables: dict[str, str], server: LocalServer) -> subprocess.CompletedProcess[str]:
    path = samples_dir / sample
    env = base_env()
    env.update({name: value.format(base=server.base, key=server.key) for name, value in variables.items()})
    return subprocess.run(
        [sys.executable, str(path)],
        env=env,
        cwd=path.parent,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=SAMPLE_TIMEOUT_SECONDS,
    )


# -- tests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.sample for c in CASES])
def test_official_sample_runs_unmodified(case: Case, samples_dir: Path, local_server: LocalServer) -> None:
    result = _run(samples_dir, case.sample, case.env, local_server)
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Missing environment variable" not in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert_in_order(result.stdout, case.expect)


@pytest.mark.parametrize("excluded", EXCLUDED, ids=[e.sample for e in EXCLUDED])
def test_excluded_sample_fails_for_the_stated_reason(excluded: Excluded, samples_dir: Path, local_server: LocalServer) -> None:
    """Excluded samples are still run: they must fail, and for the reason given in EXCLUDED."""
    result = _run(samples_dir, excluded.sample, excluded.env, local_server)
    assert result.returncode != 0, f"{excluded.sample} now passes; move it to CASES.\nstdout:\n{result.stdout}"
    assert excluded.failure in result.stdout + result.stderr, (
        f"{excluded.sample} fails, but not because {excluded.reason}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )


def test_every_saved_sample_is_run_or_excluded() -> None:
    saved = {path.relative_to(SAMPLES).as_posix() for path in SAMPLES.rglob("*.py")}
    listed = [c.sample for c in CASES] + [e.sample for e in EXCLUDED]
    assert len(listed) == len(set(listed)), "a sample is listed twice"
    assert saved == set(listed)


def test_the_key_the_samples_send_is_really_checked(local_server: LocalServer) -> None:
    """Guard against a vacuous pass: the server started for the samples rejects a wrong key."""
    body = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(
        f"{local_server.base}/chat/completions",
        data=body,
        headers={"Content-Type": "application/json", "api-key": "wrong-key"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 401
