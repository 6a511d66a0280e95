"""Error responses shaped like the ones Azure sends, and the exception that carries them.

Bodies are copied from recorded Azure exchanges where one exists (401 from serverless, 404 on
`/info` under Azure OpenAI, the plain-text `NOT FOUND`, 503 "no capacity").
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse, Response


class ApiError(Exception):
    """Raised anywhere in a handler; turned into the response Azure would send."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None, text: bool = False):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.text = text

    def response(self) -> Response:
        if self.text:
            return PlainTextResponse(self.body, status_code=self.status, headers=self.headers)
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def error_body(code: str, message: str, status: int, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, **extra}}


def bad_request(message: str, param: str | None = None, code: str = "invalid_request_error") -> ApiError:
    return ApiError(400, error_body(code, message, 400, param=param))


def unauthorized(openai_style: bool) -> ApiError:
    if openai_style:
        message = (
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
            "key for an active subscription and use a correct regional API endpoint for your resource."
        )
        return ApiError(401, {"error": {"code": "401", "message": message}})
    return ApiError(
        401,
        {"statusCode": 401, "message": "Auth token validation failed. Please provide a valid key or a valid AAD token"},
        headers={"x-ms-error-reason": "Invalid JWT."},
    )


def resource_not_found() -> ApiError:
    return ApiError(404, {"error": {"code": "404", "message": "Resource not found"}})


def plain_not_found() -> ApiError:
    return ApiError(404, "NOT FOUND", text=True)


def deployment_not_found(name: str) -> ApiError:
    message = (
        f"The API deployment {name} for this resource does not exist. If you created the deployment within the "
        "last 5 minutes, please wait a moment and try again."
    )
    return ApiError(404, {"error": {"code": "DeploymentNotFound", "message": message}})


def no_model_name() -> ApiError:
    message = "No model specified in request. Please provide a model name in the request body or as a x-ms-model-mesh-model-name header."
    return ApiError(400, {"error": {"code": "no_model_name", "message": message}})


def unknown_model(name: str) -> ApiError:
    return ApiError(400, {"error": {"code": "unknown_model", "message": f"Unknown model: {name}", "details": f"Model name: {name}"}})


def operation_not_supported(operation: str, model: str) -> ApiError:
    message = f"The {operation} operation does not work with the specified model, {model}. Please choose different model and try again."
    return ApiError(400, {"error": {"code": "OperationNotSupported", "message": message}})


def parameter_not_supported(names: list[str]) -> ApiError:
    joined = ", ".join(sorted(names))
    message = (
        f"Extra parameters ['{joined}'] are not allowed when extra-parameters is not set or set to be 'error'. "
        "Set extra-parameters to 'pass-through' to pass to the model."
    )
    return ApiError(422, {"status": 422, "code": "parameter_not_supported", "message": message, "detail": {}})


def too_large(limit: int) -> ApiError:
    return ApiError(413, error_body("RequestEntityTooLarge", f"The request body exceeds the limit of {limit} bytes.", 413))


def context_length_exceeded(limit: int, actual: int) -> ApiError:
    message = f"This model's maximum context length is {limit} tokens. However, your messages resulted in {actual} tokens."
    return ApiError(400, error_body("context_length_exceeded", message, 400, param="messages"))


def rate_limited(retry_after: int) -> ApiError:
    message = f"Rate limit is exceeded. Try again in {retry_after} seconds."
    return ApiError(
        429,
        {"error": {"code": "429", "message": message}},
        headers={"Retry-After": str(retry_after), "retry-after-ms": str(retry_after * 1000)},
    )


def rate_limited_ms(retry_after_ms: int) -> ApiError:
    """A 429 with a sub-second wait: `retry-after-ms` exact, `Retry-After` rounded up to whole seconds."""
    seconds = max(1, -(-retry_after_ms // 1000))
    return ApiError(
        429,
        {"error": {"code": "429", "message": f"Rate limit is exceeded. Try again in {seconds} seconds."}},
        headers={"Retry-After": str(seconds), "retry-after-ms": str(retry_after_ms)},
    )


def internal_error() -> ApiError:
    return ApiError(500, error_body("InternalServerError", "The server had an error while processing your request.", 500))


def service_unavailable() -> ApiError:
    inner = json.dumps(
        {"object": "Error", "message": "Model has no capacity.", "type": "invalid_request_error", "code": 3503},
        separators=(",", ":"),  # compact, byte for byte as Azure sends it
    )
    return ApiError(
        503,
        {"error": {"code": "Service Unavailable", "message": inner, "status": 503}},
        headers={"ms-azureml-model-error-reason": "model_error", "ms-azureml-model-error-statuscode": "503"},
    )


def content_filtered() -> ApiError:
    categories = {
        "hate": {"filtered": False, "severity": "safe"},
        "jailbreak": {"filtered": True, "detected": True},
        "self_harm": {"filtered": False, "severity": "safe"},
        "sexual": {"filtered": False, "severity": "safe"},
        "violence": {"filtered": True, "severity": "medium"},
    }
    message = (
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
        "Please modify your prompt and retry."
    )
    return ApiError(
        400,
        error_body(
            "content_filter",
            message,
            400,
            param="prompt",
            innererror={"code": "ResponsibleAIPolicyViolation", "content_filter_result": categories},
        ),
    )
