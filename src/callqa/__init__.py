"""callqa: scored, evidence-backed transcripts of contact-centre calls.

The public API is ``transcribe_call`` (one call) and ``analyze_batch`` (a folder or manifest of calls). Heavy
libraries load only when a call is processed, so importing callqa is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["transcribe_call", "analyze_call", "analyze_batch", "PipelineOptions", "__version__"]

if TYPE_CHECKING:
    from callqa.pipeline import PipelineOptions, analyze_batch, analyze_call, transcribe_call


def __getattr__(name: str) -> Any:
    if name in ("transcribe_call", "analyze_call", "analyze_batch", "PipelineOptions"):
        from callqa import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'callqa' has no attribute {name!r}")
