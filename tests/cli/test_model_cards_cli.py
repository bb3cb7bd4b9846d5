"""`<kind> models`: every shipped model listed with its version, and its card on demand."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from biomedfm.cli.main import app
from biomedfm.model_cards import shipped_models

runner = CliRunner()


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("affinity", ["davis", "davis-lite", "encoder", "kiba", "kiba-lite"]),
        (
            "evidence",
            ["decision", "reader", "reader-answer", "reader-direction", "reader-outcome", "roles"],
        ),
        ("dynamics", ["flexibility"]),
    ],
)
def test_models_lists_each_shipped_model_and_prints_its_card(kind: str, names: list[str]) -> None:
    assert [m.name for m in shipped_models(kind)] == names
    listing = runner.invoke(app, [kind, "models"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    for name in names:
        assert name in listing.output
    card = runner.invoke(app, [kind, "models", "--card", names[0]], env={"COLUMNS": "200"})
    assert card.exit_code == 0, card.output
    assert "Licence" in card.output
    assert "Intended use" in card.output


def test_an_unknown_card_is_named_with_the_choices() -> None:
    result = runner.invoke(app, ["evidence", "models", "--card", "nope"])
    assert result.exit_code == 2
    assert "no shipped evidence model 'nope'" in result.output
    assert "reader-direction" in result.output
