"""Every model the package ships, with its version, size and model card.

A shipped model is a folder under ``affinity/models``, ``evidence/models`` or
``dynamics/models`` holding ``config.json`` (``encoder.json`` for the pretrained drug encoder;
either gives its ``version``), its weights and ``README.md``
(the card: what it is, training data, intended use and domain, validation numbers with their
commands, licence). The CLI (``affinity models``, ``evidence models``, ``dynamics models``),
``GET /api/v1/models`` and the web UI all read them from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
KINDS = {
    "affinity": PACKAGE / "affinity" / "models",
    "evidence": PACKAGE / "evidence" / "models",
    "dynamics": PACKAGE / "dynamics" / "models",
}
CARD_FILE = "README.md"


@dataclass(frozen=True)
class ShippedModel:
    """One shipped model as its card describes it."""

    kind: str
    name: str
    version: str
    size_bytes: int
    summary: str  # the first sentence of the card's "What it is" paragraph
    card: str  # the whole card, Markdown ("" when the folder has none)

    @property
    def size_mb(self) -> float:
        return round(self.size_bytes / 1e6, 1)


def _summary(card: str) -> str:
    for paragraph in card.split("\n\n"):
        if paragraph.startswith("**What it is.**"):
            text = " ".join(paragraph.removeprefix("**What it is.**").split())
            return text.split(": ")[0].split(". ")[0].rstrip(".") + "."
    return ""


def shipped_models(kind: str | None = None) -> list[ShippedModel]:
    """The shipped models of one kind (or all), sorted by kind then name."""
    return [m for m in _scan() if kind is None or m.kind == kind]


CONFIG_FILES = ("config.json", "encoder.json")  # a model, or a pretrained encoder


def _config_path(directory: Path) -> Path | None:
    return next((directory / n for n in CONFIG_FILES if (directory / n).is_file()), None)


@lru_cache(maxsize=1)
def _scan() -> tuple[ShippedModel, ...]:
    """Every shipped model's card, read once per process (``GET /models`` asks each time)."""
    found = []
    for name_of_kind, folder in KINDS.items():
        if not folder.is_dir():
            continue
        for directory in sorted(p for p in folder.iterdir() if _config_path(p) is not None):
            config = json.loads(_config_path(directory).read_text())  # type: ignore[union-attr]
            card_path = directory / CARD_FILE
            card = card_path.read_text() if card_path.is_file() else ""
            found.append(
                ShippedModel(
                    kind=name_of_kind,
                    name=directory.name,
                    version=str(config.get("version", "")),
                    size_bytes=sum(p.stat().st_size for p in directory.iterdir() if p.is_file()),
                    summary=_summary(card),
                    card=card,
                )
            )
    return tuple(found)
