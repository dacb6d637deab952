"""Dialogue acts and phases: the tagger's contract, the decoder, safe loading, and the shipped model's output."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import numpy as np
import pytest

from callqa.model import ACTS, PHASES, Turn
from callqa.nlp.tagger import TurnTagger, acts_at
from conftest import ROOT


def test_nlp_tagger_before_fit_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TurnTagger().predict((Turn("agent", "hi"),), np.zeros((1, 3)))


def _forward_moving(stay: float, advance: float) -> np.ndarray:
    """Log transitions that keep the phase (``stay``) or move to the next one (``advance``), rows normalised."""
    k = len(PHASES)
    trans = np.full((k, k), 1e-3)
    for i in range(k):
        trans[i, i] = stay
        if i + 1 < k:
            trans[i, i + 1] = advance
    return np.log(trans / trans.sum(axis=1, keepdims=True))


def _decoder(log_trans: np.ndarray) -> TurnTagger:
    """A tagger with only its decoder's state: flat priors, calls start in 'greeting'."""
    tagger = TurnTagger()
    k = len(PHASES)
    tagger.log_prior_ = np.log(np.full(k, 1 / k))
    tagger.log_start_ = np.log(np.array([0.9] + [0.1 / (k - 1)] * (k - 1)))
    tagger.log_trans_ = log_trans
    return tagger


def test_nlp_viterbi_follows_transitions_over_noisy_posteriors():
    k = len(PHASES)
    tagger = _decoder(_forward_moving(0.7, 0.3))
    # turn 2 alone looks like 'closing', but a jump greeting -> closing -> discovery is nearly impossible
    post = np.full((4, k), 0.02)
    post[0, 0] = post[1, 0] = post[3, 2] = 0.9
    post[2, 5] = 0.5
    post[2, 1] = 0.4
    assert tagger._viterbi(np.log(post / post.sum(axis=1, keepdims=True))) == ["greeting", "greeting", "verification", "discovery"]


def test_nlp_viterbi_uses_the_transitions_into_each_turns_speaker():
    k = len(PHASES)
    forward, sticky = _forward_moving(0.5, 0.5), _forward_moving(0.5, 0.05)
    tagger = _decoder(forward)
    tagger.log_trans_by_speaker_ = np.stack([forward, sticky])  # into agent turns, into customer turns
    turns = (Turn("agent", "hello"), Turn("customer", "yeah hi"), Turn("agent", "your postcode?"))
    # the customer's reply leans a little to 'verification'; the next agent turn is clearly 'verification'
    post = np.full((3, k), 0.01)
    post[0, 0] = 0.9
    post[1, 0], post[1, 1] = 0.4, 0.5
    post[2, 1] = 0.9
    log_post = np.log(post / post.sum(axis=1, keepdims=True))
    assert tagger._viterbi(log_post, turns) == ["greeting", "greeting", "verification"]
    # without the speakers, or from a model saved before transitions were counted by speaker: one matrix for all
    assert tagger._viterbi(log_post) == ["greeting", "verification", "verification"]
    del tagger.log_trans_by_speaker_
    assert tagger._viterbi(log_post, turns) == ["greeting", "verification", "verification"]


@pytest.fixture(scope="module")
def shipped_tagger():
    from callqa.nlp import load_tagger

    return load_tagger()


def test_nlp_shipped_model_has_a_card_matching_the_corpus(shipped_tagger):
    from callqa.nlp.corpus import corpus_hash

    card = json.loads((ROOT / "models" / "turn-tagger" / "card.json").read_text())
    assert card["training_data"]["sha256"] == corpus_hash(ROOT / "models" / "corpus" / "train")
    assert card["metrics"]["dev"]["phase_accuracy"] > 0.8
    pair = card["hyperparameters"].get("pair_encoder")
    if pair is None:  # trained with --pair-epochs 0: the logistic tagger alone
        assert shipped_tagger.pair_weight == 0 and not (ROOT / "models" / "turn-tagger" / "pair-encoder.safetensors").exists()
    else:
        from callqa.transcribe.models import sha256_file

        files = pair.get("files", [pair.get("file")])
        shas = pair["sha256"] if isinstance(pair["sha256"], list) else [pair["sha256"]]
        assert shas == shipped_tagger.pair_sha256s == [sha256_file(ROOT / "models" / "turn-tagger" / f) for f in files]
        # every encoder file in the folder is one the tagger names, and the card's seeds are distinct, one per file
        assert sorted(p.name for p in (ROOT / "models" / "turn-tagger").glob("pair-encoder*.safetensors")) == sorted(files)
        assert len(set(pair.get("seeds", [pair.get("seed")]))) == len(files)
        assert shipped_tagger.pair_weight == pair["weight"] > 0
        assert shipped_tagger.pair_phase_weight == pair.get("phase_weight", 0.0)


def test_nlp_hugging_face_loaders_stay_offline_unless_the_user_says_otherwise(monkeypatch):
    from callqa.nlp.features import offline_hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    offline_hub()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    offline_hub()
    assert os.environ["HF_HUB_OFFLINE"] == "0"


def test_nlp_skops_refuses_types_outside_the_allow_list(tmp_path):
    import skops.io as sio

    from callqa.errors import ModelError
    from callqa.nlp import load_tagger

    from collections import Counter

    sio.dump({"tagger": Counter(a=1)}, tmp_path / "tagger.skops")
    with pytest.raises(ModelError, match="allow-list"):
        load_tagger(str(tmp_path))


def test_nlp_annotates_a_golden_call_with_phases_acts_and_spans(shipped_tagger):
    from callqa.nlp import annotate
    from callqa.pipeline import transcribe_call

    result = annotate(transcribe_call(ROOT / "tests" / "data" / "golden" / "offer_after_fix.txt"))
    phases = [t.phase for t in result.turns]
    acts = [set(t.acts) for t in result.turns]
    assert phases[0] == "greeting" and phases[-1] == "closing"
    offer_turn = next(i for i, t in enumerate(result.turns) if "upgrade" in t.text.lower())
    assert "offer" in acts[offer_turn] and phases[offer_turn] == "offer"
    assert "offer_decline" in acts[offer_turn + 1]
    assert any("resolution_statement" in a for a in acts[:offer_turn])
    spans = result.phase_spans
    assert spans[0].first_turn == 0 and spans[-1].last_turn == len(result.turns) - 1
    assert all(a.last_turn + 1 == b.first_turn for a, b in zip(spans, spans[1:]))
    assert all(a in ACTS for t in result.turns for a in t.acts)


def test_nlp_same_tags_for_asr_style_text(shipped_tagger):
    from callqa.nlp import annotate, asr_like
    from callqa.pipeline import transcribe_call

    result = transcribe_call(ROOT / "tests" / "data" / "golden" / "offer_after_fix.txt")
    a = annotate(result)
    b = annotate(result.with_turns(asr_like(result.turns)))
    same = sum(x.phase == y.phase for x, y in zip(a.turns, b.turns)) / len(a.turns)
    assert same >= 0.85


def test_nlp_a_calls_features_and_tags_do_not_depend_on_the_calls_batched_with_it(shipped_tagger):
    """The shipped pair encoder runs int8 on a CPU, whose activation scale is each batch's range: a call batched
    with other calls must still get the same probabilities, bit for bit, as the same call alone."""
    import numpy as np

    from callqa.nlp import load_pair_encoder, tag_calls, unlabelled
    from callqa.nlp.corpus import load_labelled
    from callqa.nlp.features import turn_features

    calls = [unlabelled(c.turns) for c in load_labelled(ROOT / "models" / "corpus" / "dev")[:4]]
    encoder = load_pair_encoder()
    together = encoder.predict(calls)
    alone = [encoder.predict([c])[0] for c in calls]
    for (acts, phases), (acts1, phases1) in zip(together, alone):
        assert np.array_equal(acts, acts1) and np.array_equal(phases, phases1)
    assert all(np.array_equal(a, b) for a, b in zip(turn_features(calls), [turn_features([c])[0] for c in calls]))
    assert tag_calls(calls) == [tag_calls([c])[0] for c in calls]


def test_nlp_evaluate_reports_every_label(shipped_tagger):
    from callqa.nlp import evaluate

    report = evaluate(ROOT / "models" / "corpus" / "dev")
    d = report.as_dict()
    assert set(d["acts"]) == set(ACTS) and set(d["phases"]) == set(PHASES)
    assert np.array(d["confusion"]["matrix"]).sum() == d["turns"]
    text = report.format()
    print("\n" + text)
    assert "phase accuracy per turn" in text


def test_nlp_evaluate_command_measures_calls_labelled_per_turn_only(tmp_path, shipped_tagger):
    from typer.testing import CliRunner

    from callqa.cli import app

    for i, path in enumerate(sorted((ROOT / "models" / "corpus" / "dev").glob("*.json"))[:2]):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if i:
            doc["labels"] = {}  # turns labelled, the call not
        (tmp_path / path.name).write_text(json.dumps(doc), encoding="utf-8")
    r = CliRunner().invoke(app, ["evaluate", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "2 calls" in r.output and "offer_timing_accuracy" in r.output and "(1 of 2 calls labelled)" in r.output
    # as JSON: valid JSON (no NaN), a figure with nothing to measure (a ranking of one call) is null
    r = CliRunner().invoke(app, ["evaluate", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output

    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    doc = json.loads(r.output, parse_constant=refuse)
    assert doc["scores"]["labelled_calls"]["pressure_spearman"] == 1 and doc["scores"]["pressure_spearman"] is None


def test_nlp_score_command_writes_the_same_json_as_analyze(tmp_path):
    from typer.testing import CliRunner

    from callqa.cli import app
    from callqa.schema import validate_call

    src = ROOT / "tests" / "data" / "golden" / "offer_after_fix.txt"
    r1 = CliRunner().invoke(app, ["score", str(src), "--out", str(tmp_path / "s")])
    r2 = CliRunner().invoke(app, ["analyze", str(src), "--out", str(tmp_path / "a")])
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
    s = json.loads((tmp_path / "s" / "calls" / "offer_after_fix.json").read_text())
    a = json.loads((tmp_path / "a" / "calls" / "offer_after_fix.json").read_text())
    validate_call(s)
    # the same result; only the record of how it was made (stage in the fingerprint) differs
    assert s.pop("run")["input_sha256"] == a.pop("run")["input_sha256"]
    assert s == a and s["phase_spans"]
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"RIFF")
    r3 = CliRunner().invoke(app, ["score", str(bad), "--out", str(tmp_path / "b")])
    assert r3.exit_code == 1 and "takes transcripts" in r3.output


def test_nlp_train_records_every_held_out_folder_in_the_card(tmp_path):
    """`callqa train --dev A --dev B` trains, then evaluates on each folder (the evaluate function twice)."""
    import shutil

    from typer.testing import CliRunner

    from callqa.cli import app

    corpus = ROOT / "models" / "corpus"
    folders = {"train": sorted((corpus / "train").glob("*.json"))[:8], "a": sorted((corpus / "dev").glob("*.json"))[:2], "b": sorted((corpus / "holdout").glob("*.json"))[:2]}
    for name, files in folders.items():
        (tmp_path / name).mkdir()
        for f in files:
            shutil.copy(f, tmp_path / name / f.name)
    args = ["train", str(tmp_path / "train"), "--out", str(tmp_path / "m"), "--dev", str(tmp_path / "a"), "--dev", str(tmp_path / "b"), "--cv", "2", "--pair-epochs", "1", "--pair-seeds", "2"]
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "pair-encoder-2.safetensors").write_bytes(b"a third encoder of an earlier, larger ensemble")
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    from callqa.nlp import load_tagger
    from callqa.transcribe.models import sha256_file

    pair = card["hyperparameters"]["pair_encoder"]
    assert pair["epochs"] == 1 and pair["seeds"] == [0, 1] and pair["files"] == ["pair-encoder.safetensors", "pair-encoder-1.safetensors"]
    assert pair["sha256"] == [sha256_file(tmp_path / "m" / f) for f in pair["files"]] == load_tagger(str(tmp_path / "m")).pair_sha256s
    assert pair["sha256"][0] != pair["sha256"][1]  # two seeds, two encoders
    assert not (tmp_path / "m" / "pair-encoder-2.safetensors").exists()  # the earlier ensemble's extra file went
    assert set(card["metrics"]) == {"a", "b", "cross-validation"}
    assert card["metrics"]["b"]["calls"] == 2 and 0.0 <= card["metrics"]["b"]["phase_accuracy"] <= 1.0
    cv = card["metrics"]["cross-validation"]
    assert cv["folds"] == 2 and cv["calls"] == 8 and 0.0 <= cv["phase_accuracy"] <= 1.0
    lo, hi = cv["intervals_95"]["phase_accuracy"]  # bootstrap over the 8 calls
    assert lo <= cv["phase_accuracy"] <= hi and card["metrics"]["a"]["intervals_95"]
    assert card["training_data"]["calls"] == 8
    assert "cross-validation: phase accuracy" in r.output
    # retrained into the same folder without the pair encoder: its old file goes, and the tagger stands alone
    r = CliRunner().invoke(app, ["train", str(tmp_path / "train"), "--out", str(tmp_path / "m"), "--pair-epochs", "0"])
    assert r.exit_code == 0, r.output
    assert not list((tmp_path / "m").glob("pair-encoder*"))
    assert json.loads((tmp_path / "m" / "card.json").read_text())["hyperparameters"]["pair_encoder"] is None


def test_nlp_out_of_fold_tags_come_from_a_tagger_fitted_without_the_call():
    """Fold 0 (calls 0, 3, 6) is tagged exactly as by a tagger fitted on the other calls only."""
    from dataclasses import replace

    from callqa.errors import OptionError
    from callqa.nlp import asr_like, out_of_fold_tags
    from callqa.nlp.corpus import load_labelled
    from callqa.nlp.features import N_HANDMADE, turn_features

    calls = load_labelled(ROOT / "models" / "corpus" / "train")[:9]
    tagged = out_of_fold_tags(calls, folds=3, pair_epochs=0)
    assert [len(t) for t in tagged] == [len(c.turns) for c in calls]
    rest = [c for i, c in enumerate(calls) if i % 3]
    lists = [c.turns for c in rest] + [asr_like(c.turns) for c in rest]
    alone = TurnTagger(n_scaled=N_HANDMADE).fit(lists, turn_features(lists), groups=list(range(len(rest))) * 2)
    for i in (0, 3, 6):
        bare = tuple(replace(t, phase=None, acts=()) for t in calls[i].turns)
        phases, acts = alone.predict(bare, turn_features([bare])[0])
        assert [t.phase for t in tagged[i]] == phases and [t.acts for t in tagged[i]] == acts
    with pytest.raises(OptionError, match="cannot cross-validate 9 calls in 10 folds"):
        out_of_fold_tags(calls, folds=10)


@pytest.mark.parametrize("n", [6, 68, 85])
def test_nlp_stacking_keeps_a_call_and_its_asr_copy_in_one_fold(n, monkeypatch):
    """Stage 2 learns on stage 1 probabilities of calls stage 1 did not see; a call's ASR-like copy is the same
    call, so the two must share a fold (with 68 calls and folds by position, call i and copy 68+i did not)."""
    import callqa.nlp as nlp

    seen = {}
    monkeypatch.setattr(TurnTagger, "fit", lambda self, calls, features, groups=None: seen.setdefault("groups", groups))
    calls = [SimpleNamespace(turns=(Turn("agent", f"Hello, call {i}."),)) for i in range(n + 3)]
    nlp._fit(calls, [None] * (2 * len(calls)), range(n), C=0.5, act_C=0.3)
    folds = TurnTagger._stacking_folds(2 * n, seen["groups"])
    assert (folds[:n] == folds[n:]).all() and set(folds) == set(range(5))
    with pytest.raises(ValueError, match="3 entries for 4 calls"):
        TurnTagger._stacking_folds(4, [0, 1, 2])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Okay, it went through. Phew.", True),
        ("There we go, it's got the signal bars back. Says connected.", True),
        ("ja that's loads better sixty two megs", True),
        ("oh it worked it's loading my profile", True),
        ("Right, I'm back in.", True),
        ("That's done the trick!", True),
        ("I'm in London till Friday.", False),
        ("my payment didn't go through", False),
        ("it's still not working", False),
        ("better late than never", False),
    ],
)
def test_nlp_works_now_cue_hears_a_fix_taking_not_its_words_elsewhere(text, expected):
    from callqa.nlp.features import CUES, _cue_vector, normalise

    assert bool(_cue_vector(normalise(text))[list(CUES).index("works_now")]) is expected


def test_nlp_name_use_feature_sees_the_customers_name_not_the_agents_own():
    from callqa.model import Turn
    from callqa.nlp.features import _name_use, normalise

    turns = (
        Turn(speaker="agent", text="Thanks for calling, this is Aisha, who am I speaking with?"),
        Turn(speaker="customer", text="Hi Aisha, it's Daniel, my bill is wrong."),
        Turn(speaker="agent", text="Thank you Daniel, let me look at your bill."),
        Turn(speaker="agent", text="Right, Mr Holt, that's sorted."),
        Turn(speaker="agent", text="Aisha here again, hang on while I check the bill."),
    )
    f = _name_use(turns, [normalise(t.text) for t in turns])
    assert f.shape == (5, 2)
    assert f[2].tolist() == [1.0, 1.0]  # the customer's name
    assert f[3, 0] == 1.0  # a title and a name
    assert f[4].tolist() == [0.0, 0.0]  # the agent's own name, "hang", "bill": not the customer's name
    assert _name_use((), []).shape == (0, 2)


@pytest.mark.parametrize(
    "lines, expected",
    [
        # a name outside the census list, given in answer to "your name?", in recogniser text
        (["A: can i take your name and date of birth", "C: yeah it's kwame asante third of march", "A: thank you kwame one moment"], [0, 0, 1]),
        # a bare name in answer to "your name?", first name outside the census list, surname in it; a bare answer
        # that is no name ("hang on") gives none
        (["A: thanks and your name please", "C: declan moran", "A: thanks declan so looking at it", "A: anything else moran"], [0, 0, 1, 1]),
        (["A: Can I take your full name?", "C: Gareth Lloyd, twelfth of March.", "A: Thank you, Gareth."], [0, 0, 1]),
        (["A: can i take your name", "C: hang on it's on the letter", "A: hang on take your time"], [0, 0, 0]),
        # a capitalised name after a weak cue, and the agent's own name that the customer says back
        (["A: Ledgerly support, I'm Anna.", "C: Hi Anna, this is Tomasz from Brightwell.", "A: Okay Tomasz, let's look.", "A: Anna here, still checking."], [0, 0, 1, 0]),
        # "it's broken" and "I'm gutted" give no name, so the agent repeating the words is not using one
        (["A: hello you're through to support", "C: hi it's broken again and i'm gutted", "A: sorry it's broken again i'd be gutted too"], [0, 0, 0]),
        # the surname the customer gives; a title and a name said to the customer, not one said about someone else
        (["A: Can I have the lead passenger's surname?", "C: It's Okafor.", "A: Thanks, Mrs Okafor.", "A: Yes, Mr Adeyemi does the knee clinics."], [0, 0, 1, 0]),
        (["A: Marlow Building Society, who have I got?", "C: it's mr arthur bell i'm locked out", "A: oh don't worry mr bell"], [0, 0, 1]),
        # a name the agent reads off the account, said to the customer, in typed and in recogniser text
        (["A: Hi, this is Jamal.", "C: I need to cancel.", "A: Thanks. Best of luck in Portland, Sofia.", "A: thanks jasmine i've started the claim"], [0, 0, 1, 1]),
        # a first name said about someone else
        (["A: Hi, this is Jamal.", "C: My bill's wrong.", "A: I'll pass this to Daniel in billing.", "A: Our engineer is Daniel."], [0, 0, 0, 0]),
        # a transcript redacted before scoring: a name placeholder, but not in the agent's own introduction
        (["A: Hello, this is [NAME], how can I help?", "C: Hi, it's [NAME], my card's blocked.", "A: Thanks, [NAME], let's look."], [0, 0, 1]),
        # an outbound call: the opening asks for the customer by name, and that name is theirs, not the agent's
        (["A: hi could i speak to mrs delaney please", "C: speaking", "A: thank you mrs delaney it's sophie from the hotel"], [1, 0, 1]),
        (["A: Hello, am I speaking to Mr Daniel Frost?", "C: Yes.", "A: Great, Daniel, it's Sam from Shieldwell."], [1, 0, 1]),
        (["A: Could I speak to whoever handles the accounts?", "C: That's me.", "A: Great, it handles the invoices."], [0, 0, 0]),
        (["A: hi is that steve calling about the boiler", "C: yeah", "A: thanks for calling steve", "A: thanks for calling"], [1, 0, 1, 0]),
        # an inbound opening that greets no one by name still gives the agent's own name
        (["A: Hi, you're through to Nettle, this is Tom.", "C: Hi Tom.", "A: Thanks, Tom is fine."], [0, 0, 0]),
        # the customer saying the name is not the act
        (["A: Hi, this is Sam.", "C: Hi Sam, my name's Priya, Priya Shah.", "C: Priya, yes."], [0, 0, 0]),
    ],
)
def test_nlp_personal_name_rule_finds_the_name_the_customer_gave(lines, expected):
    from callqa.lexicon import says_customer_name

    speakers = ["agent" if line[0] == "A" else "customer" for line in lines]
    assert says_customer_name([line[3:] for line in lines], speakers) == [bool(e) for e in expected]


def test_nlp_tagger_reads_personal_name_by_rule(small_tagger, monkeypatch):
    """Whatever the classifiers say, personal_name is the agent turns that say the customer's name."""
    from callqa.nlp.features import turn_features

    tagger = small_tagger[0]
    turns = (
        Turn("agent", "Thanks for calling Brightline, this is Aisha."),
        Turn("customer", "Hi, it's Gareth Evans, I've got no signal at home."),
        Turn("agent", "Sorry to hear that, Gareth. Let me check the mast near you."),
        Turn("agent", "Right, I've sent a settings refresh to your phone."),
    )
    X = turn_features([turns])[0]
    monkeypatch.setattr(tagger, "pair_weight_", 1.0, raising=False)
    for p in (0.0, 1.0):  # an encoder sure of no act, then of every act
        acts = tagger.predict_acts(turns, X, np.full((len(turns), len(ACTS)), p))
        assert ["personal_name" in a for a in acts] == [False, False, True, False]


def _toy_calls(n_calls: int):
    """Calls of four turns: a greeting, a question, a missed escalation and a correct one (phases off by one)."""
    gold_p, pred_p, gold_a, pred_a = [], [], [], []
    for _ in range(n_calls):
        gold_p += ["greeting", "discovery", "resolution", "closing"]
        pred_p += ["greeting", "discovery", "discovery", "closing"]
        gold_a += [("greeting",), ("question",), ("escalation",), ("escalation", "farewell")]
        pred_a += [("greeting",), ("question",), (), ("escalation", "farewell")]
    return gold_p, pred_p, gold_a, pred_a


def test_nlp_report_intervals_resample_whole_calls():
    """Copies of one call: every resample of calls has the same proportions, so each interval is its point; a
    resample of turns would not be."""
    from callqa.nlp.metrics import tagging_report

    gp, pp, ga, pa = _toy_calls(6)
    r = tagging_report(gp, pp, ga, pa, 6, [4] * 6)
    assert r.phase_accuracy == 0.75
    assert r.intervals["phase_accuracy"] == pytest.approx((0.75, 0.75))
    assert r.intervals["act:escalation"] == pytest.approx((2 / 3, 2 / 3))
    assert "act:offer" not in r.intervals  # in no call, labelled or predicted: no F1 to bound
    assert "[0.750, 0.750]" in r.format() and r.as_dict()["intervals"]["phase_accuracy"] == [0.75, 0.75]
    assert tagging_report(gp, pp, ga, pa, 6).intervals == {}  # without call sizes, no intervals


def test_nlp_report_intervals_widen_with_calls_that_differ_and_skip_resamples_without_the_label():
    from callqa.nlp.metrics import tagging_report

    gp, pp, ga, pa = _toy_calls(8)
    # call 0 is perfect; escalation appears only in calls 0 and 1, where it is found
    pp[2] = "resolution"
    pa[2] = pa[6] = ("escalation",)
    for i in range(2, 8):
        ga[4 * i + 2] = ga[4 * i + 3] = pa[4 * i + 3] = ()
    r = tagging_report(gp, pp, ga, pa, 8, [4] * 8)
    lo, hi = r.intervals["phase_accuracy"]
    assert lo < r.phase_accuracy < hi and 0.0 <= lo and hi <= 1.0
    assert r.intervals["act:escalation"] == pytest.approx((1.0, 1.0))  # not 0 from resamples without it
    assert tagging_report(gp, pp, ga, pa, 8, [4] * 8).intervals == r.intervals  # fixed seed
    with pytest.raises(ValueError, match="sum to 31 for 32 turns"):
        tagging_report(gp, pp, ga, pa, 8, [4] * 7 + [3])


# -- the pair encoder -------------------------------------------------------------------------------------------
FIXES = ["I've reset your router, it should work now.", "Done, the refund is on its way to your card.", "That's sorted, your account is unlocked.",
         "Right, I've cancelled the duplicate payment.", "All fixed, the charge has been removed.", "I've rebooked you on the nine o'clock train."]
HOLDS = ["Could you hold while I check with a colleague?", "Can you read me the number on the back of the box?", "Let me just look that up, one moment.",
         "Which address was the parcel going to?", "Could you try turning it off and on again?", "Is that the email address on the account?"]
REPLIES = ["okay", "right, okay then", "alright", "okay, great"]


def _pair_calls():
    """Calls where the customer's same short reply confirms the outcome after a fix and nothing after a question:
    only the turn before tells them apart."""
    calls = []
    for i in range(len(FIXES) * len(REPLIES)):
        fix, hold, reply = FIXES[i % len(FIXES)], HOLDS[i % len(HOLDS)], REPLIES[i % len(REPLIES)]
        first = (Turn("agent", hold, acts=("question",)), Turn("customer", reply, acts=()))
        second = (Turn("agent", fix, acts=("resolution_statement",)), Turn("customer", reply, acts=("resolution_confirmed",)))
        calls.append(first + second if i % 2 else second + first)
    return calls


@pytest.fixture(scope="module")
def pair_encoder():
    from callqa.nlp.pair_encoder import PairEncoder

    return PairEncoder(epochs=15, lr=2e-4).fit(_pair_calls())


def test_nlp_pair_encoder_reads_the_turn_before(pair_encoder):
    """"okay" after a fix it has not seen is a confirmation; after a question it has not seen, it is not."""
    j = ACTS.index("resolution_confirmed")
    after_fix = [(Turn("agent", "Okay, I've switched the card back on for you."), Turn("customer", "okay")),
                 (Turn("agent", "Great news, the engineer fixed the fault this morning."), Turn("customer", "alright"))]
    after_question = [(Turn("agent", "Could you spell your surname for me?"), Turn("customer", "okay")),
                      (Turn("agent", "What's the postcode there?"), Turn("customer", "alright"))]
    probs = pair_encoder.predict_proba(after_fix + after_question)
    assert [p[1, j] > 0.5 for p in probs] == [True, True, False, False]
    assert probs[0].shape == (2, len(ACTS)) and pair_encoder.predict_proba([]) == []


def test_nlp_pair_encoder_predicts_with_its_int8_copy_on_every_machine(pair_encoder, tmp_path, monkeypatch):
    """The tagger's thresholds are chosen on the int8 copy's probabilities, so a machine with a GPU loads the encoder
    and predicts through the same CPU copy, not through the float32 network on the GPU."""
    import torch

    from callqa.nlp.pair_encoder import PairEncoder

    turns = _pair_calls()[:3]
    sha = pair_encoder.save(tmp_path / "enc.safetensors")
    on_cpu = PairEncoder.load(tmp_path / "enc.safetensors", sha).predict_proba(turns)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    loaded = PairEncoder.load(tmp_path / "enc.safetensors", sha)
    with_gpu = loaded.predict_proba(turns)
    assert all(np.array_equal(a, b) for a, b in zip(on_cpu, with_gpu))
    assert isinstance(loaded._inference_net().head, torch.ao.nn.quantized.dynamic.Linear)


def test_nlp_pair_encoder_file_loads_only_with_its_sha256(pair_encoder, tmp_path, capfd):
    from safetensors.torch import load_file, save_file
    from transformers.utils import logging as hf_logging

    from callqa.errors import ModelError
    from callqa.nlp.pair_encoder import PairEncoder

    turns = _pair_calls()[:3]
    sha = pair_encoder.save(tmp_path / "enc.safetensors")
    bars = hf_logging.is_progress_bar_enabled()
    capfd.readouterr()
    loaded = PairEncoder.load(tmp_path / "enc.safetensors", sha)
    # built quietly (no "Loading weights" bar in a batch log), and the caller's progress-bar setting is kept
    assert "Loading weights" not in capfd.readouterr().err and hf_logging.is_progress_bar_enabled() == bars
    assert loaded.epochs == 15 and loaded.lr == 2e-4
    # stored in float16: the float32 networks agree to about 1e-4 (3e-5 measured). Compared in float32, since the
    # int8 copies of two networks this close differ by the CPU's int8 kernels (0.025 on an AVX-512 VNNI CPU)
    for a, b in zip(pair_encoder.predict_proba(turns, int8=False), loaded.predict_proba(turns, int8=False)):
        assert np.abs(a - b).max() < 1e-3
    with pytest.raises(ModelError, match="enc.safetensors: sha256 does not match"):
        PairEncoder.load(tmp_path / "enc.safetensors", "0" * 64)
    with pytest.raises(ModelError, match="missing.safetensors: the tagger was trained with a pair encoder"):
        PairEncoder.load(tmp_path / "missing.safetensors", sha)
    tensors = load_file(tmp_path / "enc.safetensors")
    tensors.pop("head.bias")
    save_file(tensors, tmp_path / "short.safetensors", metadata={"acts": ",".join(ACTS)})
    with pytest.raises(ModelError, match="missing \\['head.bias'\\]"):
        PairEncoder.load(tmp_path / "short.safetensors", sha256_of(tmp_path / "short.safetensors"))
    save_file(load_file(tmp_path / "enc.safetensors"), tmp_path / "acts.safetensors", metadata={"acts": "greeting,farewell"})
    with pytest.raises(ModelError, match="written for other acts"):
        PairEncoder.load(tmp_path / "acts.safetensors", sha256_of(tmp_path / "acts.safetensors"))


PITCHES = ["While you're here, our premium plan adds free calls abroad.", "Would you like travel insurance with that booking?",
           "We could add a second card for your partner at no fee.", "Our fibre upgrade would make it twice as fast for three pounds more."]


def _phase_calls():
    """Calls where the customer's same short reply is in the resolution phase after a fix and in the offer phase
    after a pitch: only the turn before tells the phases apart."""
    calls = []
    for i in range(len(FIXES) * len(REPLIES)):
        fix, pitch, reply = FIXES[i % len(FIXES)], PITCHES[i % len(PITCHES)], REPLIES[i % len(REPLIES)]
        calls.append((Turn("agent", fix, phase="resolution", acts=("resolution_statement",)), Turn("customer", reply, phase="resolution", acts=("resolution_confirmed",)),
                      Turn("agent", pitch, phase="offer", acts=("offer",)), Turn("customer", reply, phase="offer", acts=("offer_accept",))))
    return calls


def test_nlp_pair_encoder_phase_head_reads_the_turn_before(pair_encoder, tmp_path):
    from callqa.nlp.pair_encoder import PairEncoder

    encoder = PairEncoder(epochs=12, lr=2e-4, phases=True).fit(_phase_calls())
    unseen = [(Turn("agent", "Good news, I've put the credit on your account."), Turn("customer", "okay")),
              (Turn("agent", "Can I interest you in our home insurance while you're on?"), Turn("customer", "okay"))]
    (acts, phases), (_, phases2) = encoder.predict(unseen)
    assert acts.shape == (2, len(ACTS)) and phases.shape == (2, len(PHASES)) and np.allclose(phases.sum(axis=1), 1.0)
    assert PHASES[int(phases[1].argmax())] == "resolution" and PHASES[int(phases2[1].argmax())] == "offer"
    # the head is saved and loaded with the file; an encoder fitted for acts alone has none
    loaded = PairEncoder.load(tmp_path / "p.safetensors", encoder.save(tmp_path / "p.safetensors"))
    assert loaded.has_phases and loaded.phases and loaded.lr == 2e-4
    # stored in float16: the head's weights to that precision, and the replies' phases with them
    import torch

    assert torch.equal(loaded.net.phase_head.weight, encoder.net.phase_head.weight.half().float())
    again = loaded.predict(unseen)
    assert [PHASES[int(p[1].argmax())] for _, p in again] == ["resolution", "offer"]
    assert not pair_encoder.has_phases and all(p is None for _, p in pair_encoder.predict(unseen))
    # the head changes nothing in the act model: the same acts, to the bit, as an encoder fitted without it
    plain = PairEncoder(epochs=2, lr=2e-4).fit(_phase_calls()[:6])
    headed = PairEncoder(epochs=2, lr=2e-4, phases=True).fit(_phase_calls()[:6])
    names = [n for n in plain.net.state_dict() if PairEncoder._trained(n)]
    assert all(torch.equal(plain.net.state_dict()[n], headed.net.state_dict()[n]) for n in names)
    with pytest.raises(ValueError, match="needs every turn's phase; found \\['None'\\]"):
        PairEncoder(epochs=1, phases=True).fit(_pair_calls()[:2])


def test_nlp_pair_ensemble_is_the_mean_of_its_encoders_each_checked_by_sha256(pair_encoder, tmp_path):
    from callqa.errors import ModelError
    from callqa.nlp.pair_encoder import PairEncoder, PairEnsemble, member_file

    other = PairEncoder(epochs=2, lr=2e-4, seed=1).fit(_pair_calls()[:8])
    shas = [pair_encoder.save(tmp_path / member_file(0)), other.save(tmp_path / member_file(1))]
    assert member_file(0) == "pair-encoder.safetensors" and member_file(1) == "pair-encoder-1.safetensors"
    turns = _pair_calls()[:3]
    ensemble = PairEnsemble.load(tmp_path, shas)
    singles = [PairEncoder.load(tmp_path / member_file(k), sha).predict(turns) for k, sha in enumerate(shas)]
    got = ensemble.predict(turns)
    assert len(got) == 3 and not ensemble.has_phases
    for c, (acts, phases) in enumerate(got):
        assert phases is None and np.allclose(acts, (singles[0][c][0] + singles[1][c][0]) / 2)
        assert not np.allclose(acts, singles[0][c][0])  # the second seed's encoder counts
    assert all(np.array_equal(a, b) for (a, _), b in zip(got, ensemble.predict_proba(turns)))
    with pytest.raises(ModelError, match="pair-encoder-1.safetensors: sha256 does not match"):
        PairEnsemble.load(tmp_path, [shas[0], shas[0]])
    with pytest.raises(ModelError, match="pair-encoder-2.safetensors: the tagger was trained with a pair encoder"):
        PairEnsemble.load(tmp_path, shas + [shas[1]])
    headed = PairEncoder(epochs=1, lr=2e-4, phases=True).fit(_phase_calls()[:2])
    with pytest.raises(ValueError, match="a phase head, or none"):
        PairEnsemble([pair_encoder, headed])
    # with phase heads, the phase probabilities are averaged too
    headed2 = PairEncoder(epochs=1, lr=2e-4, phases=True, seed=1).fit(_phase_calls()[2:4])
    both = PairEnsemble([headed, headed2])
    assert both.has_phases
    for (acts, phases), (a1, p1), (a2, p2) in zip(both.predict(turns), headed.predict(turns), headed2.predict(turns)):
        assert np.allclose(acts, (a1 + a2) / 2) and np.allclose(phases, (p1 + p2) / 2) and not np.allclose(phases, p1)


def test_nlp_pair_encoder_file_for_other_phases_is_refused(pair_encoder, tmp_path):
    from safetensors.torch import load_file, save_file

    from callqa.errors import ModelError
    from callqa.nlp.pair_encoder import PairEncoder

    pair_encoder.save(tmp_path / "enc.safetensors")
    save_file(load_file(tmp_path / "enc.safetensors"), tmp_path / "ph.safetensors", metadata={"acts": ",".join(ACTS), "phases": "greeting,closing"})
    with pytest.raises(ModelError, match="written for other phases"):
        PairEncoder.load(tmp_path / "ph.safetensors", sha256_of(tmp_path / "ph.safetensors"))


def sha256_of(path):
    from callqa.transcribe.models import sha256_file

    return sha256_file(path)


@pytest.fixture(scope="module")
def small_tagger():
    """A tagger fitted on six training calls, the first call's turns unlabelled and their features."""
    from callqa.nlp import asr_like
    from callqa.nlp.corpus import load_labelled
    from callqa.nlp.features import N_HANDMADE, turn_features

    calls = load_labelled(ROOT / "models" / "corpus" / "train")[:6]
    lists = [c.turns for c in calls] + [asr_like(c.turns) for c in calls]
    tagger = TurnTagger(n_scaled=N_HANDMADE).fit(lists, turn_features(lists), groups=list(range(6)) * 2)
    turns = tuple(Turn(t.speaker, t.text) for t in calls[0].turns)
    return tagger, turns, turn_features([turns])[0]


def test_nlp_tagger_averages_its_act_probabilities_with_the_pair_encoders(small_tagger, monkeypatch):
    tagger, turns, X = small_tagger
    alone = tagger.act_probabilities(turns, X)
    pair = np.full(alone.shape, 0.9)
    assert tagger.pair_weight == 0.0 and np.allclose(tagger.act_probabilities(turns, X, pair), alone)
    monkeypatch.setattr(tagger, "pair_weight_", 0.5, raising=False)
    mixed = tagger.act_probabilities(turns, X, pair)
    from callqa.nlp.tagger import AGENT_ONLY, CUSTOMER_ONLY

    # acts the speaker cannot have stay at 0; personal_name is read by rule, not averaged
    masked = np.array([[a in (AGENT_ONLY if t.speaker == "customer" else CUSTOMER_ONLY) for a in ACTS] for t in turns])
    learned = ~masked
    learned[:, ACTS.index("personal_name")] = False
    assert np.allclose(mixed[learned], 0.5 * alone[learned] + 0.45) and (mixed[masked] == 0).all()
    with pytest.raises(ValueError, match="pair encoder probabilities have shape"):
        tagger.act_probabilities(turns, X, pair[:1])


def test_nlp_tagger_averages_its_phase_posteriors_with_the_pair_encoders_before_decoding(small_tagger, monkeypatch):
    tagger, turns, X = small_tagger
    alone = tagger.phase_probabilities(turns, X)
    assert alone.shape == (len(turns), len(PHASES)) and np.allclose(alone.sum(axis=1), 1.0)
    # the encoder is sure every turn is 'offer'
    sure = np.zeros(alone.shape)
    sure[:, PHASES.index("offer")] = 1.0
    assert tagger.pair_phase_weight == 0.0 and np.allclose(tagger.phase_probabilities(turns, X, sure), alone)
    assert tagger.predict_phases(turns, X, sure) == tagger.predict_phases(turns, X)
    monkeypatch.setattr(tagger, "pair_phase_weight_", 0.5, raising=False)
    assert np.allclose(tagger.phase_probabilities(turns, X, sure), 0.5 * alone + 0.5 * sure)
    monkeypatch.setattr(tagger, "pair_phase_weight_", 1.0)
    assert tagger.predict_phases(turns, X, sure) == ["offer"] * len(turns)
    with pytest.raises(ValueError, match="pair encoder phase probabilities have shape"):
        tagger.phase_probabilities(turns, X, sure[:1])


def test_nlp_train_that_fails_leaves_the_earlier_model_whole(tmp_path, monkeypatch):
    """The tagger and its pair encoder are written side by side; a failure while writing keeps the old pair."""
    import shutil

    import skops.io as sio

    from callqa.nlp import train

    (tmp_path / "calls").mkdir()
    for f in sorted((ROOT / "models" / "corpus" / "train").glob("*.json"))[:5]:
        shutil.copy(f, tmp_path / "calls" / f.name)
    out = tmp_path / "m"
    train(tmp_path / "calls", out, pair_epochs=1)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "card.json"}
    assert set(before) == {"tagger.skops", "pair-encoder.safetensors"}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(sio, "dump", broken)
    with pytest.raises(OSError, match="disk full"):
        train(tmp_path / "calls", out, pair_epochs=2)  # another encoder than the one on disk
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != "card.json"} == before


def _calls_with(act: str, gold: list[bool]):
    """One labelled call per turn flag: a customer turn with ``act`` when the flag is set."""
    from callqa.nlp.corpus import LabelledCall

    return [LabelledCall(call_id=f"c{i}", turns=(Turn("customer", "okay", phase="resolution", acts=(act,) if g else ()),), labels={}, meta={}) for i, g in enumerate(gold)]


def test_nlp_thresholds_move_where_out_of_fold_f1_peaks_and_stay_for_rare_acts():
    from callqa.nlp import MIN_POSITIVES, choose_thresholds

    j = ACTS.index("resolution_confirmed")
    rng = np.random.default_rng(0)
    # 60 true turns scored 0.55-0.95, 140 false ones 0.05-0.62: at 0.5 many false ones pass, at 0.65 none do
    gold = [True] * 60 + [False] * 140
    p = np.concatenate([rng.uniform(0.55, 0.95, 60), rng.uniform(0.05, 0.62, 140)])
    calls = _calls_with("resolution_confirmed", gold)
    probs = []
    for i, g in enumerate(gold):
        P = np.zeros((1, len(ACTS)))
        P[0, j] = p[i]
        P[0, ACTS.index("personal_name")] = 0.9  # read by rule: never tuned
        P[0, ACTS.index("wow")] = p[i]  # never labelled here, fewer than MIN_POSITIVES examples
        probs.append((["resolution"], P))
    t = choose_thresholds(calls, probs)
    assert 0.6 <= t[j] <= 0.65
    assert t[ACTS.index("personal_name")] == 0.5 and t[ACTS.index("wow")] == 0.5
    # with too few examples the same act keeps the default
    few = _calls_with("resolution_confirmed", [True] * (MIN_POSITIVES - 1) + [False] * 140)
    assert choose_thresholds(few, probs[: MIN_POSITIVES - 1] + probs[60:])[j] == 0.5


def test_nlp_thresholds_stay_at_the_default_when_moving_gains_no_more_than_the_margin():
    from callqa.nlp import choose_thresholds

    j = ACTS.index("thanks")
    # perfectly separated at every threshold from 0.2 to 0.8: F1 is 1.0 everywhere, so the default is kept
    gold = [True] * 40 + [False] * 40
    probs = [(["closing"], np.eye(1, len(ACTS), j) * (0.9 if g else 0.1)) for g in gold]
    assert choose_thresholds(_calls_with("thanks", gold), probs)[j] == 0.5


def test_nlp_tagger_tags_acts_at_its_own_thresholds(small_tagger, monkeypatch):
    tagger, turns, X = small_tagger
    P = tagger.act_probabilities(turns, X)
    assert np.array_equal(tagger.act_thresholds, np.full(len(ACTS), 0.5))
    assert tagger.predict_acts(turns, X) == acts_at(P, tagger.act_thresholds)
    j = ACTS.index("question")
    found = [i for i in range(len(turns)) if P[i, j] >= 0.5]
    assert found, "the fixture call should hold a question"
    raised = np.full(len(ACTS), 0.5)
    raised[j] = 1.01  # no probability reaches it
    monkeypatch.setattr(tagger, "act_thresholds_", raised, raising=False)
    acts = tagger.predict_acts(turns, X)
    assert not any("question" in a for a in acts)
    assert [tuple(x for x in a if x != "question") for a in acts_at(P, np.full(len(ACTS), 0.5))] == acts


def test_nlp_measure_tunes_thresholds_into_the_model_and_refuses_other_training_calls(tmp_path):
    """`callqa measure` re-measures a trained model without refitting it; with --tune-thresholds its act thresholds
    are chosen out of fold and saved in the model file, and figures measured at the old thresholds are dropped."""
    import shutil

    from typer.testing import CliRunner

    from callqa.cli import app
    from callqa.errors import ModelError, OptionError
    from callqa.nlp import load_tagger, measure, train

    corpus = ROOT / "models" / "corpus"
    for name, files in {"train": sorted((corpus / "train").glob("*.json"))[:8], "dev": sorted((corpus / "dev").glob("*.json"))[:2]}.items():
        (tmp_path / name).mkdir()
        for f in files:
            shutil.copy(f, tmp_path / name / f.name)
    m = tmp_path / "m"
    r = CliRunner().invoke(app, ["train", str(tmp_path / "train"), "--out", str(m), "--dev", str(tmp_path / "dev"), "--pair-epochs", "0"])
    assert r.exit_code == 0, r.output
    first = json.loads((m / "card.json").read_text())
    assert first["hyperparameters"]["act_thresholds"] is None and set(first["metrics"]) == {"dev"}
    with pytest.raises(OptionError, match="needs out-of-fold probabilities"):
        measure(m, tmp_path / "train", tune_thresholds=True)

    r = CliRunner().invoke(app, ["measure", str(m), str(tmp_path / "train"), "--cv", "2", "--tune-thresholds"])
    assert r.exit_code == 0, r.output
    card = json.loads((m / "card.json").read_text())
    chosen = card["hyperparameters"]["act_thresholds"]
    assert list(chosen) == list(ACTS) and all(0.2 <= t <= 0.8 for t in chosen.values())
    load_tagger.cache_clear()
    assert np.allclose(load_tagger(str(m)).act_thresholds, [chosen[a] for a in ACTS])
    assert set(card["metrics"]) == {"cross-validation"}  # the dev figures were measured at the old thresholds
    cv = card["metrics"]["cross-validation"]
    assert cv["calls"] == 8 and set(cv["acts_f1_before_tuning"]) == set(ACTS) and "flatters" in cv["note"]
    assert card["trained_at"] == first["trained_at"] and card["training_data"] == first["training_data"]

    # measured again on a held-out folder only: the cross-validation is kept, the thresholds too
    measure(m, tmp_path / "train", dev_dirs=[tmp_path / "dev"])
    again = json.loads((m / "card.json").read_text())
    assert set(again["metrics"]) == {"cross-validation", "dev"} and again["hyperparameters"]["act_thresholds"] == chosen

    # a bad held-out folder is refused, naming it, before anything is fitted or written
    from callqa.errors import InputError

    before = {p.name: p.read_bytes() for p in m.iterdir()}
    with pytest.raises(InputError, match="missing: not a folder of labelled calls"):
        measure(m, tmp_path / "train", dev_dirs=[tmp_path / "missing"], cv_folds=2, tune_thresholds=True)
    with pytest.raises(InputError, match="missing: not a folder of labelled calls"):
        train(tmp_path / "train", m, dev_dirs=[tmp_path / "missing"], pair_epochs=0)
    assert {p.name: p.read_bytes() for p in m.iterdir()} == before

    # another folder of training calls is refused, naming the card, and the card is left as it was
    (tmp_path / "train" / sorted(p.name for p in (tmp_path / "train").iterdir())[0]).unlink()
    before = (m / "card.json").read_bytes()
    with pytest.raises(ModelError, match="card.json: the model was trained on calls with sha256"):
        measure(m, tmp_path / "train", cv_folds=2)
    assert (m / "card.json").read_bytes() == before
