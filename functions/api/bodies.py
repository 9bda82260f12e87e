"""Turning a raw request body into a validated model, or into field-by-field errors."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

MAX_BODY_BYTES = 1_000_000
Model = TypeVar("Model", bound=BaseModel)


class BodyError(ValueError):
    """The body cannot be used; ``status`` is 400 or 413 and ``fields`` names what was wrong."""

    def __init__(self, status: int, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.status = status
        self.fields = fields


def parse_body(model: type[Model], raw: bytes | None) -> Model:
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        raise BodyError(413, "request body too large", {"body": f"must be at most {MAX_BODY_BYTES} bytes"})
    try:
        # pydantic's own parser (jiter) stops at 200 levels of nesting and refuses invalid UTF-8, lone
        # surrogates and NaN, where json.loads recurses until RecursionError on "[[[[…".
        data = from_json(raw or b"{}", allow_inf_nan=False)
    except ValueError as exc:
        raise BodyError(400, "request body is not valid JSON", {"body": f"is not valid JSON: {exc}"}) from None
    if not isinstance(data, dict):
        raise BodyError(400, "request body must be a JSON object", {"body": "must be a JSON object"})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BodyError(400, "invalid request body", field_errors(exc)) from None


def field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors():
        name = _path(error["loc"]) or "body"
        if error["type"] == "extra_forbidden":
            message = "is not a known field"
        elif error["type"] == "missing":
            message = "is required"
        else:
            message = error["msg"][0].lower() + error["msg"][1:]
        fields.setdefault(name, message)
    return fields


def _path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
