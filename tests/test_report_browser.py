"""The HTML report in a real headless browser (Debian's chromium, driven by Playwright).

Every page kind (index, team, agent, call) loads with no console error, every link resolves, a screenshot of
each kind is taken (kept under $CALLQA_SCREENSHOTS when set), and the DOM shows the scores and phases of the
per-call JSON. Runs on the bundled audio_samples batch (with the audio player) and on the generated multi-agent
batch. Outside CI the test is skipped when chromium is not installed; in CI (CI=true) it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; scripts/setup.sh installs it with apt-get (package chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


def visit(browser, path: Path, shots: Path, name: str):
    """Load a page from disk; return (page, console errors). Requests that leave the disk fail the test."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: errors.append(f"network request {r.url}") if not r.url.startswith(("file:", "data:")) else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    return page, errors


def check_links(page, base: Path) -> int:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        url = urlparse(href)
        assert not url.scheme or url.scheme == "file", f"external link {href}"
        target = (base.parent / unquote(url.path)).resolve() if url.path else base
        assert target.exists(), f"{base.name}: broken link {href}"
        if url.fragment:
            html = target.read_text(encoding="utf-8")
            assert f'id="{url.fragment}"' in html, f"{base.name}: missing anchor {href}"
    return len(hrefs)


def check_site(browser, out: Path, shots: Path) -> dict[str, int]:
    report = out / "report"
    kinds = {
        "index": [report / "index.html"],
        "team": sorted(report.glob("team-*.html")),
        "agent": sorted(report.glob("agent-*.html")),
        "call": sorted((report / "calls").glob("*.html")),
    }
    assert all(kinds.values()), {k: len(v) for k, v in kinds.items()}
    for kind, pages in kinds.items():
        for i, path in enumerate(pages):
            page, errors = visit(browser, path, shots, f"{kind}-{path.stem}" if i == 0 else f"{kind}-{i}")
            assert not errors, f"{path.name}: {errors}"
            assert check_links(page, path) > 0
            if kind == "call":
                check_call_dom(page, out / "calls" / f"{path.stem}.json")
            page.close()
    return {k: len(v) for k, v in kinds.items()}


def check_call_dom(page, json_path: Path) -> None:
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    for name, score in doc["scores"].items():
        shown = page.get_attribute(f'.score[data-score="{name}"]', "data-value")
        expected = "" if score["value"] is None else str(score["value"])
        assert shown == expected, f"{doc['call_id']} {name}: page {shown!r} vs JSON {expected!r}"
    phases = page.eval_on_selector_all("#transcript .turn", "els => els.map(e => e.dataset.phase)")
    assert phases == [t["phase"] for t in doc["turns"]]
    texts = page.eval_on_selector_all("#transcript .turn .text", "els => els.map(e => e.textContent)")
    assert texts == [t["text"] for t in doc["turns"]]  # escaped, shown as written


def test_report_browser_audio_samples_batch(browser, analyzed_samples, tmp_path):
    _, out = analyzed_samples
    shots = Path(os.environ.get("CALLQA_SCREENSHOTS") or tmp_path) / "samples"
    counts = check_site(browser, out, shots)
    assert counts["call"] == 5 and counts["index"] == 1
    # the recording plays from the turn clicked
    page, errors = visit(browser, out / "report" / "calls" / "auto_repair_40.html", shots, "call-audio")
    src = page.get_attribute("#player", "src")
    assert (out / "report" / "calls" / src).resolve().exists()
    turn = page.locator(".turn[data-start]").nth(5)
    start = float(turn.get_attribute("data-start"))
    turn.click()
    page.wait_for_function("t => Math.abs(document.getElementById('player').currentTime - t) < 0.5", arg=start)
    assert not [e for e in errors if "play()" not in e]
    for kind in ("index", "team", "agent", "call"):
        assert any(shots.glob(f"{kind}-*.png")), f"no screenshot of a {kind} page"


def test_report_browser_generated_batch_and_escaping(browser, synthetic_batch, tmp_path):
    from callqa.report.html import build_report

    # a transcript may contain HTML: it must be shown, not run
    doc_path = next((synthetic_batch / "calls").glob("a-push-01.json"))
    doc = json.loads(doc_path.read_text())
    doc["turns"][1]["text"] = "<script>console.error('injected')</script><b>bold</b> & more"
    doc_path.write_text(json.dumps(doc))
    build_report(synthetic_batch)
    shots = Path(os.environ.get("CALLQA_SCREENSHOTS") or tmp_path) / "generated"
    counts = check_site(browser, synthetic_batch, shots)
    assert counts == {"index": 1, "team": 2, "agent": 5, "call": 30}
    page, errors = visit(browser, synthetic_batch / "report" / "agent-A-push.html", shots, "agent-push")
    weak = page.eval_on_selector_all(".weak-spot", "els => els.map(e => e.dataset.dimension)")
    assert "restraint" in weak or "offer_timing" in weak
    assert page.locator(".weak-spot .example").count() >= 2
    page.close()
