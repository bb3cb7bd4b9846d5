import os
from pathlib import Path

import pytest

from biomedfm.affinity.data import PairColumns, read_dta_dataset, read_pairs, validate_pairs
from biomedfm.errors import InputError

DATA = Path(os.environ.get("BIOMEDFM_DATA", Path(__file__).parents[3] / "shared" / "data"))


def test_read_pairs_maps_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("mol\tprot\tkd\nCCO\tMKTAYIAKQR\t5.5\n")
    frame = read_pairs(path, PairColumns("mol", "prot", "kd"), labelled=True)
    assert frame.loc[0, "smiles"] == "CCO"
    assert frame.loc[0, "affinity"] == 5.5


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_pairs(tmp_path / "nope.csv")


def test_validate_pairs_checks_each_distinct_value_once(pairs) -> None:  # type: ignore[no-untyped-def]
    pairs.loc[0, "smiles"] = "xyz"
    errors = validate_pairs(pairs)
    assert errors[0].startswith("invalid SMILES")
    assert (errors[1:] == "").all()


def test_unknown_dataset() -> None:
    with pytest.raises(InputError, match="choose from davis, kiba"):
        read_dta_dataset("bindingdb")


@pytest.mark.skipif(not (DATA / "dta" / "davis").is_dir(), reason="shared benchmark data absent")
def test_davis_layout() -> None:
    frame = read_dta_dataset("davis", DATA)
    assert len(frame) == 25_046
    assert frame["fold"].nunique() == 5
    assert frame["protein_id"].nunique() == 442
    assert frame["sequence"].nunique() == 379
    assert frame[["smiles", "sequence"]].notna().all().all()


def test_training_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from biomedfm.affinity.presets import resolve_config
    from biomedfm.config import Settings

    monkeypatch.setenv("BIOMEDFM_TRAIN__EPOCHS", "7")
    monkeypatch.setenv("BIOMEDFM_TRAIN__NET__DROPOUT", "0.2")
    settings = Settings()
    assert sorted(settings.train_settings()) == ["epochs=7", "net.dropout=0.2"]
    config = resolve_config("lite", [*settings.train_settings(), "epochs=9"])
    assert config.epochs == 9
    assert config.net.dropout == 0.2
    with pytest.raises(ValueError, match="key=value"):
        resolve_config("lite", ["epochs"])
