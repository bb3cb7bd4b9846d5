"""Training pairs of the evidence reader, on tiny sets the test writes (and the real data when
it is beside the checkout)."""

from __future__ import annotations

import csv
import json
import os
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from biomedfm.cli.main import app
from biomedfm.evidence.reader.data import (
    Pair,
    TrialPrompt,
    cross_neutrals,
    effect_pairs,
    flip_claim,
    flipped_pairs,
    load_trials,
    other_outcome_pairs,
    read_claim_pairs,
    read_trial_prompts,
    stance_pairs_from_trials,
)
from tests.unit.evidence.test_reader import TRIAL

DATA = Path(os.environ.get("BIOMEDFM_DATA", Path(__file__).parents[4] / "shared" / "data"))


def test_flips_reverse_direction_or_negate() -> None:
    assert flip_claim("Aspirin reduces mortality") == "Aspirin increases mortality"
    assert flip_claim("Higher doses are safe") == "Lower doses are safe"
    assert flip_claim("Covid-19 is associated with stroke") == (
        "Covid-19 is not associated with stroke"
    )
    assert flip_claim("Masks protect workers") is None
    pairs = [Pair("Drug A lowers pain", "e", "supports", "s"), Pair("x is y", "e", "neutral", "s")]
    flipped = flipped_pairs(pairs, random.Random(0), share=1.0)
    assert flipped == [Pair("Drug A raises pain", "e", "contradicts", "s-flipped")]


def write_trial_set(root: Path) -> Path:
    directory = root / "evidence_inference"
    (directory / "articles").mkdir(parents=True)
    (directory / "articles" / "PMC1.txt").write_text(TRIAL)
    (directory / "articles" / "PMC2.txt").write_text(TRIAL.replace("aspirin", "heparin"))
    quote = "Mortality at one year was 8.1% with aspirin and 10.9% with placebo (p < 0.001)."
    start = TRIAL.index(quote)
    with (directory / "prompts.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["prompt_id", "pmcid", "split", "labelled", "intervention", "comparator", "outcome"]
        )
        writer.writerow([1, 1, "train", "True", "aspirin", "placebo", "mortality at one year"])
        writer.writerow([2, 2, "train", "True", "heparin", "placebo", "major bleeding"])
        writer.writerow([3, 2, "train", "False", "heparin", "placebo", "anything"])
    with (directory / "annotations.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["prompt_id", "pmcid", "annotator", "label", "evidence", "evidence_start",
             "evidence_end", "valid_label", "valid_reasoning"]
        )  # fmt: skip
        writer.writerow([1, 1, 0, "decreased", quote, start, start + len(quote), "True", "True"])
        writer.writerow([1, 1, 1, "invalid", quote, -1, -1, "True", "True"])
        writer.writerow([2, 2, 0, "no_difference", "Major bleeding did not differ", -1, -1, 1, 1])
    return directory


def test_trial_pairs_have_directions_neutrals_and_swaps(tmp_path: Path) -> None:
    directory = write_trial_set(tmp_path)
    prompts = read_trial_prompts(directory)
    assert [(p.prompt_id, p.label) for p in prompts] == [("1", "decreased"), ("2", "no_difference")]
    trials = load_trials(directory, {"1", "2"})
    stance = stance_pairs_from_trials(prompts, trials, random.Random(0), hard_neutrals=True)
    sources = {p.source for p in stance}
    assert {"evidence-inference", "ei-same-trial", "ei-methods"} <= sources
    supported = [p for p in stance if p.label == "supports" and p.source == "evidence-inference"]
    assert any("decreases" in p.first or "lower" in p.first for p in supported)
    methods = [p for p in stance if p.source == "ei-methods"]
    assert all("randomly assigned" in p.second for p in methods)
    effect = effect_pairs(prompts, trials, random.Random(0))
    labels = {(p.source, p.label) for p in effect if "Mortality" in p.second}
    assert ("effect", "decreased") in labels
    assert ("effect-swapped", "increased") in labels
    assert any(p.label == "not_reported" for p in effect)


def test_claim_sets_and_cross_neutrals(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "evidence,claim,label\n"
        '"Masks cut infection by half.",Masks Reduce Infection,entailment\n'
        '"Vitamin D did nothing for covid.",Vitamin d cures covid,not_entailment\n'
        '"",empty,entailment\n'
    )
    pairs = read_claim_pairs(path, "covid", lowercase_claims=True)
    assert [(p.first, p.label) for p in pairs] == [
        ("masks reduce infection", "supports"),
        ("vitamin d cures covid", "contradicts"),
    ]
    neutrals = cross_neutrals(pairs, random.Random(1), share=1.0)
    assert all(p.label == "neutral" for p in neutrals)
    assert all(p.second != q.second for p, q in zip(neutrals, pairs, strict=False))


@pytest.mark.slow
@pytest.mark.skipif(
    not (DATA / "evidence" / "evidence_inference").is_dir(), reason="shared evidence data absent"
)
def test_train_reader_cli_end_to_end_on_a_few_pairs(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["evidence", "train-reader", "-o", str(tmp_path / "r"), "--data-dir", str(DATA),
         "--limit", "16", "--epochs", "1", "--flips", "--hard-neutrals", "--version", "t"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["version"] == "t"
    assert config["training"]["settings"]["flips"] is True
    assert len(config["stance_logit_bias"]) == 3
    assert "stance_cross_source_scifact" in config["training"]["validation"]
    # continued on a share of the pairs, with other-outcome neutrals
    result = CliRunner().invoke(
        app,
        ["evidence", "train-reader", "-o", str(tmp_path / "r2"), "--data-dir", str(DATA),
         "--limit", "16", "--sample", "0.5", "--other-outcomes", "--from", str(tmp_path / "r"),
         "--version", "t2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "r2" / "config.json").read_text())
    assert config["version"] == "t2"
    settings = config["training"]["settings"]
    assert (settings["sample"], settings["other_outcomes"]) == (0.5, True)
    assert settings["start"] == str(tmp_path / "r")
    assert config["training"]["pairs"]["stance_train"] == 8


def test_another_outcome_of_the_same_arms_is_neutral() -> None:
    def prompt(pid: str, outcome: str, quote: str, pmcid: str = "9") -> TrialPrompt:
        return TrialPrompt(
            pid, pmcid, "train", "aspirin", "placebo", outcome, "decreased", [(quote, -1, -1)]
        )

    mortality = prompt("1", "mortality", "Mortality was 8.1% with aspirin and 10.9% with placebo.")
    bleeding = prompt("2", "major bleeding", "Major bleeding did not differ between the groups.")
    # reports mortality too: may address the mortality claim, so it is never its neutral
    both = prompt("3", "stroke", "Stroke and mortality were lower with aspirin.")
    elsewhere = prompt("4", "rash", "Rash was rare in both groups.", pmcid="10")
    pairs = other_outcome_pairs([mortality, bleeding, both, elsewhere], random.Random(0))
    assert {p.label for p in pairs} == {"neutral"}
    by_claim: dict[str, set[str]] = {}
    for pair in pairs:
        claim = pair.first.lower()
        outcome = next(o for o in ("mortality", "major bleeding", "stroke") if o in claim)
        by_claim.setdefault(outcome, set()).add(pair.second)
    assert by_claim["mortality"] == {"Major bleeding did not differ between the groups."}
    assert "Mortality was 8.1% with aspirin and 10.9% with placebo." in by_claim["major bleeding"]
    assert all("Rash" not in p.second for p in pairs)  # another trial's arms are not the same arms
    assert all("aspirin" in p.first.lower() and "placebo" in p.first.lower() for p in pairs)


def test_direction_pairs_take_quotes_and_overlapping_sentences(tmp_path: Path) -> None:
    from biomedfm.evidence.reader.direction import direction_pairs, oracle_pairs
    from biomedfm.evidence.reader.trial import TrialText

    quote = "Mortality at one year was 8.1% with aspirin and 10.9% with placebo (p = 0.02)."
    prompt = TrialPrompt(
        "1", "9", "train", "aspirin", "placebo", "mortality", "decreased", [(quote, -1, -1)]
    )
    trial = TrialText(f"RESULTS\n{quote}\nBleeding did not differ between the groups.\n")
    pairs = direction_pairs([prompt], {"9": trial})
    assert [p.label for p in pairs] == ["decreased"]  # the quote and its sentence are one text
    assert pairs[0].first == "aspirin versus placebo: mortality"
    swapped = direction_pairs([prompt], {"9": trial}, swapped=True)
    assert [p.label for p in swapped] == ["decreased", "increased"]
    assert swapped[1].first == "placebo versus aspirin: mortality"
    assert [p.second for p in oracle_pairs([prompt])] == [quote]


@pytest.mark.slow
@pytest.mark.skipif(
    not (DATA / "evidence" / "evidence_inference").is_dir(), reason="shared evidence data absent"
)
def test_train_direction_cli_end_to_end_on_a_few_pairs(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["evidence", "train-direction", "-o", str(tmp_path / "d"), "--data-dir", str(DATA),
         "--limit", "16", "--epochs", "1", "--version", "t"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "d" / "config.json").read_text())
    assert config["version"] == "t"
    assert config["role"] == "direction"
    assert config["max_length"] == 160
    assert config["training"]["pairs"] == {"train": 16, "validation": 16, "reported": 16}
    assert 0.0 <= config["training"]["reported_auc"] <= 1.0


def test_direction_reader_learns_what_a_sentence_does_not_report() -> None:
    from biomedfm.evidence.reader.direction import reported_pairs, unreported_pairs
    from biomedfm.evidence.reader.trial import TrialText

    mortality_quote = "Mortality was 8.1% with aspirin and 10.9% with placebo."
    bleeding_quote = "Major bleeding did not differ between the groups."
    mortality = TrialPrompt(
        "1", "9", "train", "aspirin", "placebo", "mortality", "decreased",
        [(mortality_quote, -1, -1)],
    )  # fmt: skip
    bleeding = TrialPrompt(
        "2", "9", "train", "aspirin", "placebo", "major bleeding", "no_difference",
        [(bleeding_quote, -1, -1)],
    )  # fmt: skip
    trial = TrialText(
        "METHODS\nPatients with aspirin allergy and prior mortality risk scores were excluded.\n"
        f"RESULTS\n{mortality_quote}\n{bleeding_quote}\n"
    )
    pairs = unreported_pairs([mortality, bleeding], {"9": trial}, random.Random(0))
    assert {p.label for p in pairs} == {"not_reported"}
    texts = {(p.first, p.second) for p in pairs}
    # the other outcome's quote, asked about this outcome, reports nothing on it
    assert ("aspirin versus placebo: mortality", bleeding_quote) in texts
    assert ("aspirin versus placebo: major bleeding", mortality_quote) in texts
    # and the trial's sentence most like the prompt that is not its evidence
    assert any("excluded" in second for first, second in texts if first.endswith("mortality"))
    assert not any(
        first.endswith("mortality") and second == mortality_quote for first, second in texts
    )
    validation = reported_pairs([mortality, bleeding])
    assert [p.label for p in validation[:2]] == ["decreased", "no_difference"]
    assert {p.label for p in validation[2:]} == {"not_reported"}
