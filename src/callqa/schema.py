"""The JSON Schema of the per-call output, and validation against it."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

SCHEMA_FILE = "call.v1.schema.json"


@lru_cache(maxsize=1)
def call_schema() -> dict[str, Any]:
    return json.loads(resources.files("callqa").joinpath("schemas", SCHEMA_FILE).read_text(encoding="utf-8"))


def validate_call(doc: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when ``doc`` is not a valid per-call result."""
    import jsonschema

    jsonschema.validate(doc, call_schema(), cls=jsonschema.Draft202012Validator)
