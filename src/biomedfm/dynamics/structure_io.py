"""Protein structures in (PDB, mmCIF, gzipped or not) and out (mmCIF), through gemmi.

Only what dynamics needs is kept: the amino-acid residues of the first model, their C-alpha
positions and B-factors, and the other backbone atoms (N, C, O) when the file has them. The first
alternate location wins; waters, ligands and hydrogens are dropped; gaps stay gaps (residue
numbers tell them apart).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import gemmi
import numpy as np

from biomedfm.errors import InputError

BACKBONE = ("N", "CA", "C", "O")


@dataclass
class Structure:
    """Residues of one model, in file order; arrays are (n,) or (n, 3)."""

    chains: list[str]
    resnums: list[int]
    icodes: list[str]
    resnames: list[str]
    ca: np.ndarray
    bfactors: np.ndarray
    backbone: dict[str, np.ndarray] = field(default_factory=dict)  # atom → (n, 3), NaN if absent
    name: str = "structure"

    def __len__(self) -> int:
        return len(self.resnums)

    @property
    def has_backbone(self) -> bool:
        """True when N, C and O are present for every residue (not a C-alpha-only file)."""
        return all(
            atom in self.backbone and not np.isnan(self.backbone[atom]).any()
            for atom in ("N", "C", "O")
        )

    def labels(self) -> list[str]:
        """``A:42`` style residue labels (with insertion codes)."""
        return [
            f"{c}:{n}{i}" for c, n, i in zip(self.chains, self.resnums, self.icodes, strict=True)
        ]


def read_structure(path: Path, chains: list[str] | None = None) -> Structure:
    """Read the amino-acid residues of a PDB/mmCIF file.

    Args:
        chains: keep only these chain names (default: all).

    Raises:
        InputError: the file is missing, is not a structure, or holds no protein residue.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        structure = gemmi.read_structure(str(path))
    except (RuntimeError, ValueError) as error:
        raise InputError(
            f"{path} is not a readable PDB or mmCIF structure ({error}); give a .pdb or .cif file"
        ) from None
    if len(structure) == 0:
        raise InputError(f"{path} holds no model (no ATOM records): give a coordinate file")
    structure.remove_alternative_conformations()
    structure.remove_hydrogens()
    out = Structure([], [], [], [], np.empty((0, 3)), np.empty(0), name=path.stem)
    ca: list[list[float]] = []
    bfactors: list[float] = []
    backbone: dict[str, list[list[float]]] = {atom: [] for atom in BACKBONE if atom != "CA"}
    for chain in structure[0]:
        if chains and chain.name not in chains:
            continue
        for residue in chain:
            info = gemmi.find_tabulated_residue(residue.name)
            if info is None or not info.is_amino_acid():
                continue
            atom = residue.find_atom("CA", "*")
            if atom is None:
                continue
            out.chains.append(chain.name)
            out.resnums.append(int(residue.seqid.num or 0))
            out.icodes.append(residue.seqid.icode.strip())
            out.resnames.append(residue.name)
            ca.append(atom.pos.tolist())
            bfactors.append(atom.b_iso)
            for name, positions in backbone.items():
                other = residue.find_atom(name, "*")
                positions.append(other.pos.tolist() if other is not None else [np.nan] * 3)
    if not ca:
        wanted = f" in chain(s) {', '.join(chains)}" if chains else ""
        raise InputError(
            f"{path} holds no protein residue with a C-alpha atom{wanted} (HETATM-only or "
            "empty?): give a protein structure"
        )
    out.ca = np.asarray(ca, dtype=np.float64)
    out.bfactors = np.asarray(bfactors, dtype=np.float64)
    out.backbone = {
        "CA": out.ca,
        **{k: np.asarray(v, dtype=np.float64) for k, v in backbone.items()},
    }
    return out


def read_models(path: Path) -> tuple[Structure, list[np.ndarray]]:
    """Every model of a multi-model file: the first as a Structure, all as C-alpha arrays.

    Raises:
        InputError: not a structure, or models that do not share the first model's residues.
    """
    first = read_structure(path)
    structure = gemmi.read_structure(str(path))
    structure.remove_alternative_conformations()
    wanted = list(zip(first.chains, first.resnums, first.icodes, strict=True))
    models = []
    for number, model in enumerate(structure, start=1):
        positions = {}
        for chain in model:
            for residue in chain:
                atom = residue.find_atom("CA", "*")
                if atom is not None:
                    key = (chain.name, int(residue.seqid.num or 0), residue.seqid.icode.strip())
                    positions[key] = atom.pos.tolist()
        missing = [k for k in wanted if k not in positions]
        if missing:
            raise InputError(
                f"{path} model {number} lacks {len(missing)} residue(s) of model 1 (e.g. "
                f"{missing[0][0]}:{missing[0][1]}): an ensemble needs the same residues in every "
                "model"
            )
        models.append(np.asarray([positions[k] for k in wanted], dtype=np.float64))
    return first, models


def one_letter(resname: str) -> str:
    """One-letter code of a residue name ('X' when unknown)."""
    info = gemmi.find_tabulated_residue(resname)
    code = info.one_letter_code.upper() if info is not None else "X"
    return code if code.isalpha() and code != " " else "X"


def write_ensemble(path: Path, structure: Structure, models: list[dict[str, np.ndarray]]) -> None:
    """A multi-model mmCIF: one model per conformer, the backbone atoms each one has.

    Args:
        models: per conformer, atom name → (n, 3) positions (``CA`` required; N, C, O optional).
    """
    out = gemmi.Structure()
    out.name = structure.name
    for number, positions in enumerate(models, start=1):
        model = gemmi.Model(number)
        chain_objects: dict[str, gemmi.Chain] = {}
        for i in range(len(structure)):
            chain_name = structure.chains[i]
            if chain_name not in chain_objects:
                chain_objects[chain_name] = gemmi.Chain(chain_name)
            residue = gemmi.Residue()
            residue.name = structure.resnames[i]
            residue.seqid = gemmi.SeqId(structure.resnums[i], structure.icodes[i] or " ")
            residue.entity_type = gemmi.EntityType.Polymer
            for atom_name in BACKBONE:
                if atom_name not in positions or np.isnan(positions[atom_name][i]).any():
                    continue
                atom = gemmi.Atom()
                atom.name = atom_name
                atom.element = gemmi.Element(atom_name[0])
                atom.pos = gemmi.Position(*positions[atom_name][i])
                atom.occ = 1.0
                residue.add_atom(atom)
            chain_objects[chain_name].add_residue(residue)
        for chain in chain_objects.values():
            model.add_chain(chain)
        out.add_model(model)
    out.setup_entities()
    path.parent.mkdir(parents=True, exist_ok=True)
    document = out.make_mmcif_document()
    document.write_file(str(path))
