"""Models are built once per process, however many worker threads ask for them at the same moment."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from callqa.loading import load_once


def test_load_once_builds_a_model_once_when_threads_ask_together():
    built = []

    @load_once()
    def slow_model(name):
        built.append(name)
        time.sleep(0.2)  # long enough for every thread to miss the cache together
        return object()

    start = threading.Barrier(4)

    def ask(_):
        start.wait()
        return slow_model("m")

    with ThreadPoolExecutor(4) as pool:
        models = list(pool.map(ask, range(4)))
    assert built == ["m"] and all(m is models[0] for m in models)


def test_load_once_loaders_that_call_one_another_do_not_deadlock():
    @load_once()
    def tagger():
        return "tagger"

    @load_once()
    def encoder():
        return tagger() + "+encoder"

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda f: f(), [encoder, tagger, encoder, tagger]))
    assert results == ["tagger+encoder", "tagger", "tagger+encoder", "tagger"]


def test_load_once_keeps_maxsize_results_and_clears():
    calls = []

    @load_once(maxsize=2)
    def model(name):
        calls.append(name)
        return name.upper()

    assert [model("a"), model("b"), model("a")] == ["A", "B", "A"] and calls == ["a", "b"]
    model("c")  # drops the oldest, "a"
    model("b")
    model("a")
    assert calls == ["a", "b", "c", "a"]
    model.cache_clear()
    model("b")
    assert calls == ["a", "b", "c", "a", "b"]


def test_load_once_one_model_however_the_arguments_are_spelt():
    calls = []

    @load_once(maxsize=4)
    def model(model_dir=None, device="cpu"):
        calls.append((model_dir, device))
        return object()

    assert model() is model(None) is model(model_dir=None) is model(None, "cpu") is model(device="cpu")
    assert calls == [(None, "cpu")]
    assert model("elsewhere") is not model()


def test_load_once_a_failed_load_is_not_cached():
    attempts = []

    @load_once()
    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("weights not there yet")
        return "model"

    try:
        flaky()
    except OSError:
        pass
    assert flaky() == "model" and len(attempts) == 2
