"""Shared by the evidence benchmarks: print a JSON report and keep a copy where asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def emit_report(report: dict[str, Any], out: Path | None) -> None:
    """The report as indented JSON on stdout, and in ``out`` when given."""
    text = json.dumps(report, indent=2)
    print(text)
    if out is not None:
        out.write_text(text + "\n")


def mcnemar_p(only_first: int, only_second: int) -> float:
    """McNemar's exact test on paired correctness: the two-sided binomial p of the questions
    only the first system got right against those only the second did (1.0 when none differ)."""
    from scipy.stats import binomtest

    discordant = only_first + only_second
    return round(float(binomtest(only_first, discordant).pvalue), 4) if discordant else 1.0
