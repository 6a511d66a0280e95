"""`python -m localserver --host 127.0.0.1 --port 8000 [--api-key KEY]`: serve until interrupted."""

from __future__ import annotations

import argparse
import os

import uvicorn

from .app import DEFAULT_WORDS_PER_SECOND, ServerConfig, create_app
from .catalog import BUILTIN_MODELS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--api-key", default=os.environ.get("LOCALSERVER_API_KEY"), help="require this key (default: accept all)")
    parser.add_argument("--words-per-second", type=float, default=DEFAULT_WORDS_PER_SECOND, help="streaming pace; 0 = as fast as possible")
    parser.add_argument("--max-embedding-inputs", type=int, default=2048)
    parser.add_argument(
        "--embedding-latency-ms", type=float, default=0.0, help="wait this long before answering each embeddings request"
    )
    parser.add_argument(
        "--strict-models", action="store_true", help="on the OpenAI v1 routes, answer unknown model names with 404 model_not_found"
    )
    args = parser.parse_args(argv)

    config = ServerConfig(
        api_key=args.api_key,
        words_per_second=args.words_per_second,
        max_embedding_inputs=args.max_embedding_inputs,
        strict_models=args.strict_models,
        embedding_latency_ms=args.embedding_latency_ms,
    )
    base = f"http://{args.host}:{args.port}"
    print("Local Azure AI Model Inference and OpenAI v1 server")
    print(f"  auth: {'API key required' if args.api_key else 'none (any key accepted)'}")
    print(f"  {base}                               serverless endpoint of local-chat (+ /embeddings, /images/embeddings)")
    for model in BUILTIN_MODELS:
        print(f"  {base}/serverless/{model.name:<18}  serverless endpoint of {model.name}")
    print(f"  {base}/models                        Azure AI Foundry style (model in the body)")
    print(f"  {base}/openai/deployments/<model>    Azure OpenAI style (use api_version=2024-06-01)")
    print(f"  {base}/openai/v1                     Foundry's OpenAI v1 API (openai package: base_url)")
    print(f"  {base}/v1                            the same, as an OpenAI-compatible server")
    print("Press Ctrl+C to stop.", flush=True)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
