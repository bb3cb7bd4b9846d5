"""Demo pairs for ``make run``: three approved kinase inhibitors against ABL1, EGFR and SRC.

Sequences are the UniProt constructs used by Davis et al. 2011; SMILES are PubChem's.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd


def demo_pairs() -> pd.DataFrame:
    """Columns ``drug``, ``protein``, ``smiles``, ``sequence`` (9 rows)."""
    path = resources.files("biomedfm.affinity") / "demo_pairs.csv"
    with resources.as_file(path) as file:
        return pd.read_csv(file)
