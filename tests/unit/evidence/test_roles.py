"""The sentence-role model: section headers → roles, save/load, and what it keeps out of quotes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from biomedfm.errors import InputError
from biomedfm.evidence.retrieval.dense import embed
from biomedfm.evidence.roles import (
    ROLES,
    RoleModel,
    pubmedqa_role_sentences,
    relative_positions,
    section_role,
    shipped_role_model,
)


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("BODY.INTRODUCTION", "background"),
        ("ABSTRACT.BACKGROUND AND OBJECTIVES", "background"),
        ("ABSTRACT.METHODS", "methods"),
        ("BODY.METHODS.STATISTICAL ANALYSIS", "methods"),
        ("BODY.RESULTS.SAFETY", "results"),
        ("ABSTRACT.CONCLUSIONS", "results"),
        ("BODY.DISCUSSION", None),  # the study's findings mixed with others'
        ("BODY.CONCLUSION", None),
        ("BODY.COMPETING INTERESTS", None),
        ("TITLE", None),
    ],
)
def test_section_headers_map_to_roles(header: str, role: str | None) -> None:
    assert section_role(header) == role


def test_save_and_load_without_pickle(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    model = RoleModel(rng.normal(size=(3, 386)), rng.normal(size=3), {"version": "t"})
    model.save(tmp_path / "roles")
    assert sorted(p.name for p in (tmp_path / "roles").iterdir()) == [
        "config.json",
        "model.safetensors",
    ]
    loaded = RoleModel.load(tmp_path / "roles")
    vectors, positions = rng.normal(size=(5, 384)), relative_positions(5)
    assert np.allclose(
        loaded.probabilities(vectors, positions), model.probabilities(vectors, positions), atol=1e-5
    )
    assert loaded.metadata["version"] == "t"
    config = json.loads((tmp_path / "roles" / "config.json").read_text())
    config["roles"] = ["a", "b", "c"]
    (tmp_path / "roles" / "config.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match="train-roles"):
        RoleModel.load(tmp_path / "roles")


def test_pubmedqa_labels_give_validation_sentences(tmp_path: Path) -> None:
    path = tmp_path / "q.json"
    path.write_text(
        json.dumps(
            {
                "1": {
                    "contexts": ["Statins lower cholesterol. They are widely used.", "We ran it."],
                    "context_labels": ["BACKGROUND", "UNLABELLED THING"],
                }
            }
        )
    )
    texts, positions, labels = pubmedqa_role_sentences(path)
    assert texts == ["Statins lower cholesterol.", "They are widely used."]
    assert positions == [0.0, 0.5]  # of the abstract's three sentences
    assert relative_positions(2).tolist() == [0.5, 0.5]  # too short to have an order
    assert labels == ["background", "background"]


def test_a_one_line_finding_is_not_background() -> None:
    model = shipped_role_model()
    assert model is not None
    vectors = embed(["Aspirin significantly reduced mortality after myocardial infarction."])
    assert not model.is_background(vectors, relative_positions(1))[0]


def test_shipped_model_tells_prior_work_from_a_finding() -> None:
    model = shipped_role_model()
    assert model is not None, "the role model ships with the package"
    sentences = [
        "In primary and secondary prevention trials, statins have been shown to reduce the "
        "risk of stroke.",
        "The aim of this study was to assess whether statins reduce stroke in older adults.",
        "Patients were randomized to atorvastatin 80 mg or placebo and followed for 5 years.",
        "Stroke occurred in 4.1% of the statin group and 6.3% of the placebo group "
        "(hazard ratio 0.64, p = 0.003).",
    ]
    positions = relative_positions(len(sentences))
    roles = [ROLES[i] for i in model.probabilities(embed(sentences), positions).argmax(axis=1)]
    assert roles == ["background", "background", "methods", "results"]
    assert model.is_background(embed(sentences), positions).tolist() == [True, True, False, False]
