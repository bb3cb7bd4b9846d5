"""Structure reading on odd files: altlocs, gaps, C-alpha only, HETATM only, empty, not a PDB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biomedfm.dynamics.structure_io import read_structure, write_ensemble
from biomedfm.errors import InputError


def atom(
    serial: int,
    name: str,
    resname: str,
    chain: str,
    resnum: int,
    xyz: tuple[float, ...],
    altloc: str = " ",
    record: str = "ATOM",
    b: float = 10.0,
) -> str:
    element = name[0]
    return (
        f"{record:<6}{serial:>5} {name:<4}{altloc}{resname:>3} {chain}{resnum:>4}    "
        f"{xyz[0]:>8.3f}{xyz[1]:>8.3f}{xyz[2]:>8.3f}{1.0:>6.2f}{b:>6.2f}          {element:>2}"
    )


def helix_pdb(path: Path, n: int = 12, backbone: bool = True, gap_after: int | None = None) -> Path:
    """An ideal alpha-helix trace (1.5 Å rise, 100° per residue), with N/C/O when asked."""
    lines, serial = [], 1
    for i in range(n):
        angle = np.deg2rad(100 * i)
        ca = (2.3 * np.cos(angle), 2.3 * np.sin(angle), 1.5 * i)
        resnum = i + 1 + (5 if gap_after is not None and i > gap_after else 0)
        names = [("N", -0.5), ("CA", 0.0), ("C", 0.5), ("O", 0.9)] if backbone else [("CA", 0.0)]
        for name, shift in names:
            xyz = (ca[0] + shift, ca[1], ca[2] + shift / 2)
            lines.append(atom(serial, name, "ALA", "A", resnum, xyz, b=10.0 + i))
            serial += 1
    path.write_text("\n".join(lines) + "\nEND\n")
    return path


def test_reads_backbone_and_ca_only_files(tmp_path: Path) -> None:
    full = read_structure(helix_pdb(tmp_path / "full.pdb"))
    assert len(full) == 12
    assert full.has_backbone
    assert full.bfactors[3] == pytest.approx(13.0)
    trace = read_structure(helix_pdb(tmp_path / "ca.pdb", backbone=False))
    assert not trace.has_backbone
    np.testing.assert_allclose(trace.ca, full.ca)


def test_first_altloc_wins_and_gaps_keep_numbers(tmp_path: Path) -> None:
    lines = [
        atom(1, "CA", "GLY", "A", 1, (0, 0, 0)),
        atom(2, "CA", "SER", "A", 2, (3.8, 0, 0), altloc="A"),
        atom(3, "CA", "SER", "A", 2, (9.9, 9.9, 9.9), altloc="B"),
        atom(4, "CA", "LYS", "A", 9, (7.6, 0, 0)),
        atom(5, "O", "HOH", "A", 100, (20, 20, 20), record="HETATM"),
    ]
    (tmp_path / "alt.pdb").write_text("\n".join(lines) + "\nEND\n")
    structure = read_structure(tmp_path / "alt.pdb")
    assert structure.resnums == [1, 2, 9]
    assert structure.resnames == ["GLY", "SER", "LYS"]
    np.testing.assert_allclose(structure.ca[1], [3.8, 0, 0])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no model|no protein residue|not a readable"),
        (atom(1, "C1", "LIG", "A", 1, (0, 0, 0), record="HETATM") + "\nEND\n", "no protein"),
        ("this is not a structure file\n", "no model|not a readable|no protein"),
    ],
)
def test_files_without_protein_get_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "odd.pdb"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_structure(path)
    with pytest.raises(InputError, match="no such file"):
        read_structure(tmp_path / "missing.pdb")


def test_ensemble_round_trips_through_mmcif(tmp_path: Path) -> None:
    structure = read_structure(helix_pdb(tmp_path / "h.pdb"))
    moved = {k: v + 1.0 for k, v in structure.backbone.items()}
    write_ensemble(tmp_path / "e.cif", structure, [structure.backbone, moved])
    import gemmi

    document = gemmi.read_structure(str(tmp_path / "e.cif"))
    assert len(document) == 2
    again = read_structure(tmp_path / "e.cif")
    np.testing.assert_allclose(again.ca, structure.ca, atol=1e-3)
    assert again.has_backbone
