"""The static HTML review site: index, team pages, agent pages, call pages.

Self-contained files that open from disk with no network: CSS inline, plots as embedded PNG (matplotlib), audio
linked by a relative path to the original recording when it exists. Every text from a call is escaped by jinja2's
autoescaping (a transcript may contain HTML).
"""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path
from typing import Any

from callqa.aggregate import DIMENSIONS, SCORES, build_tables
from callqa.report.tables import atomic_write_text

PHASE_COLOURS = {
    "greeting": "#e8f1fb", "verification": "#f3ecfa", "discovery": "#fff6e0",
    "resolution": "#e7f6ec", "offer": "#fde8e4", "closing": "#eeeeee",
}
SCORE_LABELS = {"rapport": "Rapport", "resolution": "Resolution", "offer_timing": "Offer timing", "cross_sell_pressure": "Cross-sell pressure"}


def slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-")
    return s or "x"


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def trend_plot(trends, level: str, team: str | None = None) -> str | None:
    """Weekly mean of each score, one line per agent (team page) or per team (index)."""
    if trends is None or trends.empty:
        return None
    frame = trends[trends["level"] == level]
    if team is not None:
        frame = frame[frame["team"] == team]
    if frame.empty:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, 4, figsize=(14, 3), sharex=True)
    key = "agent_id" if level == "agent" else "team"
    for ax, score in zip(axes, SCORES):
        for name, g in frame.groupby(key):
            g = g.sort_values("period")
            ax.plot(g["period"], g[f"{score}_mean"], marker="o", label=str(name))
        ax.set_title(SCORE_LABELS[score], fontsize=10)
        ax.set_ylim(-5, 105)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    axes[-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _png(fig)


def team_comparison_plot(teams) -> str | None:
    if teams is None or teams.empty:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 3))
    width = 0.8 / max(len(teams), 1)
    for k, (_, row) in enumerate(teams.iterrows()):
        xs = [i + k * width for i in range(len(SCORES))]
        ax.bar(xs, [row[f"{s}_mean"] if row[f"{s}_mean"] is not None else 0 for s in SCORES], width, label=row["team"])
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(SCORES))], [SCORE_LABELS[s] for s in SCORES], fontsize=8)
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7)
    return _png(fig)


def distribution_plot(calls, agent_id: str, team: str) -> str | None:
    """The agent's score distribution against the rest of the team, per score."""
    plt = _plt()
    mine = calls[calls["agent_id"] == agent_id]
    rest = calls[(calls["team"] == team) & (calls["agent_id"] != agent_id)]
    fig, axes = plt.subplots(1, 4, figsize=(14, 2.6))
    for ax, score in zip(axes, SCORES):
        data = [rest[score].dropna().tolist(), mine[score].dropna().tolist()]
        if any(data):
            ax.boxplot([d if d else [float("nan")] for d in data], tick_labels=["team", agent_id], widths=0.5)
        ax.set_title(SCORE_LABELS[score], fontsize=10)
        ax.set_ylim(-5, 105)
    return _png(fig)


def _env():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("callqa.report", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["slug"] = slug
    env.filters["clock"] = lambda t: "" if t is None else f"{int(t // 60)}:{t % 60:04.1f}"
    env.filters["num"] = lambda v: "–" if v is None or v != v else (f"{v:.0f}" if isinstance(v, float) else str(v))
    return env


def build_report(out_dir: str | Path, period: str = "week") -> Path:
    """Write OUT/report/ (index, team, agent and call pages) and the agents/teams/trends tables; returns index."""
    out_dir = Path(out_dir)
    report = out_dir / "report"
    (report / "calls").mkdir(parents=True, exist_ok=True)
    data = build_tables(out_dir, period)
    calls, agents, teams, trends, cards, docs = (data[k] for k in ("calls", "agents", "teams", "trends", "coaching", "docs"))
    env = _env()
    common = {"score_labels": SCORE_LABELS, "scores": SCORES, "phase_colours": PHASE_COLOURS}

    def write(path: Path, template: str, **ctx: Any) -> None:
        atomic_write_text(path, env.get_template(template).render(**common, **ctx))

    agent_rows = agents.to_dict("records") if not agents.empty else []
    team_rows = teams.to_dict("records") if not teams.empty else []
    scored = [d for d in docs if d.get("scores")]
    write(report / "index.html", "index.html", teams=team_rows, agents=agent_rows, calls=scored,
          comparison=team_comparison_plot(teams), trend=trend_plot(trends, "team"), period=period)
    for team in team_rows:
        write(report / f"team-{slug(team['team'])}.html", "team.html", team=team,
              agents=[a for a in agent_rows if a["team"] == team["team"]], trend=trend_plot(trends, "agent", team["team"]),
              comparison=team_comparison_plot(teams), period=period)
    for agent in agent_rows:
        mine = [d for d in scored if (d.get("agent_id") or "(unknown)") == agent["agent_id"]]
        write(report / f"agent-{slug(agent['agent_id'])}.html", "agent.html", agent=agent, card=cards[agent["agent_id"]],
              dimensions=DIMENSIONS, distribution=distribution_plot(calls, agent["agent_id"], agent["team"]), calls=mine)
    for d in scored:
        page = report / "calls" / f"{slug(d['call_id'])}.html"
        audio = None
        source = d.get("source") or {}
        # the beeped copy when the batch wrote one (--redact-audio), else the original recording
        src = out_dir / source["redacted_audio"] if source.get("redacted_audio") else source.get("path")
        if src and source.get("kind") == "audio" and Path(src).exists():
            audio = Path(os.path.relpath(Path(src).resolve(), page.parent.resolve())).as_posix()
        evidence_turns: dict[int, list[str]] = {}
        for name, score in d["scores"].items():
            for e in score.get("evidence") or ():
                evidence_turns.setdefault(e["turn"], []).append(f"{SCORE_LABELS[name]}: {e['reason']}")
        offer_turns = {o["turn"]: o for o in d.get("offers") or ()}
        write(page, "call.html", d=d, audio=audio, evidence_turns=evidence_turns, offer_turns=offer_turns,
              agent_page=f"../agent-{slug(d.get('agent_id') or '(unknown)')}.html")
    return report / "index.html"
