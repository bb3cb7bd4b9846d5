"""The kinase-pocket featurizer: alignment to the ABL1 reference, one-hot pocket columns."""

import numpy as np

from biomedfm.chem import make_featurizer
from biomedfm.chem.featurizers import featurizer_spec
from biomedfm.chem.kinase_pocket import (
    POCKET_POSITIONS,
    POCKET_SEGMENTS,
    REFERENCE_DOMAIN,
    KinasePocketFeaturizer,
    pocket_residues,
)
from biomedfm.chem.sequences import STANDARD_AMINO_ACIDS

GATEKEEPER = REFERENCE_DOMAIN.index("IITEFM") + 2  # ABL1 T315, the imatinib gatekeeper
FLANKS = "MSEQPRLNGWDHAAGSTNKEEPQSLRGTS"  # non-kinase residues around the domain


def test_reference_reads_back_its_own_pocket() -> None:
    residues, score = pocket_residues(FLANKS + REFERENCE_DOMAIN + FLANKS)
    assert residues == "".join(POCKET_SEGMENTS)
    assert score > 0.99


def test_gatekeeper_mutation_changes_only_its_column() -> None:
    mutant = REFERENCE_DOMAIN[:GATEKEEPER] + "I" + REFERENCE_DOMAIN[GATEKEEPER + 1 :]
    wild, _ = pocket_residues(REFERENCE_DOMAIN)
    changed, _ = pocket_residues(mutant)
    column = int(np.flatnonzero(POCKET_POSITIONS == GATEKEEPER)[0])
    assert wild[column] == "T"
    assert changed[column] == "I"
    assert wild[:column] + wild[column + 1 :] == changed[:column] + changed[column + 1 :]


def test_non_kinase_is_mostly_gaps_with_a_low_score() -> None:
    residues, score = pocket_residues("MKTAYIAKQRQISFVKSHFSRQ" * 10)
    assert residues.count("-") > len(residues) // 2
    assert score < 0.1


def test_sequence_with_nothing_to_align_scores_zero() -> None:
    residues, score = pocket_residues("X" * 12)
    assert residues == "-" * len(POCKET_POSITIONS)
    assert score == 0.0


def test_featurizer_one_hot_layout_and_registry() -> None:
    featurizer = make_featurizer("protein", {"name": "kinase_pocket"})
    assert isinstance(featurizer, KinasePocketFeaturizer)
    x = featurizer.featurize([REFERENCE_DOMAIN, "ACDEFGHIKLMNPQRSTVWYX" * 3])
    assert x.shape == (2, len(POCKET_POSITIONS) * 21 + 1)
    one_hot = x[:, :-1].reshape(2, len(POCKET_POSITIONS), 21)
    assert np.array_equal(one_hot[0].sum(axis=1), np.ones(len(POCKET_POSITIONS)))
    assert x[0, -1] > 0.99 > x[1, -1]
    assert not one_hot[1].any()  # not a kinase domain: no pocket columns, only the score


def test_concat_protein_featurizer_round_trips_through_its_spec() -> None:
    spec = {
        "name": "concat",
        "parts": [
            {"name": "kmer", "ks": [1], "bins": None},
            {"name": "kinase_pocket", "encoding": "blosum"},
        ],
    }
    featurizer = make_featurizer("protein", spec)
    assert featurizer_spec(featurizer) == spec
    x = featurizer.featurize([REFERENCE_DOMAIN])
    assert x.shape == (1, 20 + len(POCKET_POSITIONS) * 21 + 1)
    first_position = x[0, 20:41]  # BLOSUM62 row of K, the reference's first pocket residue
    assert first_position[STANDARD_AMINO_ACIDS.index("K")] == 5 / 4
    assert first_position[STANDARD_AMINO_ACIDS.index("R")] == 2 / 4
    rebuilt = make_featurizer("protein", featurizer_spec(featurizer))
    assert np.array_equal(rebuilt.featurize([REFERENCE_DOMAIN]), x)


def test_blosum_components_are_compact_and_keep_similar_residues_close() -> None:
    featurizer = KinasePocketFeaturizer(encoding="blosum", components=6)
    assert featurizer.dim == len(POCKET_POSITIONS) * 7 + 1
    codes = featurizer.codes
    index = {aa: i for i, aa in enumerate(STANDARD_AMINO_ACIDS)}

    def distance(a: str, b: str) -> float:
        return float(np.linalg.norm(codes[index[a]] - codes[index[b]]))

    assert distance("K", "R") < distance("K", "W")
    assert distance("F", "Y") < distance("F", "D")
    assert codes[20, -1] == 1.0
    assert not codes[:20, -1].any()
