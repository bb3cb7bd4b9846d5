"""Applicability domain: evidence per pair, widened σ outside, and the saved file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from biomedfm.affinity.domain import ApplicabilityDomain, sequence_identity
from biomedfm.affinity.io import load_model
from biomedfm.affinity.predict import predict_frame
from biomedfm.chem.kinase_pocket import REFERENCE_DOMAIN
from biomedfm.chem.molecules import to_mol

ABL1 = REFERENCE_DOMAIN
# human β2 adrenergic receptor, first 120 residues: a GPCR, no kinase domain
ADRB2 = (
    "MGQPGNGSAFLLAPNRSHAPDHDVTQQRDEVWVVGMGIVMSLIVLAIVFGNVLVITAIAKFERLQTVTNYFITSLACADLVMGLAVV"
    "PFGAAHILMKMWTFGNFWCEFWTSIDVLCVTASIETLCVIAVDRYFAITS"
)
IMATINIB = "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"
DASATINIB = "Cc1nc(Nc2ncc(C(=O)Nc3c(C)cccc3Cl)s2)cc(N2CCN(CCO)CC2)n1"


@pytest.fixture
def domain() -> ApplicabilityDomain:
    return ApplicabilityDomain.from_training(
        [to_mol(IMATINIB), to_mol(DASATINIB)], [ABL1, ABL1], out_of_domain_sigma=2.0
    )


def test_a_training_pair_is_in_domain_and_a_gpcr_is_not(domain: ApplicabilityDomain) -> None:
    assert not domain.kinase_model  # one target: a model of one assay knows that target only
    assert domain.sequences == [ABL1]
    domain.kinase_model = True  # as a model of many kinases would be
    evidence = domain.assess([to_mol(IMATINIB), to_mol(IMATINIB)], [ABL1, ADRB2])
    assert evidence.in_domain.tolist() == [True, False]
    assert evidence.compound_similarity[0] == pytest.approx(1.0)
    assert evidence.target_identity[0] == pytest.approx(1.0)
    assert evidence.target_identity[1] < 0.3
    assert evidence.kinase_score[0] == pytest.approx(1.0)
    assert evidence.kinase_score[1] < 0.055


def test_a_mutant_kinase_is_known_and_an_unlike_compound_is_not(
    domain: ApplicabilityDomain,
) -> None:
    mutant = ABL1[:100] + ("I" if ABL1[100] != "I" else "V") + ABL1[101:]
    assert sequence_identity(mutant, ABL1) == pytest.approx(1 - 1 / len(ABL1), abs=1e-3)
    evidence = domain.assess([to_mol(IMATINIB), to_mol("OCC(O)CO")], [mutant, mutant])
    assert evidence.in_domain.tolist() == [True, False]  # glycerol is nothing like either
    assert evidence.compound_similarity[1] < 0.3


def test_sigma_is_widened_only_outside(domain: ApplicabilityDomain) -> None:
    evidence = domain.assess([to_mol(IMATINIB)] * 2, [ABL1, ADRB2])
    widened = domain.widen(np.array([0.3, 0.3]), evidence)
    assert widened.tolist() == [0.3, 2.0]
    domain.out_of_domain_sigma = 0.0  # not calibrated: σ left as it is
    assert domain.widen(np.array([0.3, 0.3]), evidence).tolist() == [0.3, 0.3]


def test_saved_and_loaded_domain_gives_the_same_evidence(
    domain: ApplicabilityDomain, tmp_path: Path
) -> None:
    domain.kinase_model = True
    domain.save(tmp_path)
    loaded = ApplicabilityDomain.load(tmp_path)
    assert loaded is not None
    assert loaded.out_of_domain_sigma == 2.0
    assert loaded.kinase_model
    mols, sequences = [to_mol(DASATINIB), to_mol("CCO")], [ABL1, ADRB2]
    a, b = domain.assess(mols, sequences), loaded.assess(mols, sequences)
    for name, values in a.columns().items():
        assert np.allclose(values.astype(float), b.columns()[name].astype(float)), name
    assert ApplicabilityDomain.load(tmp_path / "none") is None


def test_shipped_davis_flags_a_gpcr_and_widens_its_interval() -> None:
    model = load_model("davis-lite")
    assert model.domain is not None
    assert model.domain.out_of_domain_sigma > 1.0
    frame = pd.DataFrame({"smiles": [IMATINIB, IMATINIB, "C1CC("], "sequence": [ABL1, ADRB2, ABL1]})
    result = predict_frame(model, frame)
    assert result.domain is not None
    assert result.domain["in_domain"].tolist() == [True, False, None]
    assert result.sigma[1] >= model.domain.out_of_domain_sigma > result.sigma[0]
    assert np.isnan(result.sigma[2])
    assert result.errors[2] != ""
