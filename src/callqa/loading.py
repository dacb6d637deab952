"""Load each model once per process, whichever worker thread asks for it first.

callqa scores calls on worker threads, and each stage loads its models the first time it needs them.
``functools.lru_cache`` does not stop two threads from missing the cache together: both then build the model (twice
the time and memory), and two threads importing transformers' lazily loaded classes at once can fail outright
("cannot import name 'AutoModel' from 'transformers'"). ``load_once`` is a cache whose misses are filled under one
process-wide re-entrant lock, so a model is built once, and loaders that call one another (the pair encoder's loader
reads the tagger) cannot deadlock. A hit takes no lock.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

T = TypeVar("T")

_LOADING = threading.RLock()


def load_once(maxsize: int | None = 1) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Cache a loader's result per arguments; at most ``maxsize`` results (``None``: no limit), oldest dropped first.

    Arguments are matched to the loader's signature with its defaults filled in, so ``load_tagger()``,
    ``load_tagger(None)`` and ``load_tagger(model_dir=None)`` share one model (``functools.lru_cache`` would build
    three). The wrapped loader keeps ``cache_clear()``, as with ``functools.lru_cache``.
    """

    def decorate(load: Callable[..., T]) -> Callable[..., T]:
        cache: dict[Any, T] = {}
        signature = inspect.signature(load)

        @wraps(load)
        def loader(*args: Any, **kwargs: Any) -> T:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            key = tuple(bound.arguments.items())
            try:
                return cache[key]
            except KeyError:
                pass
            with _LOADING:
                if key not in cache:
                    value = load(*args, **kwargs)
                    if maxsize is not None and len(cache) >= maxsize:
                        del cache[next(iter(cache))]
                    cache[key] = value
                return cache[key]

        def cache_clear() -> None:
            with _LOADING:
                cache.clear()

        loader.cache_clear = cache_clear  # type: ignore[attr-defined]
        return loader

    return decorate
