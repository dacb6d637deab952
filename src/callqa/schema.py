"""The JSON Schema of the per-call output, and validation against it."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

SCHEMA_FILE = "call.v1.schema.json"


@lru_cache(maxsize=1)
def call_schema() -> dict[str, Any]:
    return json.loads(resources.files("callqa").joinpath("schemas", SCHEMA_FILE).read_text(encoding="utf-8"))


def dumps(obj: Any, **kwargs: Any) -> str:
    """JSON text of ``obj`` with every NaN or infinite float written as null: JSON has no NaN, and a figure with
    nothing to measure (a correlation over one call, a label no call carries) is NaN in Python."""

    def clean(o: Any) -> Any:
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        return o

    return json.dumps(clean(obj), allow_nan=False, **kwargs)


def validate_call(doc: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when ``doc`` is not a valid per-call result."""
    import jsonschema

    jsonschema.validate(doc, call_schema(), cls=jsonschema.Draft202012Validator)
