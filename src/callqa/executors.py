"""Where the calls of a batch are processed: in this process (``local``) or on a Ray cluster (``ray``).

An executor takes the calls still to do and yields ``(call, result, error)`` as each finishes, in any order;
``pipeline.analyze_batch`` does the rest (resume, redaction, writing, failures), so both executors write the same
files. Each keeps a bounded number of calls in flight, so memory stays flat however long the batch.

- ``local``: ``workers`` threads share one loaded model (CTranslate2 runs that many transcriptions at once and
  releases the GIL), so decoding, VAD and scoring of one call overlap the transcription of another.
- ``ray``: transcription runs in ``workers`` Ray actors, each loading the model once (one GPU each when the device
  is ``cuda``; else one CPU each, at most the cluster's CPUs less one, with the driver's OpenMP thread count); acts,
  phases and scores run as CPU tasks fed the actors' results; the driver writes.
  ``ray.init(address=...)`` joins a running cluster (``address="auto"`` or ``ray://host:10001``); with no address a
  local Ray is started for the batch.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any

from callqa.errors import OptionError
from callqa.model import CallInput, CallResult

EXECUTORS = ("local", "ray")
Outcome = tuple[CallInput, CallResult | None, BaseException | None]


def _bounded(calls: Iterable[CallInput], limit: int, submit: Callable[[CallInput], Any], finished: Callable[[list], Iterable]) -> Iterator[tuple[CallInput, Any]]:
    """Submit calls, never more than ``limit`` unfinished; yield each call with its handle as ``finished`` reports it."""
    pending: dict[Any, CallInput] = {}
    queue = iter(calls)
    while True:
        while len(pending) < limit:
            call = next(queue, None)
            if call is None:
                break
            pending[submit(call)] = call
        if not pending:
            return
        for handle in finished(list(pending)):
            yield pending.pop(handle), handle


def run_local(calls: Iterable[CallInput], stage: Callable, options: Any, workers: int = 1) -> Iterator[Outcome]:
    """Each call through ``stage`` on ``workers`` threads, at most ``2 * workers`` calls in flight."""
    if workers <= 1:
        for call in calls:
            try:
                yield call, stage(call, options), None
            except Exception as e:
                yield call, None, e
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="callqa") as pool:
        def submit(call: CallInput):
            return pool.submit(stage, call, options)

        def first_done(futures: list):
            return wait(futures, return_when=FIRST_COMPLETED)[0]

        for call, future in _bounded(calls, 2 * workers, submit, first_done):
            error = future.exception()
            yield call, None if error else future.result(), error


class _Transcriber:
    """A Ray actor: loads the engine once, then turns calls into transcribed results."""

    def __init__(self, options: Any) -> None:
        from callqa.transcribe import get_engine

        self.options = options
        get_engine(options.transcribe)  # load now, not with the first call

    def transcribe(self, call: CallInput) -> CallResult:
        from callqa.pipeline import transcribe_call

        return transcribe_call(call, self.options)


def _finish(result: CallResult, options: Any) -> CallResult:
    from callqa.pipeline import finish_call

    return finish_call(result, options)


def _whole(stage: Callable, call: CallInput, options: Any) -> CallResult:
    return stage(call, options)


def _openmp_threads() -> str:
    """The OpenMP thread count this process runs with, for the transcription actors.

    Ray starts a worker that holds one CPU with ``OMP_NUM_THREADS=1``; on one thread CTranslate2's matrix products
    sum in another order, which moves word times and probabilities slightly. The actors take the driver's setting
    instead (CTranslate2's ``cpu_threads`` still sets its own thread count), so both executors write the same files.
    """
    import os

    if os.environ.get("OMP_NUM_THREADS"):
        return os.environ["OMP_NUM_THREADS"]
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    return str(len(cores))


def run_ray(
    calls: Iterable[CallInput], stage: Callable, options: Any, workers: int = 1, address: str | None = None
) -> Iterator[Outcome]:
    """Each call through ``stage`` on Ray: audio transcription on actors, the rest as tasks."""
    try:
        import ray
    except ImportError as e:  # an optional dependency
        raise OptionError("--executor ray needs Ray: pip install 'callqa[ray]'.") from e
    from callqa.pipeline import analyze_call, transcribe_call

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        gpu = options.transcribe.device == "cuda"
        cpus = int(ray.cluster_resources().get("CPU", 1))
        if not gpu:  # CPU actors hold a CPU each: leave one for the scoring tasks, or nothing would score
            workers = min(max(1, workers), max(1, cpus - 1))
        actor_cls = ray.remote(
            num_gpus=1 if gpu else 0,
            num_cpus=0 if gpu or cpus <= workers else 1,
            runtime_env={"env_vars": {"OMP_NUM_THREADS": _openmp_threads()}},
        )(_Transcriber)
        finish = ray.remote(num_cpus=1)(_finish)
        whole = ray.remote(num_cpus=1)(_whole)
        actors: list = []
        turns = itertools.count()

        def submit(call: CallInput):
            if call.kind == "audio" and stage in (analyze_call, transcribe_call):
                if len(actors) < workers:
                    actors.append(actor_cls.remote(options))
                ref = actors[next(turns) % len(actors)].transcribe.remote(call)
                return finish.remote(ref, options) if stage is analyze_call else ref
            return whole.remote(stage, call, options)

        for call, ref in _bounded(calls, 2 * workers, submit, lambda refs: ray.wait(refs, num_returns=1)[0]):
            try:
                yield call, ray.get(ref), None
            except Exception as e:
                yield call, None, getattr(e, "cause", None) or e
    finally:
        if started_here:
            ray.shutdown()


def run_calls(
    calls: Iterable[CallInput], stage: Callable, options: Any, executor: str = "local", workers: int = 1, address: str | None = None
) -> Iterator[Outcome]:
    if executor == "local":
        return run_local(calls, stage, options, workers)
    if executor == "ray":
        return run_ray(calls, stage, options, workers, address)
    raise OptionError(f"The 'executor' option must be one of {list(EXECUTORS)}. Got {executor!r} instead.")
