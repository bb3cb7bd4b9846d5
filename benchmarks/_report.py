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
