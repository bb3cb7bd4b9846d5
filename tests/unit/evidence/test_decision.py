"""The decision model: features that track the wording of evidence, training, save/load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from biomedfm.cli.main import app
from biomedfm.evidence.agents.team import EvidenceTeam
from biomedfm.evidence.decision import (
    FEATURE_NAMES,
    LABELS,
    DecisionModel,
    decision_features,
    shipped_decision_model,
)
from biomedfm.evidence.decision_train import context_sentences, read_pubmedqa

POSITIVE = [
    "We enrolled 200 adults in a randomized trial.",
    "Drug A significantly reduced pain compared with placebo (p < 0.001).",
]
NEGATIVE = [
    "We enrolled 200 adults in a randomized trial.",
    "There was no significant difference in pain between drug A and placebo (p = 0.45).",
]


def _features(question: str, sentences: list[str]) -> dict[str, float]:
    vectors = np.eye(len(sentences), 384, dtype=np.float32)
    stances = np.tile([0.1, 0.8, 0.1], (len(sentences), 1))
    values = decision_features(
        question, sentences, vectors, np.full(384, 0.05, np.float32), stances
    )
    return dict(zip(FEATURE_NAMES, values, strict=True))


def test_features_follow_the_wording_of_the_results() -> None:
    positive = _features("Does drug A reduce pain?", POSITIVE)
    negative = _features("Does drug A reduce pain?", NEGATIVE)
    assert len(positive) == len(FEATURE_NAMES)
    assert positive["p_below_05:in_last_sentence"] > 0
    assert negative["p_below_05:in_last_sentence"] == 0
    assert negative["p_above_05:in_last_sentence"] > 0
    assert negative["no_significance:log_count"] > positive["no_significance:log_count"]
    assert _features("Is surgery not needed?", POSITIVE)["q_negated"] == 1
    assert negative["reader:max_contradicts"] == pytest.approx(0.8)
    assert negative["reader:log_relevant"] == pytest.approx(np.log1p(2))
    empty = decision_features("q?", [], np.zeros((0, 384)), np.zeros(384), np.zeros((0, 3)))
    assert not empty.any()


def test_shipped_model_loads_and_gives_probabilities(tmp_path: Path) -> None:
    model = shipped_decision_model()
    assert model is not None
    assert model.metadata["cv"]["accuracy"] > model.metadata["cv"]["majority_accuracy"]
    features = np.vstack(
        [
            decision_features(
                "Does drug A reduce pain?", s, np.eye(2, 384), np.full(384, 0.05), stances
            )
            for s, stances in (
                (POSITIVE, np.array([[0.1, 0.1, 0.8], [0.9, 0.05, 0.05]])),
                (NEGATIVE, np.array([[0.1, 0.1, 0.8], [0.05, 0.9, 0.05]])),
            )
        ]
    )
    p = model.probabilities(features)
    assert p.shape == (2, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    # the model learned that "no significant difference, p = 0.45" speaks against "yes"
    assert p[1, LABELS.index("yes")] < p[0, LABELS.index("yes")]
    model.save(tmp_path / "copy")
    again = DecisionModel.load(tmp_path / "copy")
    np.testing.assert_allclose(again.probabilities(features), p, rtol=1e-5)
    config = json.loads((tmp_path / "copy" / "config.json").read_text())
    config["features"] = config["features"][:-1]
    (tmp_path / "copy" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="retrain"):
        DecisionModel.load(tmp_path / "copy")


def test_team_decides_with_the_model_and_says_so() -> None:
    chain, _ = EvidenceTeam.from_contexts(NEGATIVE).answer("Does drug A reduce pain?")
    assert chain.decision.value in LABELS
    assert "decision model p=" in chain.summary
    rule, _ = EvidenceTeam.from_contexts(NEGATIVE, decision_model=None).answer(
        "Does drug A reduce pain?"
    )
    assert "stance balance" in rule.summary
    stances = {c.stance.value for c in rule.claims[0].citations}
    needed = {"yes": "supports", "no": "contradicts"}.get(rule.decision.value)
    assert needed is None or needed in stances  # the decision agrees with the quotes shown


def _pubmedqa_file(path: Path, n: int = 30) -> Path:
    records = {}
    for i in range(n):
        label = LABELS[i % 3]
        result = {
            "yes": f"Treatment {i} significantly improved outcome {i} (p < 0.01).",
            "no": f"Treatment {i} showed no significant difference in outcome {i} (p = 0.6).",
            "maybe": f"Treatment {i} may improve outcome {i}, but the trend was borderline.",
        }[label]
        records[str(i)] = {
            "question": f"Does treatment {i} improve outcome {i}?",
            "contexts": [f"We studied {50 + i} patients.", result],
            "final_decision": label,
        }
    path.write_text(json.dumps(records))
    return path


@pytest.mark.slow
def test_train_decision_cli_learns_a_separable_toy_set(tmp_path: Path) -> None:
    data = _pubmedqa_file(tmp_path / "toy.json")
    out = tmp_path / "model"
    result = CliRunner().invoke(
        app, ["evidence", "train-decision", "-i", str(data), "-o", str(out), "--repeats", "1"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["n"] == 30
    assert report["accuracy"] >= 0.9
    assert DecisionModel.load(out).metadata["cv"]["accuracy"] == report["accuracy"]


def test_reading_training_data_names_bad_records(tmp_path: Path) -> None:
    from biomedfm.errors import InputError

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"7": {"question": "Q?", "contexts": ["x."], "final_decision": "?"}}))
    with pytest.raises(InputError, match="record 7"):
        read_pubmedqa(bad)
    assert context_sentences(["One. ", "Two p < 0.05 here."]) == ["One.", "Two p < 0.05 here."]
