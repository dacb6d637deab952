"""The stages wired together: one call (``transcribe_call``), and a batch (``analyze_batch``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from callqa.config import DiarizeOptions, TranscribeOptions, TurnOptions, coerce_options
from callqa.errors import CallQAError, InputError
from callqa.executors import run_calls
from callqa.inputs import Rejected, discover, input_kind, read_manifest, read_transcript, transcript_metadata
from callqa.model import CallInput, CallResult, RoleDecision
from callqa.report.tables import write_call, write_failures, write_tables

logger = logging.getLogger("callqa")


@dataclass(frozen=True)
class PipelineOptions:
    """Options of every stage, in one place for a batch."""

    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    turns: TurnOptions = field(default_factory=TurnOptions)
    diarize: DiarizeOptions = field(default_factory=DiarizeOptions)
    tagger_dir: str | None = None
    """Folder of the trained turn tagger; None uses the one shipped in models/turn-tagger."""
    scorecard: str | None = None
    """A team's scorecard TOML; None uses callqa's default.v1."""
    redact: bool = True
    """Replace personal data by its type in everything a batch writes (see ``callqa.redact``)."""
    redact_audio: bool = False
    """Also write OUT/audio/<call_id>.flac, a copy of each recording with the personal data beeped out."""

    @classmethod
    def from_any(cls, options: PipelineOptions | dict[str, Any] | None) -> PipelineOptions:
        if options is None or isinstance(options, cls):
            return options or cls()
        return cls(
            transcribe=coerce_options(TranscribeOptions, options.get("transcribe")),
            turns=coerce_options(TurnOptions, options.get("turns")),
            diarize=coerce_options(DiarizeOptions, options.get("diarize")),
            tagger_dir=options.get("tagger_dir"),
            scorecard=options.get("scorecard"),
            redact=options.get("redact", True),
            redact_audio=options.get("redact_audio", False),
        )


def as_call_input(call: CallInput | str | Path) -> CallInput:
    if isinstance(call, CallInput):
        return call
    p = Path(call)
    kind = input_kind(p)
    if kind is None:
        raise InputError(f"{p}: unsupported file type {p.suffix!r}.")
    return CallInput(call_id=p.stem, path=str(p), kind=kind)  # type: ignore[arg-type]


def transcribe_call(call: CallInput | str | Path, options: PipelineOptions | dict | None = None) -> CallResult:
    """Agent/customer turns of one call, from audio (transcribed) or from a transcript (read as is)."""
    call = as_call_input(call)
    options = PipelineOptions.from_any(options)
    if call.kind == "transcript":
        return _from_transcript(call)
    return _from_audio(call, options)


def _from_transcript(call: CallInput) -> CallResult:
    turns = read_transcript(call.path)
    meta = transcript_metadata(call.path)
    return CallResult(
        call_id=call.call_id,
        source={"path": call.path, "kind": "transcript", "mode": "transcript"},
        turns=turns,
        duration_s=max((t.end for t in turns if t.end is not None), default=None),
        agent_id=call.agent_id or meta.get("agent_id"),
        team=call.team or meta.get("team"),
        started_at=call.started_at or meta.get("started_at"),
        roles=RoleDecision(method="transcript", agent_source="agent", confidence=1.0),
        extra=dict(call.extra),
    )


def _from_audio(call: CallInput, options: PipelineOptions) -> CallResult:
    from callqa.audio import load_audio
    from callqa.speakers import attribute_mono, attribute_stereo, choose_mode
    from callqa.transcribe import get_engine

    audio = load_audio(call.path)
    engine = get_engine(options.transcribe)
    mode, live = choose_mode(audio, call.agent_channel)
    if mode == "stereo":
        attribution = attribute_stereo(audio, engine, call.agent_channel, options.turns)
    elif mode == "single_channel":
        attribution = attribute_mono(audio.channel(live), engine, options.turns, options.diarize, mode, channel=live)
    else:
        attribution = attribute_mono(audio.downmix(), engine, options.turns, options.diarize)
    warnings = list(audio.warnings) + list(attribution.warnings)
    if mode == "single_channel":
        warnings.insert(0, f"the {('left', 'right')[1 - live]} channel is silent; the other was diarized")
    if not attribution.turns:
        warnings.append("no speech was recognised")
    return CallResult(
        call_id=call.call_id,
        source={
            "path": call.path,
            "kind": "audio",
            "mode": mode,
            "codec": audio.codec,
            "sample_rate": audio.source_sample_rate,
            "channels": audio.source_channels,
            "agent_channel": call.agent_channel,
        },
        turns=attribution.turns,
        duration_s=audio.duration_s,
        agent_id=call.agent_id,
        team=call.team,
        started_at=call.started_at,
        engine=engine.info,
        roles=attribution.roles,
        language=attribution.language,
        extra=dict(call.extra),
        warnings=tuple(warnings),
    )


def finish_call(result: CallResult, options: PipelineOptions | dict | None = None) -> CallResult:
    """The stages after transcription on a transcribed call: acts and phases, then scores."""
    from callqa.nlp import annotate
    from callqa.scoring import score_result

    options = PipelineOptions.from_any(options)
    if not result.turns:
        return result
    return score_result(annotate(result, options.tagger_dir), options.scorecard)


def analyze_call(call: CallInput | str | Path, options: PipelineOptions | dict | None = None) -> CallResult:
    """Every stage callqa has, on one call: transcription and speakers (audio), acts and phases, scores."""
    options = PipelineOptions.from_any(options)
    return finish_call(transcribe_call(call, options), options)


def score_call(call: CallInput | str | Path, options: PipelineOptions | dict | None = None) -> CallResult:
    """The stages after transcription, on a transcript (text or JSON); refuses audio."""
    call = as_call_input(call)
    if call.kind != "transcript":
        raise InputError(f"{call.path}: `score` takes transcripts (.txt, .json); use `analyze` for audio.")
    return analyze_call(call, options)


def _redact(result: CallResult, out: Path, options: PipelineOptions) -> CallResult:
    """The result as a batch writes it: personal data replaced, and with ``redact_audio`` a beeped copy of the audio."""
    from callqa.redact import redact_audio, redact_result
    from callqa.report.tables import safe_name

    result = redact_result(result)
    if options.redact_audio and result.source.get("kind") == "audio":
        written = redact_audio(result, out / "audio" / f"{safe_name(result.call_id)}.flac")
        if written is not None:
            result = replace(result, source={**result.source, "redacted_audio": str(written.relative_to(out).as_posix())})
    return result


def _record_failure(summary: BatchSummary, call: CallInput, error: BaseException, on_call, stage: str = "analyze") -> None:
    if isinstance(error, CallQAError):
        logger.error("%s", error)
    else:  # not a known input problem: keep the traceback for the bug report
        logger.error("%s: unexpected error", call.path, exc_info=error)
    summary.failed += 1
    summary.failures.append(
        {"call_id": call.call_id, "path": call.path, "stage": stage, "error": type(error).__name__, "message": str(error)}
    )
    if on_call:
        on_call(call, None, error)


@dataclass
class BatchSummary:
    out_dir: Path
    done: int = 0
    failed: int = 0
    skipped: int = 0
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def x_real_time(self) -> float | None:
        return self.audio_seconds / self.wall_seconds if self.wall_seconds > 0 and self.audio_seconds > 0 else None


ProgressCallback = Callable[[CallInput, CallResult | None, Exception | None], None]


def collect_inputs(paths: list[str | Path], manifest: str | Path | None = None, rejected: list[Rejected] | None = None) -> list[CallInput]:
    """The calls of a batch: the manifest's rows if given (paths relative to it), else the files found.

    With ``rejected``, inputs that cannot become calls are appended there instead of stopping the batch.
    """
    if manifest is not None:
        return read_manifest(manifest, rejected=rejected)
    return discover(paths, rejected=rejected)


def analyze_batch(
    inputs: list[CallInput] | list[str | Path] | str | Path,
    out_dir: str | Path,
    options: PipelineOptions | dict | None = None,
    *,
    manifest: str | Path | None = None,
    stage: Callable[[CallInput, PipelineOptions], CallResult] = analyze_call,
    fail_fast: bool = False,
    on_call: ProgressCallback | None = None,
    resume: bool = True,
    rejected: list[Rejected] | None = None,
    executor: str = "local",
    workers: int = 1,
    address: str | None = None,
) -> BatchSummary:
    """Process every call, writing ``out_dir/calls/<call_id>.json``, ``calls.csv`` and ``calls.parquet``.

    A call that fails is recorded in ``failures.csv`` with the stage and the reason, and the batch goes on
    (unless ``fail_fast``). ``on_call`` is told about each call as it finishes. With ``resume`` (the default),
    calls whose output records the same input bytes and configuration are skipped (see ``callqa.resume``).
    Only one batch at a time may write to ``out_dir``. Inputs that cannot become calls (``rejected``, and those
    found while collecting ``inputs``) are recorded as failures of the "input" stage.

    ``executor`` (``local`` or ``ray``), ``workers`` and ``address`` say where the calls run (see
    ``callqa.executors``); they do not change the results.
    """
    from callqa.resume import folder_lock

    out = Path(out_dir)
    with folder_lock(out):
        run = partial(run_calls, executor=executor, workers=workers, address=address)
        return _run_batch(inputs, out, options, manifest, stage, fail_fast, on_call, resume, list(rejected or []), run)


def _run_batch(inputs, out: Path, options, manifest, stage, fail_fast: bool, on_call, resume: bool, rejected: list[Rejected], run) -> BatchSummary:
    from callqa.report.tables import call_json_path
    from callqa.resume import already_done, fingerprint
    from callqa.transcribe.models import sha256_file

    options = PipelineOptions.from_any(options)
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    calls = [c if isinstance(c, CallInput) else None for c in inputs]
    if manifest is not None or any(c is None for c in calls):
        found = collect_inputs([c for c in inputs if not isinstance(c, CallInput)], manifest, None if fail_fast else rejected)
        calls = found + [c for c in calls if c]
    summary = BatchSummary(out_dir=out)
    for r in rejected:
        logger.error("%s", r.error)
        summary.failed += 1
        summary.failures.append({"call_id": r.call_id, "path": r.path, "stage": "input", "error": type(r.error).__name__, "message": str(r.error)})
    config = fingerprint(getattr(stage, "__name__", str(stage)), options)
    t0 = time.perf_counter()
    todo: list[CallInput] = []
    input_sha: dict[str, str] = {}
    for call in calls:  # type: ignore[union-attr]
        try:
            input_sha[call.call_id] = sha256_file(call.path) if Path(call.path).is_file() else ""
        except OSError as e:
            if fail_fast:
                raise
            _record_failure(summary, call, e, on_call, "input")
            continue
        if resume and input_sha[call.call_id] and already_done(call_json_path(out, call.call_id), input_sha[call.call_id], config):
            summary.skipped += 1
            if on_call:
                on_call(call, None, None)
            continue
        todo.append(call)
    for call, result, error in run(todo, stage, options):
        failed_in = "analyze"
        if error is None:
            try:
                result = replace(result, run={"input_sha256": input_sha[call.call_id], "fingerprint": config})
                if options.redact:
                    failed_in = "redact"
                    result = _redact(result, out, options)
                failed_in = "write"
                write_call(out, result)
            except Exception as e:
                error = e
        if error is not None:
            if fail_fast:
                raise error
            _record_failure(summary, call, error, on_call, failed_in)
            continue
        summary.done += 1
        if call.kind == "audio":
            summary.audio_seconds += result.duration_s or 0.0
        if on_call:
            on_call(call, result, None)
    summary.wall_seconds = time.perf_counter() - t0
    write_tables(out)
    write_failures(out, summary.failures)
    return summary
