import pytest

from callqa.evaluation import diarization_error_rate, normalize_text, word_error_rate


def test_evaluation_wer_counts_edits_after_normalising():
    assert word_error_rate("Okay, so I'm here.", "okay so i'm here") == 0.0
    assert word_error_rate("a b c d", "a x c") == pytest.approx(0.5)  # one substitution, one deletion
    assert word_error_rate("a b", "a b c d") == pytest.approx(1.0)  # two insertions
    assert normalize_text("Twenty-two 4 U") == ["twenty", "two", "four", "u"]


def test_evaluation_der_perfect_swapped_labels_is_zero():
    ref = [(0, 2, "A"), (2, 4, "B")]
    hyp = [(0, 2, "x"), (2, 4, "y")]
    assert diarization_error_rate(ref, hyp)["der"] == pytest.approx(0.0, abs=1e-9)


def test_evaluation_der_counts_miss_false_alarm_and_confusion():
    ref = [(0, 4, "A"), (4, 8, "B")]
    # 1 s of A missed, 1 s of B given to A's speaker, 2 s false alarm after the end
    hyp = [(1, 5, "x"), (5, 8, "y"), (8, 10, "y")]
    r = diarization_error_rate(ref, hyp)
    assert r["missed"] == pytest.approx(1.0, abs=0.02)
    assert r["confusion"] == pytest.approx(1.0, abs=0.02)
    assert r["false_alarm"] == pytest.approx(2.0, abs=0.02)
    assert r["der"] == pytest.approx(4.0 / 8.0, abs=0.01)


def test_evaluation_der_overlap_counts_both_speakers():
    ref = [(0, 2, "A"), (1, 2, "B")]
    hyp = [(0, 2, "x")]
    r = diarization_error_rate(ref, hyp)
    assert r["reference_speech"] == pytest.approx(3.0, abs=0.02)
    assert r["missed"] == pytest.approx(1.0, abs=0.02)
