"""SMILES parsing and validation over RDKit, with messages a user can act on."""

from __future__ import annotations

from rdkit import Chem, RDLogger
from rdkit.Chem.Scaffolds import MurckoScaffold

from biomedfm.errors import InputError

MAX_SMILES_LENGTH = 1000
"""Longer strings are almost always pasted by mistake; the limit also bounds parse time."""

# RDKit would print its own parse errors; we report ours. Its stubs lack DisableLog.
RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]


def to_mol(smiles: object) -> Chem.Mol:
    """Parse a SMILES string into an RDKit molecule.

    Raises:
        InputError: empty, over-long or unparsable SMILES, with the reason.
    """
    if not isinstance(smiles, str) or not smiles.strip():
        raise InputError("SMILES is empty: give a molecule such as 'CCO'")
    text = smiles.strip()
    if len(text) > MAX_SMILES_LENGTH:
        raise InputError(
            f"SMILES is {len(text)} characters, over the {MAX_SMILES_LENGTH} limit: "
            "give one small molecule per row"
        )
    mol = Chem.MolFromSmiles(text)
    if mol is None:
        raise InputError(
            f"invalid SMILES {_clip(text)!r}: RDKit cannot parse it (check brackets, "
            "ring closures and valences)"
        )
    if mol.GetNumAtoms() == 0:
        raise InputError(f"SMILES {_clip(text)!r} has no atoms")
    return mol


def validate_smiles(smiles: object) -> str:
    """Return the stripped SMILES if it parses, else raise :class:`InputError`."""
    to_mol(smiles)
    return str(smiles).strip()


def canonical_smiles(smiles: str) -> str:
    """RDKit canonical SMILES, so the same molecule written two ways compares equal."""
    return str(Chem.MolToSmiles(to_mol(smiles)))


def murcko_scaffold(smiles: str) -> str:
    """Bemis–Murcko scaffold SMILES; acyclic molecules get their own canonical SMILES.

    Used by the cold-drug splitter, so that close analogues land in the same fold.
    """
    mol = to_mol(smiles)
    scaffold = MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)
    return str(scaffold) if scaffold else str(Chem.MolToSmiles(mol))


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
