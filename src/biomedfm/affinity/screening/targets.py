"""Screening targets: one sequence, or a panel read from a (multi-record) FASTA file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from biomedfm.chem.sequences import validate_sequence
from biomedfm.errors import InputError


@dataclass
class Target:
    """One protein of the panel; ``name`` labels its rows in the output."""

    name: str
    sequence: str


def read_targets(fasta: Path | None = None, sequence: str | None = None) -> list[Target]:
    """Targets from a (multi-record) FASTA file or one sequence; order is kept.

    Raises:
        InputError: neither or both given, an empty file, or an invalid sequence (named).
    """
    if (fasta is None) == (sequence is None):
        raise InputError("give the target as --target-fasta FILE or --target-sequence SEQ")
    if sequence is not None:
        return [Target("target", validate_sequence(sequence))]
    assert fasta is not None
    if not fasta.is_file():
        raise InputError(f"target FASTA {fasta} does not exist")
    records: list[tuple[str, list[str]]] = []
    for line in fasta.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(">"):
            records.append((line[1:].split(maxsplit=1)[0] if line[1:].strip() else "", []))
        elif line.strip():
            if not records:
                raise InputError(f"{fasta}: sequence before the first '>' header line")
            records[-1][1].append(line.strip())
    if not records:
        raise InputError(f"{fasta}: no FASTA records (each starts with a '>name' line)")
    targets = []
    for number, (name, lines) in enumerate(records, start=1):
        try:
            targets.append(Target(name or f"target{number}", validate_sequence("".join(lines))))
        except InputError as error:
            raise InputError(f"{fasta}, record {number} ({name or 'unnamed'}): {error}") from None
    return targets
