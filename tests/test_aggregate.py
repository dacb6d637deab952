"""Per-agent and per-team tables, trends and coaching on a generated batch of several agents."""

from __future__ import annotations

import pytest



@pytest.fixture(scope="session")
def tables(synthetic_batch):
    from callqa.aggregate import build_tables

    return build_tables(synthetic_batch)


def test_aggregate_pushy_agent_tops_pressure_and_server_tops_rapport(tables):
    agents = tables["agents"].set_index("agent_id")
    north = agents[agents["team"] == "north"]
    assert north["cross_sell_pressure_mean"].idxmax() == "A-push"
    assert agents["cross_sell_pressure_mean"].idxmax() == "A-push"
    assert north["rapport_mean"].idxmax() == "A-serve"
    assert agents.loc["A-push", "share_offer_before_resolution"] >= 0.8
    assert agents.loc["A-serve", "share_offer_before_resolution"] == 0
    assert agents.loc["A-push", "cross_sell_pressure_team_percentile"] < agents.loc["A-serve", "cross_sell_pressure_team_percentile"]


def test_aggregate_coaching_card_names_the_pushy_agents_weak_spot_with_evidence(tables):
    card = tables["coaching"]["A-push"]
    weak = {g["dimension"]: g for g in card["weak_spots"]}
    assert "restraint" in weak or "offer_timing" in weak
    spot = weak.get("restraint") or weak["offer_timing"]
    assert spot["gap"] < -30 and 2 <= len(spot["examples"]) <= 3
    docs = {d["call_id"]: d for d in tables["docs"]}
    for e in spot["examples"]:
        turn = docs[e["call_id"]]["turns"][e["turn"]]
        assert e["quote"] == turn["text"] and e["start"] == turn["start"]
        assert "offer" in turn["acts"] and ("pitch" in e["why"])
    serve = tables["coaching"]["A-serve"]
    assert "rapport" in {g["dimension"] for g in serve["strengths"]}


def test_aggregate_teams_and_iso_week_trends(tables):
    teams = tables["teams"].set_index("team")
    assert teams.loc["north", "calls"] == 18 and teams.loc["south", "agents"] == 2
    trends = tables["trends"]
    assert set(trends["level"]) == {"team", "agent"}
    assert trends["period"].str.match(r"^2026-W\d\d$").all()
    weekly = trends[(trends["level"] == "agent") & (trends["agent_id"] == "A-push")]
    assert weekly["calls"].sum() == 6 and len(weekly) >= 3


def test_aggregate_tables_written_as_csv_and_parquet(synthetic_batch, tables):
    import pandas as pd

    for name in ("agents", "teams", "trends"):
        a = pd.read_csv(synthetic_batch / f"{name}.csv")
        b = pd.read_parquet(synthetic_batch / f"{name}.parquet")
        assert len(a) == len(b) == len(tables[name]) > 0


def test_aggregate_cli_agents_and_teams_json(synthetic_batch):
    import json

    from typer.testing import CliRunner

    from callqa.cli import app

    r = CliRunner().invoke(app, ["agents", str(synthetic_batch), "--json"])
    assert r.exit_code == 0, r.output
    assert {row["agent_id"] for row in json.loads(r.output)} == {"A-serve", "A-push", "A-plain", "A-warm", "A-curt"}
    r = CliRunner().invoke(app, ["teams", str(synthetic_batch), "--period", "month", "--json"])
    data = json.loads(r.output)
    assert {t["team"] for t in data["teams"]} == {"north", "south"}
    assert {t["period"] for t in data["trends"]} == {"2026-10", "2026-11"} or {t["period"] for t in data["trends"]} <= {"2026-10", "2026-11"}
    r = CliRunner().invoke(app, ["teams", str(synthetic_batch), "--period", "year"])
    assert r.exit_code != 0
