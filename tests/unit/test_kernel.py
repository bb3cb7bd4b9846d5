"""The Tanimoto-kernel regressor a fine-tuned model averages with its ensemble."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.svm import SVR

from biomedfm.affinity.domain import fingerprint
from biomedfm.affinity.io import load_model
from biomedfm.affinity.kernel import (
    KERNEL_FILE,
    KernelRegressor,
    choose_c,
    out_of_fold,
    tanimoto_matrix,
)
from biomedfm.affinity.library import LibraryChunk
from biomedfm.affinity.screening import TorchScorer, featurize_smiles, score_chunk
from biomedfm.chem.featurizers import make_featurizer
from biomedfm.chem.molecules import to_mol
from biomedfm.errors import InputError
from tests.conftest import random_sequences
from tests.screening.conftest import library_smiles

SMILES = library_smiles(5)  # 60 distinct molecules
MOLS = [to_mol(s) for s in SMILES]
Y = np.array([5.0 + 0.05 * i + (0.8 if "Cl" in s else 0.0) for i, s in enumerate(SMILES)])
TARGET, OTHER = random_sequences(2, 3)


def test_the_regressor_is_the_benchmarks_svm_on_ecfp() -> None:
    """Same kernel, same C search, same fit: the product predicts what the benchmark scored."""
    kernel = KernelRegressor.fit(MOLS[:40], [TARGET] * 40, Y[:40])
    fps = [fingerprint(m) for m in MOLS]
    gram = tanimoto_matrix(fps[:40], fps[:40])
    reference = SVR(kernel="precomputed", C=choose_c(gram, Y[:40])).fit(gram, Y[:40])
    expected = reference.predict(tanimoto_matrix(fps[40:], fps[:40]))
    np.testing.assert_allclose(kernel.targets[TARGET].predict(fps[40:]), expected, atol=1e-9)


def test_blend_averages_only_where_the_target_has_a_regressor(tmp_path: Path) -> None:
    kernel = KernelRegressor.fit(MOLS[:40], [TARGET] * 40, Y[:40])
    ensemble = np.full(4, 7.0)
    mols = MOLS[40:44]
    blended = kernel.blend(ensemble, mols, [TARGET, OTHER, TARGET, OTHER])
    svr = kernel.targets[TARGET].predict([fingerprint(m) for m in mols])
    np.testing.assert_allclose(blended[[0, 2]], 0.5 * (7.0 + svr[[0, 2]]))
    np.testing.assert_allclose(blended[[1, 3]], 7.0)  # a target it never saw: the ensemble
    kernel.save(tmp_path)
    with np.load(tmp_path / KERNEL_FILE, allow_pickle=False) as stored:  # no pickles inside
        assert "support_0" in stored
    loaded = KernelRegressor.load(tmp_path)
    assert loaded is not None
    np.testing.assert_allclose(loaded.blend(ensemble, mols, [TARGET, OTHER] * 2), blended)
    assert KernelRegressor.load(tmp_path / "nothing-here") is None


def test_a_damaged_kernel_file_is_named(tmp_path: Path) -> None:
    (tmp_path / KERNEL_FILE).write_bytes(b"not an npz")
    with pytest.raises(InputError, match="not a readable kernel regressor"):
        KernelRegressor.load(tmp_path)


def test_targets_with_too_few_compounds_get_no_regressor() -> None:
    kernel = KernelRegressor.fit(MOLS[:45], [TARGET] * 30 + [OTHER] * 15, Y[:45])
    assert list(kernel.targets) == [TARGET]


def test_out_of_fold_predictions_never_see_their_own_fold() -> None:
    folds = np.arange(60) % 5
    oof = out_of_fold(MOLS, [TARGET] * 60, Y, folds)
    assert np.isfinite(oof).all()
    fps = [fingerprint(m) for m in MOLS]
    inside = folds == 0
    fitted = KernelRegressor.fit(
        [m for m, i in zip(MOLS, inside, strict=True) if not i], [TARGET] * 48, Y[~inside]
    )
    own = fitted.targets[TARGET].predict([f for f, i in zip(fps, inside, strict=True) if i])
    np.testing.assert_allclose(oof[inside], own, atol=1e-9)
    poisoned = Y.copy()
    poisoned[inside] += 100.0  # the fold's own labels cannot move its predictions
    np.testing.assert_allclose(out_of_fold(MOLS, [TARGET] * 60, poisoned, folds)[inside], own)
    few = out_of_fold(MOLS[:30], [TARGET] * 10 + [OTHER] * 20, Y[:30], np.arange(30) % 5)
    assert np.isnan(few[:10]).all()  # 10 compounds: no regressor
    assert np.isnan(few[10:]).all()  # 20, but 16 left outside each fold: none


def test_screening_scores_what_predict_says() -> None:
    """A model with a kernel ranks a library by the same blend its pair predictions give."""
    model = load_model("davis-lite")
    model.kernel = KernelRegressor.fit(MOLS[:40], [TARGET] * 40, Y[:40])
    scorer = TorchScorer(model)
    targets = scorer.encode_targets([TARGET, OTHER])
    library = [*SMILES[40:], "C1CC("]
    chunk = LibraryChunk(0, [str(i) for i in range(len(library))], library)
    featurizer = make_featurizer("drug", scorer.drug_featurizer_spec)
    scored = score_chunk(scorer, targets, chunk, featurize_smiles(library, {}, featurizer))
    assert len(scored.errors) == 1  # the bad SMILES is reported, the rest scored
    for column, sequence in enumerate((TARGET, OTHER)):
        pairs = model.predict(SMILES[40:], [sequence] * 20)
        np.testing.assert_allclose(scored.mean[:, column], pairs.mean, atol=1e-4)
    model.kernel = None
    plain = model.predict(SMILES[40:], [TARGET] * 20).mean
    assert np.abs(scored.mean[:, 0] - plain).max() > 1e-3  # the kernel did move the scores


def test_an_exported_onnx_model_keeps_the_blend(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from biomedfm.affinity.onnx_export import OnnxScorer, export_onnx

    model = load_model("davis-lite")
    model.kernel = KernelRegressor.fit(MOLS[:40], [TARGET] * 40, Y[:40])
    library = SMILES[40:]
    before = model.predict(library, [TARGET] * len(library)).mean
    onnx = OnnxScorer(export_onnx(model, tmp_path / "onnx"))
    assert onnx.kernel is not None
    assert not model.net.training  # exporting leaves the model as it was (no dropout)
    np.testing.assert_allclose(model.predict(library, [TARGET] * len(library)).mean, before)
    chunk = LibraryChunk(0, [str(i) for i in range(len(library))], library)
    featurizer = make_featurizer("drug", onnx.drug_featurizer_spec)
    scored = score_chunk(
        onnx,  # type: ignore[arg-type]
        onnx.encode_targets([TARGET]),
        chunk,
        featurize_smiles(library, {}, featurizer),
    )
    expected = model.predict(library, [TARGET] * len(library)).mean
    np.testing.assert_allclose(scored.mean[:, 0], expected, atol=1e-3)
