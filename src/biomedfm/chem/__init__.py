"""Molecules and sequences: parsing, validation and featurizers."""

from biomedfm.chem.featurizers import (
    DRUG_FEATURIZERS,
    PROTEIN_FEATURIZERS,
    KmerFeaturizer,
    MorganFeaturizer,
    make_featurizer,
)
from biomedfm.chem.molecules import canonical_smiles, murcko_scaffold, to_mol, validate_smiles
from biomedfm.chem.sequences import validate_sequence

__all__ = [
    "DRUG_FEATURIZERS",
    "PROTEIN_FEATURIZERS",
    "KmerFeaturizer",
    "MorganFeaturizer",
    "canonical_smiles",
    "make_featurizer",
    "murcko_scaffold",
    "to_mol",
    "validate_sequence",
    "validate_smiles",
]
