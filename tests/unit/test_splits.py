import numpy as np
import pandas as pd
import pytest

from biomedfm.affinity.splits import SPLITTERS, both_cold_folds, cold_drug_folds
from biomedfm.chem.molecules import murcko_scaffold
from tests.conftest import make_pairs


@pytest.fixture
def frame() -> pd.DataFrame:
    pairs = make_pairs()
    # two "mutants" with the wild-type sequence under another id, as in Davis
    clone = pairs[pairs["protein_id"] == "p0"].assign(protein_id="p0-mutant")
    return pd.concat([pairs, clone], ignore_index=True)


@pytest.mark.parametrize("name", sorted(SPLITTERS))
def test_every_splitter_partitions_without_overlap(frame: pd.DataFrame, name: str) -> None:
    folds = SPLITTERS[name](frame, n_folds=5, seed=0)
    assert len(folds) == 5
    for train, val in folds:
        assert len(val) > 0
        assert len(train) > 0
        assert not set(train) & set(val)
    if name != "both-cold":  # both-cold drops the pairs that are half cold
        validated = np.concatenate([val for _, val in folds])
        assert sorted(validated) == list(range(len(frame)))


def test_given_folds_follow_the_column(frame: pd.DataFrame) -> None:
    for k, (_, val) in enumerate(SPLITTERS["given"](frame)):
        assert (frame.loc[val, "fold"] == k).all()


def test_cold_protein_groups_by_sequence_not_id(frame: pd.DataFrame) -> None:
    for train, val in SPLITTERS["cold-protein"](frame, n_folds=5, seed=3):
        assert not set(frame.loc[train, "sequence"]) & set(frame.loc[val, "sequence"])


@pytest.mark.parametrize("by", ["scaffold", "smiles"])
def test_cold_drug_has_no_shared_drug_or_scaffold(frame: pd.DataFrame, by: str) -> None:
    for train, val in cold_drug_folds(frame, n_folds=3, seed=0, by=by):
        assert not set(frame.loc[train, "smiles"]) & set(frame.loc[val, "smiles"])
        if by == "scaffold":
            scaffolds = frame["smiles"].map(murcko_scaffold)
            assert not set(scaffolds[train]) & set(scaffolds[val])


def test_both_cold_leaks_neither_entity(frame: pd.DataFrame) -> None:
    for train, val in both_cold_folds(frame, n_folds=3, seed=0, by="smiles"):
        assert not set(frame.loc[train, "smiles"]) & set(frame.loc[val, "smiles"])
        assert not set(frame.loc[train, "sequence"]) & set(frame.loc[val, "sequence"])


def test_too_few_groups_is_an_error(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="distinct groups"):
        SPLITTERS["cold-protein"](frame.head(3), n_folds=5)
