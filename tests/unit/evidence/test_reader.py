"""The evidence reader: the shipped weights on hand-made pairs, save/load, trial sentences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from biomedfm.errors import InputError
from biomedfm.evidence.reader import read_effect, read_stance, shipped_reader
from biomedfm.evidence.reader.model import EvidenceReaderModel, ReaderConfig
from biomedfm.evidence.reader.trial import TrialText, sentence_spans

CLAIM = "Aspirin reduces mortality after myocardial infarction"
TRIAL = (
    "TITLE:\nAspirin after myocardial infarction\n\n"
    "ABSTRACT.METHODS:\n"
    "We randomly assigned 4,000 patients with myocardial infarction to aspirin or placebo.\n\n"
    "ABSTRACT.RESULTS:\n"
    "Mortality at one year was 8.1% with aspirin and 10.9% with placebo (p < 0.001). "
    "Major bleeding did not differ between the groups (1.2% vs 1.1%, p = 0.74).\n"
    "Table 2\n"
)


KNOWN_MISS = (
    "reader 2026.12 reads relevance well but direction poorly (BENCHMARKS.md, 'Evidence "
    "reader'); this must pass before a reader ships that claims to read direction"
)


def test_stance_reads_negation_and_topic() -> None:
    supports, negated, methods, off_topic = read_stance(
        [
            (CLAIM, "Aspirin significantly reduced mortality at one year (p < 0.01)."),
            (CLAIM, "Aspirin did not reduce mortality at one year (p = 0.62)."),
            (CLAIM, "Patients were randomly assigned to aspirin or placebo."),
            (CLAIM, "The hospital car park was resurfaced in 2019."),
        ]
    )
    assert supports.stance == "supports"
    assert negated.stance == "contradicts"
    assert off_topic.stance == "neutral"
    assert off_topic.relevance < 0.5 < supports.relevance
    assert methods.relevance < supports.relevance  # names the arms, reports no finding
    for reading in (supports, negated, methods, off_topic):
        total = reading.p_supports + reading.p_contradicts + reading.p_neutral
        assert total == pytest.approx(1.0, abs=1e-4)


@pytest.mark.xfail(strict=True, reason=KNOWN_MISS)
def test_stance_reads_a_reversed_direction() -> None:
    flipped, no_difference = read_stance(
        [
            (CLAIM, "Aspirin significantly increased mortality at one year (p < 0.01)."),
            (CLAIM, "There was no significant difference in mortality (p = 0.45)."),
        ]
    )
    assert flipped.p_contradicts > flipped.p_supports
    assert no_difference.p_contradicts > no_difference.p_supports


def test_stance_names_the_bad_pair() -> None:
    with pytest.raises(InputError, match="pair 1: 'evidence' must be a non-empty string"):
        read_stance([(CLAIM, "Mortality fell."), (CLAIM, "   ")])


def test_effect_quote_is_verbatim_and_on_the_outcome() -> None:
    finding = read_effect("aspirin", "placebo", "mortality at one year", TRIAL)
    assert TRIAL[finding.start : finding.end] == finding.quote
    assert "Mortality at one year" in finding.quote
    bleeding = read_effect("aspirin", "placebo", "major bleeding", TRIAL)
    assert "bleeding" in bleeding.quote
    assert bleeding.effect == "no_difference"
    assert bleeding.p_increased + bleeding.p_decreased + bleeding.p_no_difference == (
        pytest.approx(1.0, abs=1e-4)
    )


def test_effect_reads_a_direction_stated_in_words() -> None:
    worded = (
        "METHODS\nAdults with migraine were randomised to drug Z or placebo for 12 weeks.\n"
        "RESULTS\nDrug Z significantly reduced the number of migraine days compared with "
        "placebo (p < 0.001).\nNausea was reported equally often in the two groups, with no "
        "significant difference between drug Z and placebo (p = 0.62).\n"
    )
    days = read_effect("drug Z", "placebo", "migraine days", worded)
    assert "reduced the number of migraine days" in days.quote
    assert days.effect == "decreased"
    assert read_effect("drug Z", "placebo", "nausea", worded).effect == "no_difference"


@pytest.mark.xfail(strict=True, reason=KNOWN_MISS)
def test_effect_reads_a_direction_stated_in_numbers() -> None:
    assert read_effect("aspirin", "placebo", "mortality at one year", TRIAL).effect == "decreased"
    assert read_effect("placebo", "aspirin", "mortality at one year", TRIAL).effect == "increased"


def test_effect_refuses_text_without_sentences() -> None:
    with pytest.raises(InputError, match="no sentence long enough"):
        read_effect("a", "b", "c", "Table 1\nn=4\n")
    with pytest.raises(InputError, match="'outcome' must be a non-empty string"):
        read_effect("a", "b", " ", TRIAL)


def test_trial_sentences_skip_headers_and_fragments() -> None:
    trial = TrialText(TRIAL)
    texts = [trial.sentence(i) for i in range(len(trial.spans))]
    assert not any(t.endswith(":") for t in texts)
    assert "Table 2" not in texts
    assert trial.sections[texts.index(next(t for t in texts if t.startswith("Mortality")))] == (
        "ABSTRACT.RESULTS"
    )
    assert all(TRIAL[a:b] == t for (a, b), t in zip(sentence_spans(TRIAL), texts, strict=True))


def test_only_trained_layers_are_saved_and_load_back(tmp_path: Path) -> None:
    model = EvidenceReaderModel(ReaderConfig(trained_layers=1, version="test"))
    with torch.no_grad():
        model.heads["stance"].bias.copy_(torch.tensor([2.0, -1.0, 0.5]))
    model.save(tmp_path / "reader")
    state = model.trained_state()
    assert all(name.startswith(("encoder.encoder.layer.5.", "heads.")) for name in state)
    loaded = EvidenceReaderModel.load(tmp_path / "reader")
    assert loaded.config.version == "test"
    pairs = ([CLAIM, CLAIM], ["Mortality fell.", "No change in mortality."])
    before = model.probabilities(*pairs, "stance")
    after = loaded.probabilities(*pairs, "stance")
    assert after == pytest.approx(before, abs=2e-3)  # fp16 storage of the tuned layer
    (tmp_path / "reader" / "model.safetensors").unlink()
    with pytest.raises(InputError, match="train-reader"):
        EvidenceReaderModel.load(tmp_path / "reader")


def test_shipped_reader_stores_only_what_differs_from_minilm() -> None:
    reader = shipped_reader()
    size = sum(t.numel() * t.element_size() for t in reader.trained_state().values())
    assert size < 12_000_000  # the tuned top layers in fp16 and the heads, not all of MiniLM
    assert reader.config.version


def test_left_truncation_keeps_the_end_of_a_long_passage_and_saves(tmp_path: Path) -> None:
    config = ReaderConfig(trained_layers=1, max_length=32, truncation_side="left")
    model = EvidenceReaderModel(config)
    passage = "Background words fill the start. " * 20 + "Mortality fell sharply."
    ids = model.encode([CLAIM], [passage])["input_ids"][0].tolist()
    text = model.tokenizer.decode(ids, skip_special_tokens=True)
    assert text.endswith("mortality fell sharply.")
    assert len(ids) == 32
    model.config.truncation_side = "right"
    ids = model.encode([CLAIM], [passage])["input_ids"][0].tolist()
    assert "mortality fell" not in model.tokenizer.decode(ids, skip_special_tokens=True)
    model.config.truncation_side = "left"
    model.save(tmp_path / "reader")
    assert EvidenceReaderModel.load(tmp_path / "reader").config.truncation_side == "left"
    config_file = tmp_path / "reader" / "config.json"
    raw = json.loads(config_file.read_text())
    config_file.write_text(json.dumps({**raw, "truncation_side": "middle"}))
    with pytest.raises(InputError, match="truncation_side must be 'left' or 'right'"):
        EvidenceReaderModel.load(tmp_path / "reader")
