"""The decision model: features that track the wording of evidence, training, save/load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from biomedfm.evidence.reader.model import EvidenceReaderModel

POSITIVE = [
    "We enrolled 200 adults in a randomized trial.",
    "Drug A significantly reduced pain compared with placebo (p < 0.001).",
]
NEGATIVE = [
    "We enrolled 200 adults in a randomized trial.",
    "There was no significant difference in pain between drug A and placebo (p = 0.45).",
]
ANSWER_YES = np.array([0.8, 0.1, 0.1])
ANSWER_NO = np.array([0.1, 0.8, 0.1])


def _features(question: str, sentences: list[str]) -> dict[str, float]:
    vectors = np.eye(len(sentences), 384, dtype=np.float32)
    stances = np.tile([0.1, 0.8, 0.1], (len(sentences), 1))
    values = decision_features(
        question, sentences, vectors, np.full(384, 0.05, np.float32), stances, ANSWER_NO
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
    assert negative["answer:p_no"] == pytest.approx(0.8)
    empty = decision_features(
        "q?", [], np.zeros((0, 384)), np.zeros(384), np.zeros((0, 3)), ANSWER_YES
    )
    assert not empty[:-3].any()
    assert empty[-3:].tolist() == [0.0, 0.0, 1.0]  # nothing read: the answer reader says maybe


def test_shipped_model_loads_and_gives_probabilities(tmp_path: Path) -> None:
    model = shipped_decision_model()
    assert model is not None
    assert model.metadata["cv"]["accuracy"] > model.metadata["cv"]["majority_accuracy"]
    features = np.vstack(
        [
            decision_features(
                "Does drug A reduce pain?", s, np.eye(2, 384), np.full(384, 0.05), stances, answer
            )
            for s, stances, answer in (
                (POSITIVE, np.array([[0.1, 0.1, 0.8], [0.9, 0.05, 0.05]]), ANSWER_YES),
                (NEGATIVE, np.array([[0.1, 0.1, 0.8], [0.05, 0.9, 0.05]]), ANSWER_NO),
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
    chain, trace = EvidenceTeam.from_contexts(NEGATIVE).answer("Does drug A reduce pain?")
    assert chain.decision.value in LABELS
    assert "decision model p=" in chain.summary
    assert "the answer reader read the study's results as yes" in chain.summary
    synthesizer = next(step for step in trace.steps if step.agent == "synthesizer")
    assert "answer reader on context's last passage: yes" in synthesizer.summary
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
            "long_answer": result,
            "final_decision": label,
        }
    path.write_text(json.dumps(records))
    return path


def _cross_fit(directory: Path, data: Path) -> Path:
    """An answer reader's cross-fit file, as `train-answer` writes it: noisy but informative."""
    records = json.loads(data.read_text())
    rng = np.random.default_rng(0)
    probabilities = {}
    for key, record in records.items():
        p = rng.dirichlet([1.0, 1.0, 1.0]) * 0.5
        p[LABELS.index(record["final_decision"])] += 0.5
        probabilities[key] = p.tolist()
    directory.mkdir()
    (directory / "cross_fit.json").write_text(
        json.dumps({"labels": list(LABELS), "probabilities": probabilities})
    )
    return directory


@pytest.mark.slow
def test_train_decision_cli_learns_a_separable_toy_set(tmp_path: Path) -> None:
    data = _pubmedqa_file(tmp_path / "toy.json")
    out = tmp_path / "model"
    answer = _cross_fit(tmp_path / "answer", data)
    command = ["evidence", "train-decision", "-i", str(data), "-o", str(out), "--repeats", "1"]
    missing = CliRunner().invoke(app, [*command, "--answer-reader", str(tmp_path)])
    assert missing.exit_code == 2
    assert "train-answer" in missing.output
    result = CliRunner().invoke(app, [*command, "--answer-reader", str(answer)])
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


def test_the_answer_passage_is_the_end_of_the_study() -> None:
    from biomedfm.evidence.reader.answer import answer_passage

    sentences = ["Methods were these.", "Results " + "x" * 50 + ".", "Last result."]
    assert answer_passage(sentences, chars=80) == " ".join(sentences[1:])
    assert answer_passage(sentences, chars=10) == "Last result."
    assert answer_passage(["y" * 5000]) == "y" * 5000  # the last sentence is always kept
    assert answer_passage([]) == ""


def tuned_layers(reader: EvidenceReaderModel) -> set[str]:
    """The indices of the transformer layers a reader stores (the ones it tunes)."""
    return {name.split(".")[3] for name in reader.trained_state() if ".layer." in name}


def test_length_batches_hold_every_item_once_in_batches_of_similar_length() -> None:
    import random

    from biomedfm.evidence.reader.answer import length_batches

    items = [(f"q{i}", "w " * (i * 37 % 101), i % 3) for i in range(300)]
    batches = length_batches(items, 16, random.Random(0))
    assert sorted(item for batch in batches for item in batch) == sorted(items)
    assert max(len(batch) for batch in batches) == 16
    spread = np.mean([len(b[-1][1]) - len(b[0][1]) for b in batches])
    assert spread < 40  # a random batch spans about 190 characters
    assert batches == length_batches(items, 16, random.Random(0))
    assert batches != length_batches(items, 16, random.Random(1))


def test_a_reader_refuses_more_tuned_layers_than_minilm_has() -> None:
    from biomedfm.errors import InputError
    from biomedfm.evidence.reader.model import EvidenceReaderModel, ReaderConfig

    reader = EvidenceReaderModel(ReaderConfig())
    with pytest.raises(InputError, match="1 to 6, not 7"):
        reader.tune_top_layers(7)
    reader.tune_top_layers(1)
    assert tuned_layers(reader) == {"5"}


def test_train_answer_cli_refuses_warm_up_settings_without_a_warm_up(tmp_path: Path) -> None:
    data = _pubmedqa_file(tmp_path / "toy.json", n=12)
    result = CliRunner().invoke(
        app,
        ["evidence", "train-answer", "-i", str(data), "-o", str(tmp_path / "answer"),
         "--warm-up-from", "abstracts"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "need --warm-up" in result.output
    assert not (tmp_path / "answer").exists()


@pytest.mark.slow
def test_train_answer_cli_cross_fits_and_saves_a_reader(tmp_path: Path) -> None:
    from biomedfm.evidence.reader.answer import read_cross_fit
    from biomedfm.evidence.reader.model import EvidenceReaderModel
    from tests.unit.evidence.test_answer_abstracts import ARTICLE
    from tests.unit.evidence.test_reader_data import write_trial_set

    data = _pubmedqa_file(tmp_path / "toy.json", n=12)
    trials = write_trial_set(tmp_path / "data" / "evidence")  # the warm-up's trials
    (trials / "articles" / "PMC7.txt").write_text(ARTICLE)  # and an abstract's conclusion
    out, folds = tmp_path / "answer", tmp_path / "folds"
    result = CliRunner().invoke(
        app,
        [
            "evidence", "train-answer", "-i", str(data), "-o", str(out), "--folds", "2",
            "--epochs", "1", "--keep-folds", str(folds), "--warm-up",
            "--warm-up-from", "trials", "--warm-up-from", "abstracts", "--warm-up-epochs", "2",
            "--data-dir", str(tmp_path / "data"), "--seed", "3", "--keep-end",
            "--trained-layers", "4", "--lr", "5e-5",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    training = json.loads((out / "config.json").read_text())["training"]
    settings = training["settings"]
    assert (settings["seed"], settings["truncation_side"], settings["lr"]) == (3, "left", 5e-5)
    assert settings["trained_layers"] == 4
    warm_up = training["warm_up"]
    assert (warm_up["questions"], warm_up["yes"] + warm_up["no"]) == (5, 5)
    assert (warm_up["from"], warm_up["epochs"]) == (["trials", "abstracts"], 2)
    cross_fit = read_cross_fit(out)
    assert sorted(cross_fit, key=int) == [str(i) for i in range(12)]
    assert all(abs(sum(p) - 1.0) < 1e-3 for p in cross_fit.values())
    reader = EvidenceReaderModel.load(out)
    assert (reader.config.max_length, reader.config.truncation_side) == (256, "left")
    assert tuned_layers(reader) == {"2", "3", "4", "5"}  # the top four of MiniLM's six layers
    assert EvidenceReaderModel.load(folds / "fold-1").config.truncation_side == "left"
    bad = tmp_path / "bad.json"
    record = {"question": "Q?", "contexts": ["x."], "final_decision": "no"}
    bad.write_text(json.dumps({"3": record}))
    refused = CliRunner().invoke(app, ["evidence", "train-answer", "-i", str(bad), "-o", str(out)])
    assert refused.exit_code == 2
    assert "record 3" in refused.output
    assert "long_answer" in refused.output
