import numpy as np
import pytest

from biomedfm.chem import (
    KmerFeaturizer,
    MorganFeaturizer,
    canonical_smiles,
    make_featurizer,
    murcko_scaffold,
    to_mol,
    validate_sequence,
)
from biomedfm.chem.featurizers import MaccsFeaturizer, featurizer_spec
from biomedfm.errors import InputError


def test_to_mol_parses_and_canonicalises() -> None:
    assert to_mol("CCO").GetNumAtoms() == 3
    assert canonical_smiles("OCC") == canonical_smiles("C(O)C")


@pytest.mark.parametrize(
    ("smiles", "fragment"),
    [("", "empty"), ("C1CC(", "invalid SMILES"), ("C" * 1001, "over the"), (None, "empty")],
)
def test_bad_smiles_are_named(smiles: object, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        to_mol(smiles)


def test_scaffold_groups_analogues() -> None:
    assert murcko_scaffold("Cc1ccccc1") == murcko_scaffold("CCc1ccccc1") == "c1ccccc1"
    assert murcko_scaffold("CCO") == "CCO"  # acyclic: its own SMILES


def test_sequence_validation() -> None:
    assert validate_sequence(" mktay iakqr ") == "MKTAYIAKQR"
    assert validate_sequence("ACDEFGHIKLMNPQRSTVWYXU") == "ACDEFGHIKLMNPQRSTVWYXU"
    with pytest.raises(InputError, match="non-amino-acid letters '1BJ'"):
        validate_sequence("MKTAYIAKQRB1J")
    with pytest.raises(InputError, match="fewer than 10"):
        validate_sequence("MKT")
    with pytest.raises(InputError, match="more than the 5000 limit"):
        validate_sequence("A" * 5001)
    with pytest.raises(InputError, match="empty"):
        validate_sequence("   ")


def test_morgan_counts_and_bits() -> None:
    mols = [to_mol("c1ccccc1"), to_mol("CCO")]
    counts = MorganFeaturizer(radius=2, n_bits=256, counts=True).featurize(mols)
    bits = MorganFeaturizer(radius=2, n_bits=256, counts=False).featurize(mols)
    assert counts.shape == (2, 256)
    assert counts.dtype == np.float32
    assert set(np.unique(bits)) <= {0.0, 1.0}
    # benzene: six identical aromatic CH atoms → a count of 6 for that environment
    assert np.isclose(counts[0].max(), np.log1p(6))
    assert np.array_equal(counts > 0, bits > 0)


def test_maccs_keys() -> None:
    keys = MaccsFeaturizer().featurize([to_mol("CCO")])
    assert keys.shape == (1, 167)
    assert keys.sum() > 0


def test_kmer_composition_by_hand() -> None:
    featurizer = KmerFeaturizer(ks=(1, 2))
    vector = featurizer.featurize(["AAC"])[0]
    assert featurizer.dim == 420
    ones = vector[:20]
    # counts A=2, C=1 → sqrt → L2-normalised
    expected = np.array([np.sqrt(2), 1.0]) / np.sqrt(3)
    assert np.allclose(ones[[0, 1]], expected)
    twos = vector[20:]
    assert np.allclose(twos[[0 * 20 + 0, 0 * 20 + 1]], [1 / np.sqrt(2), 1 / np.sqrt(2)])


def test_kmer_skips_unknown_and_folds() -> None:
    folded = KmerFeaturizer(ks=(1, 2, 3), bins=100)
    assert folded.dim == 20 + 100 + 100
    vector = folded.featurize(["ACDXXEFG"])[0]
    assert np.isfinite(vector).all()
    assert vector[:20].sum() > 0


def test_featurizer_registry_round_trip() -> None:
    featurizer = make_featurizer("drug", {"name": "morgan", "radius": 3, "n_bits": 512})
    rebuilt = make_featurizer("drug", featurizer_spec(featurizer))
    assert rebuilt.params() == featurizer.params()
    concat = make_featurizer(
        "drug", {"name": "concat", "parts": [{"name": "morgan", "n_bits": 64}, {"name": "maccs"}]}
    )
    assert concat.featurize([to_mol("CCO")]).shape == (1, 64 + 167)
    with pytest.raises(ValueError, match="unknown drug featurizer"):
        make_featurizer("drug", {"name": "nope"})
