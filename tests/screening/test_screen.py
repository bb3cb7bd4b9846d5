"""Screening: chunking is invisible, resume gives the uninterrupted result, bad molecules are
listed, selectivity ranks what it says, and the ONNX and Ray backends agree with PyTorch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from biomedfm.affinity.io import load_model
from biomedfm.affinity.library import LibraryChunk
from biomedfm.affinity.screening import (
    ChunkScores,
    LocalBackend,
    Screen,
    ScreenSettings,
    TorchScorer,
    read_targets,
)
from biomedfm.cli.main import app

MODEL = "davis-lite"


@pytest.fixture(scope="module")
def scorer() -> TorchScorer:
    return TorchScorer(load_model(MODEL))


def run_screen(
    scorer: TorchScorer,
    library: Path,
    fasta: Path,
    output: Path,
    *,
    chunk_size: int = 10_000,
    workers: int = 0,
    resume: bool = False,
    backend: object | None = None,
    **options: object,
) -> pd.DataFrame:
    targets = read_targets(fasta)
    settings = ScreenSettings(
        library=library, targets=targets, model=MODEL, chunk_size=chunk_size, **options
    )
    engine = backend or LocalBackend(
        scorer, scorer.encode_targets([t.sequence for t in targets]), workers
    )
    Screen(settings, scorer, output).run(engine, resume=resume)
    return pd.read_csv(output)


def test_chunked_equals_one_shot_and_lists_invalid(
    tmp_path: Path, scorer: TorchScorer, library_csv: Path, panel_fasta: Path
) -> None:
    one_shot = run_screen(scorer, library_csv, panel_fasta, tmp_path / "a.csv", top=25)
    chunked = run_screen(
        scorer, library_csv, panel_fasta, tmp_path / "b.csv", top=25, chunk_size=17, workers=2
    )
    pd.testing.assert_frame_equal(one_shot, chunked, atol=1e-3)
    assert list(one_shot.columns) == [
        *("rank", "target", "compound_id", "smiles", "pred_pkd", "unc_pkd"),
        *("in_domain", "nearest_compound_similarity", "nearest_target_identity", "kinase_score"),
    ]
    assert one_shot.groupby("target").size().to_dict() == {"kin0": 25, "kin1": 25, "kin2": 25}
    assert (one_shot.groupby("target")["pred_pkd"].diff().dropna() <= 0).all()
    invalid = pd.read_csv(tmp_path / "b.invalid.csv", keep_default_na=False)
    assert invalid["compound_id"].tolist() == ["BAD_RING", "BAD_EMPTY"]
    assert invalid["index"].tolist() == [40, 41]
    assert "RDKit cannot parse" in invalid["error"].iloc[0]
    assert not (tmp_path / "b.csv.screen").exists()  # state is removed once the run is complete


def test_top_k_matches_all_scores_and_selectivity(
    tmp_path: Path, scorer: TorchScorer, library_csv: Path, panel_fasta: Path
) -> None:
    scores_path = tmp_path / "all.parquet"
    hits = run_screen(
        scorer, library_csv, panel_fasta, tmp_path / "h.csv", top=10, chunk_size=50,
        all_scores=scores_path,
    )  # fmt: skip
    scores = pd.read_parquet(scores_path)
    assert len(scores) == 300
    assert scores["index"].is_monotonic_increasing
    best = scores.sort_values(["pred_pkd_kin1", "index"], ascending=[False, True]).head(10)
    assert hits[hits["target"] == "kin1"]["compound_id"].tolist() == best["compound_id"].tolist()

    selective = run_screen(
        scorer, library_csv, panel_fasta, tmp_path / "s.csv", top=10, selectivity=True
    )
    margin = scores["pred_pkd_kin0"] - scores[["pred_pkd_kin1", "pred_pkd_kin2"]].max(axis=1)
    expected = scores.assign(margin=margin).sort_values("margin", ascending=False).head(10)
    assert selective["compound_id"].tolist() == expected["compound_id"].tolist()
    assert np.allclose(selective["selectivity"], expected["margin"], atol=2e-4)
    assert set(selective["off_target"]) <= {"kin1", "kin2"}
    assert (selective["target"] == "kin0").all()


class _Interrupting:
    """An in-process backend that raises KeyboardInterrupt (like Ctrl-C) after ``after`` chunks."""

    def __init__(self, scorer: TorchScorer, fasta: Path, after: int) -> None:
        sequences = [t.sequence for t in read_targets(fasta)]
        self.backend = LocalBackend(scorer, scorer.encode_targets(sequences), 0)
        self.after = after

    def map(self, chunks: Iterator[LibraryChunk]) -> Iterator[ChunkScores]:
        for number, scored in enumerate(self.backend.map(chunks)):
            if number == self.after:
                raise KeyboardInterrupt
            yield scored


def test_resume_after_interrupt_gives_the_uninterrupted_result(
    tmp_path: Path, scorer: TorchScorer, library_csv: Path, panel_fasta: Path
) -> None:
    full = run_screen(
        scorer, library_csv, panel_fasta, tmp_path / "full.csv", top=20, chunk_size=30,
        all_scores=tmp_path / "full.parquet",
    )  # fmt: skip
    out = tmp_path / "resumed.csv"
    with pytest.raises(KeyboardInterrupt):
        run_screen(
            scorer, library_csv, panel_fasta, out, top=20, chunk_size=30,
            all_scores=tmp_path / "resumed.parquet",
            backend=_Interrupting(scorer, panel_fasta, after=4),
        )  # fmt: skip
    state = json.loads((tmp_path / "resumed.csv.screen" / "state.json").read_text())
    assert state["done"] == 120
    resumed = run_screen(
        scorer, library_csv, panel_fasta, out, top=20, chunk_size=30, resume=True,
        all_scores=tmp_path / "resumed.parquet",
    )  # fmt: skip
    pd.testing.assert_frame_equal(full, resumed)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "full.parquet"), pd.read_parquet(tmp_path / "resumed.parquet")
    )
    assert pd.read_csv(tmp_path / "resumed.invalid.csv")["compound_id"].tolist() == [
        "BAD_RING",
        "BAD_EMPTY",
    ]


def test_crash_between_table_write_and_commit_resumes_cleanly(
    tmp_path: Path,
    scorer: TorchScorer,
    library_csv: Path,
    panel_fasta: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A kill after the new top-K files are written but before state.json: no duplicates."""
    full = run_screen(
        scorer, library_csv, panel_fasta, tmp_path / "full.csv", top=20, chunk_size=30
    )
    publish = Screen._publish
    calls = []

    def crash_on_third(self: Screen, state: dict[str, object]) -> None:
        calls.append(state)
        if len(calls) == 3:
            raise SystemExit("killed")
        publish(self, state)

    monkeypatch.setattr(Screen, "_publish", crash_on_third)
    out = tmp_path / "crashed.csv"
    with pytest.raises(SystemExit):
        run_screen(scorer, library_csv, panel_fasta, out, top=20, chunk_size=30)
    monkeypatch.setattr(Screen, "_publish", publish)
    state = json.loads((tmp_path / "crashed.csv.screen" / "state.json").read_text())
    assert state["done"] == 60  # two chunks committed; the third was written, not committed
    resumed = run_screen(scorer, library_csv, panel_fasta, out, top=20, chunk_size=30, resume=True)
    pd.testing.assert_frame_equal(full, resumed)


def test_resume_with_other_settings_is_refused(
    tmp_path: Path, scorer: TorchScorer, library_csv: Path, panel_fasta: Path
) -> None:
    from biomedfm.errors import InputError

    out = tmp_path / "x.csv"
    with pytest.raises(KeyboardInterrupt):
        run_screen(
            scorer, library_csv, panel_fasta, out, top=5, chunk_size=30,
            backend=_Interrupting(scorer, panel_fasta, after=1),
        )  # fmt: skip
    with pytest.raises(InputError, match="other settings"):
        run_screen(scorer, library_csv, panel_fasta, out, top=6, chunk_size=30, resume=True)


@pytest.mark.slow
def test_cli_resume_after_kill_9(tmp_path: Path, library_csv: Path, panel_fasta: Path) -> None:
    """A real SIGKILL mid-run, then ``--resume``: same hits as an uninterrupted CLI run."""
    base = [
        sys.executable, "-m", "biomedfm", "affinity", "screen", "-i", str(library_csv),
        "--target-fasta", str(panel_fasta), "--model", MODEL, "--top", "15",
        "--chunk-size", "3", "--workers", "0",
    ]  # fmt: skip
    subprocess.run([*base, "-o", str(tmp_path / "full.csv")], check=True, capture_output=True)
    out = tmp_path / "killed.csv"
    process = subprocess.Popen([*base, "-o", str(out)], stderr=subprocess.DEVNULL)
    state = tmp_path / "killed.csv.screen" / "state.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if state.is_file() and json.loads(state.read_text())["done"] >= 30:
            break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = json.loads(state.read_text())["done"]
    assert 30 <= done < 302, "the run should have been killed mid-way"
    subprocess.run([*base, "-o", str(out), "--resume"], check=True, capture_output=True)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "full.csv"), pd.read_csv(out))


def test_cli_screen_contract_and_errors(tmp_path: Path, library_csv: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "hits.csv"
    result = runner.invoke(
        app,
        [
            "affinity", "screen", "-i", str(library_csv), "-o", str(out), "--top", "3",
            "--target-sequence", "MKVLAAGIVALLLAAGCSSHHHHHHKK", "--workers", "0",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    hits = pd.read_csv(out)
    assert list(hits.columns)[:6] == [
        *("rank", "target", "compound_id", "smiles", "pred_pkd", "unc_pkd")
    ]
    assert hits["rank"].tolist() == [1, 2, 3]
    # a 27-residue peptide is no kinase: every hit is flagged and its interval widened
    assert not hits["in_domain"].any()
    assert (hits["unc_pkd"] >= load_model(MODEL).domain.out_of_domain_sigma - 1e-3).all()
    assert "300 scored, 2 invalid" in " ".join(result.output.split())
    bad = runner.invoke(
        app, ["affinity", "screen", "-i", str(library_csv), "-o", str(out),
              "--target-sequence", "MKV1"],
    )  # fmt: skip
    assert bad.exit_code == 2
    assert "non-amino-acid" in " ".join(bad.output.split())
    selectivity_without_panel = runner.invoke(
        app, ["affinity", "screen", "-i", str(library_csv), "-o", str(out), "--selectivity",
              "--target-sequence", "MKVLAAGIVALLLAAGCSSHHHHHHKK"],
    )  # fmt: skip
    assert selectivity_without_panel.exit_code == 2
    assert "panel" in selectivity_without_panel.output


def test_onnx_export_parity_fp32_and_int8(
    tmp_path: Path, scorer: TorchScorer, library_csv: Path, panel_fasta: Path
) -> None:
    pytest.importorskip("onnxruntime")
    from biomedfm.affinity.onnx_export import OnnxScorer, export_onnx

    model = load_model(MODEL)
    torch_hits = run_screen(scorer, library_csv, panel_fasta, tmp_path / "t.csv", top=300,
                            all_scores=tmp_path / "t.parquet")  # fmt: skip
    reference = pd.read_parquet(tmp_path / "t.parquet")
    for int8, tolerance in ((False, 1e-3), (True, 0.15)):
        directory = export_onnx(model, tmp_path / f"onnx{int8}", int8=int8)
        onnx = OnnxScorer.load(directory)
        run_screen(onnx, library_csv, panel_fasta, tmp_path / f"o{int8}.csv", top=300,  # type: ignore[arg-type]
                   all_scores=tmp_path / f"o{int8}.parquet")  # fmt: skip
        scores = pd.read_parquet(tmp_path / f"o{int8}.parquet")
        for column in ("pred_pkd_kin0", "unc_pkd_kin0"):
            delta = np.abs(scores[column] - reference[column]).max()
            assert delta < tolerance, (int8, column, delta)
    del torch_hits
    runner = CliRunner()
    result = runner.invoke(
        app, ["affinity", "export", "--model", MODEL, "-o", str(tmp_path / "cli"), "--int8"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / "scorer.onnx").is_file()


@pytest.mark.slow
def test_ray_backend_on_loopback_matches_in_process(
    tmp_path: Path, scorer: TorchScorer, library_csv: Path, panel_fasta: Path
) -> None:
    pytest.importorskip("ray")
    from biomedfm.affinity.screening.ray_backend import RayBackend

    local = run_screen(scorer, library_csv, panel_fasta, tmp_path / "l.csv", top=20, chunk_size=60)
    targets = read_targets(panel_fasta)
    ray_hits = run_screen(
        scorer, library_csv, panel_fasta, tmp_path / "r.csv", top=20, chunk_size=60,
        backend=RayBackend(MODEL, targets, workers=2),
    )  # fmt: skip
    pd.testing.assert_frame_equal(local, ray_hits)


def test_cli_unreadable_or_missing_library_is_a_clear_error(tmp_path: Path) -> None:
    runner = CliRunner()
    broken = tmp_path / "library.csv.gz"
    broken.write_text("not gzip at all")
    for library, message in ((broken, "cannot read"), (tmp_path / "none.smi", "does not exist")):
        result = runner.invoke(
            app,
            [
                "affinity", "screen", "-i", str(library), "-o", str(tmp_path / "h.csv"),
                "--target-sequence", "MKVLAAGIVALLLAAGCSSHHHHHHKK", "--workers", "0",
            ],
        )  # fmt: skip
        assert result.exit_code == 2
        assert message in " ".join(result.output.split())


def test_header_only_library_gives_empty_outputs(tmp_path: Path) -> None:
    library = tmp_path / "empty.csv"
    library.write_text("smiles,compound_id\n")
    result = CliRunner().invoke(
        app,
        [
            "affinity", "screen", "-i", str(library), "-o", str(tmp_path / "h.csv"),
            "--target-sequence", "MKVLAAGIVALLLAAGCSSHHHHHHKK", "--workers", "2",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "h.csv").empty
