"""Per-agent, per-team and per-period tables, and coaching cards (pandas lives here).

Inputs are the per-call JSON documents of an output folder. Tables are written as CSV and Parquet under it:
``agents``, ``teams`` and ``trends``. Scores are 0-100; cross_sell_pressure is "lower is better", so coaching
compares agents on ``restraint`` = 100 - pressure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SCORES = ("rapport", "resolution", "offer_timing", "cross_sell_pressure")
DYNAMICS = ("talk_ratio_agent", "agent_response_latency_s", "interruptions_by_agent", "wpm_agent", "longest_silence_s")
# Coaching dimensions: name, column, higher-is-better, what it means to a coach.
DIMENSIONS = (
    ("rapport", "rapport", "warmth and respect the customer feels"),
    ("resolution", "resolution", "customers leave with the problem solved"),
    ("offer_timing", "offer_timing", "offers come after the problem is solved, in a calm moment"),
    ("restraint", "restraint", "no pushing: few pitches, none repeated after a no"),
)


def calls_frame(docs: list[dict[str, Any]]):
    """One row per scored call with the columns the tables need."""
    import pandas as pd

    rows = []
    for d in docs:
        s = d.get("scores")
        if not s:
            continue
        m = d.get("metrics") or {}
        f = d.get("flags") or {}
        started = pd.to_datetime(d.get("started_at"), errors="coerce", utc=True)
        rows.append(
            {
                "call_id": d["call_id"],
                "agent_id": d.get("agent_id") or "(unknown)",
                "team": d.get("team") or "(no team)",
                "started_at": started,
                **{k: s[k]["value"] for k in SCORES},
                "restraint": 100.0 - s["cross_sell_pressure"]["value"],
                "offer_timing_category": s["offer_timing"]["category"],
                "resolution_status": s["resolution"]["status"],
                "escalated": bool(f.get("escalated")),
                "churn_risk": bool(f.get("churn_risk")),
                "offers": len(d.get("offers") or []),
                "repeat_after_no": s["cross_sell_pressure"]["components"].get("repeat_after_no", 0.0),
                **{k: m.get(k) for k in DYNAMICS},
            }
        )
    frame = pd.DataFrame(rows)
    if not frame.empty:
        for col in DYNAMICS:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame


def _summary(group) -> dict[str, Any]:
    out: dict[str, Any] = {"calls": len(group)}
    for k in SCORES:
        col = group[k].dropna()
        out[f"{k}_mean"] = round(float(col.mean()), 1) if len(col) else None
        out[f"{k}_median"] = round(float(col.median()), 1) if len(col) else None
        out[f"{k}_std"] = round(float(col.std(ddof=0)), 1) if len(col) else None
    cat = group["offer_timing_category"]
    out["share_offer_before_resolution"] = round(float((cat == "before_resolution").mean()), 3)
    out["share_rushed_close"] = round(float((cat == "rushed_close").mean()), 3)
    out["share_escalated"] = round(float(group["escalated"].mean()), 3)
    out["share_resolved"] = round(float((group["resolution_status"] == "resolved").mean()), 3)
    out["share_churn_risk"] = round(float(group["churn_risk"].mean()), 3)
    for k in DYNAMICS:
        col = group[k].dropna()
        out[f"{k}_mean"] = round(float(col.mean()), 3) if len(col) else None
    return out


def agents_table(calls):
    """Per agent: call count, mean/median/std of every score, shares, dynamics means, percentile within team."""
    import pandas as pd

    if calls.empty:
        return pd.DataFrame()
    rows = [{"agent_id": a, "team": t, **_summary(g)} for (a, t), g in calls.groupby(["agent_id", "team"], sort=True)]
    table = pd.DataFrame(rows)
    for k in SCORES:
        # percentile of the agent's mean within the team; for pressure a low mean ranks high
        asc = k != "cross_sell_pressure"
        table[f"{k}_team_percentile"] = (table.groupby("team")[f"{k}_mean"].rank(pct=True, ascending=asc) * 100).round(0)
    return table


def teams_table(calls):
    import pandas as pd

    if calls.empty:
        return pd.DataFrame()
    return pd.DataFrame([{"team": t, "agents": g["agent_id"].nunique(), **_summary(g)} for t, g in calls.groupby("team", sort=True)])


def period_key(ts, period: str) -> str | None:
    import pandas as pd

    if ts is None or pd.isna(ts):
        return None
    if period == "week":
        iso = ts.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if period == "month":
        return f"{ts.year}-{ts.month:02d}"
    raise ValueError(f"period must be 'week' or 'month'. Got {period!r}.")


def trends_table(calls, period: str = "week"):
    """Per team and per agent per period (ISO week or month, from started_at): calls and score means."""
    import pandas as pd

    if calls.empty:
        return pd.DataFrame()
    frame = calls.assign(period=[period_key(t, period) for t in calls["started_at"]]).dropna(subset=["period"])
    rows = []
    for level, keys in (("team", ["team"]), ("agent", ["team", "agent_id"])):
        for key, g in frame.groupby(["period", *keys], sort=True):
            rows.append(
                {
                    "period": key[0],
                    "level": level,
                    "team": key[1],
                    "agent_id": key[2] if level == "agent" else None,
                    "calls": len(g),
                    **{f"{k}_mean": round(float(g[k].dropna().mean()), 1) if g[k].notna().any() else None for k in SCORES},
                }
            )
    return pd.DataFrame(rows)


def coaching_card(agent_id: str, calls, docs_by_id: dict[str, dict]) -> dict[str, Any]:
    """Two strongest and two weakest dimensions against the team median, with example moments for weak ones."""
    mine = calls[calls["agent_id"] == agent_id]
    team = mine["team"].iloc[0]
    team_calls = calls[calls["team"] == team]
    gaps = []
    for name, col, meaning in DIMENSIONS:
        own, ref = mine[col].dropna(), team_calls[col].dropna()
        if own.empty or ref.empty:
            continue
        gaps.append({"dimension": name, "meaning": meaning, "agent_median": round(float(own.median()), 1), "team_median": round(float(ref.median()), 1), "gap": round(float(own.median() - ref.median()), 1)})
    ranked = sorted(gaps, key=lambda g: g["gap"], reverse=True)
    strengths = [g for g in ranked if g["gap"] > 0][:2]
    weak = [g for g in reversed(ranked) if g["gap"] < 0][:2]
    for g in weak:
        g["examples"] = _examples(g["dimension"], mine, docs_by_id)
    return {"agent_id": agent_id, "team": team, "calls": len(mine), "strengths": strengths, "weak_spots": weak, "dimensions": gaps}


_SCORE_OF = {"rapport": "rapport", "resolution": "resolution", "offer_timing": "offer_timing", "restraint": "cross_sell_pressure"}


def _examples(dimension: str, mine, docs_by_id: dict[str, dict], limit: int = 3) -> list[dict]:
    """Moments from the agent's weakest calls on this dimension: call, time, quote, why."""
    col = dimension
    worst = mine.dropna(subset=[col]).sort_values(col)
    out = []
    for call_id in worst["call_id"]:
        doc = docs_by_id[call_id]
        score = doc["scores"][_SCORE_OF[dimension]]
        for e in score["evidence"]:
            reason = e["reason"]
            if dimension in ("rapport", "resolution") and not reason.startswith("-") and "complain" not in reason and "still" not in reason:
                continue  # for a weak spot, show what pulled the score down
            why = "; ".join(part.strip().lstrip("+-").strip() for part in reason.split(";"))
            out.append({"call_id": call_id, "turn": e["turn"], "start": e["start"], "quote": e["quote"], "why": why})
            break
        if len(out) >= limit:
            break
    return out


def build_tables(out_dir: str | Path, period: str = "week") -> dict[str, Any]:
    """Write agents, teams and trends (CSV and Parquet) under ``out_dir``; returns the frames and coaching cards."""
    from callqa.report.tables import atomic_write_text, read_calls, write_parquet

    out_dir = Path(out_dir)
    docs = read_calls(out_dir)
    calls = calls_frame(docs)
    tables = {"agents": agents_table(calls), "teams": teams_table(calls), "trends": trends_table(calls, period)}
    for name, frame in tables.items():
        atomic_write_text(out_dir / f"{name}.csv", frame.to_csv(index=False))
        write_parquet(frame, out_dir / f"{name}.parquet")
    by_id = {d["call_id"]: d for d in docs}
    cards = {a: coaching_card(a, calls, by_id) for a in sorted(calls["agent_id"].unique())} if not calls.empty else {}
    return {"calls": calls, **tables, "coaching": cards, "docs": docs}
