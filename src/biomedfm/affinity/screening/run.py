"""One screening run: chunks in, running top-K per target, resumable state, outputs.

The library is read in chunks of ``chunk_size`` records; each chunk is featurized (in worker
processes), encoded once, scored against every target's cached embedding, and folded into a
running top-K per target. Memory is therefore flat in library size. After each chunk the run
commits its state (records done, the top-K tables, the invalid-molecule side file's length)
atomically into ``<output>.screen/``, so ``--resume`` after Ctrl-C or ``kill -9`` continues
from the last committed chunk and ends with the same result as an uninterrupted run: chunk
boundaries are fixed by the settings, and ties in the ranking are broken by library order.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biomedfm.affinity.library import count_records, read_library
from biomedfm.affinity.screening.scoring import ChunkScores, Scorer
from biomedfm.affinity.screening.targets import Target
from biomedfm.chem.molecules import to_mol
from biomedfm.errors import InputError

STATE_DIR_SUFFIX = ".screen"


@dataclass
class ScreenSettings:
    """Everything that changes a screen's result (hashed into the resume state)."""

    library: Path
    targets: list[Target]
    model: str
    top: int = 1000
    chunk_size: int = 10_000
    selectivity: bool = False
    smiles_column: str = "smiles"
    id_column: str | None = None
    all_scores: Path | None = None

    def digest(self) -> str:
        stat = self.library.stat()
        payload = {
            "library": [str(self.library.resolve()), stat.st_size, int(stat.st_mtime)],
            "targets": [[t.name, t.sequence] for t in self.targets],
            "model": self.model,
            "top": self.top,
            "chunk_size": self.chunk_size,
            "selectivity": self.selectivity,
            "columns": [self.smiles_column, self.id_column],
            "all_scores": str(self.all_scores) if self.all_scores else None,
        }
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:16]


@dataclass
class ScreenSummary:
    """Counts and speed of a finished screen."""

    n_records: int
    n_valid: int
    n_invalid: int
    seconds: float
    resumed_from: int
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def compounds_per_s(self) -> float:
        return (self.n_records - self.resumed_from) / self.seconds if self.seconds else 0.0


ProgressHook = Callable[[int, int, float], None]
"""Called after each chunk with (records done, records in the library, compounds/s)."""


class TopK:
    """The best ``k`` rows per ranking, ties broken by library order (so chunking is invisible)."""

    def __init__(self, k: int, tables: dict[str, pd.DataFrame]) -> None:
        self.k = k
        self.tables = tables

    def update(self, name: str, candidates: pd.DataFrame) -> None:
        current = self.tables[name]
        merged = (
            candidates if current.empty else pd.concat([current, candidates], ignore_index=True)
        )
        order = np.lexsort((merged["index"].to_numpy(), -merged["score"].to_numpy()))
        self.tables[name] = merged.iloc[order[: self.k]].reset_index(drop=True)


def _best_in_chunk(k: int, index: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Positions of the chunk's best ``k`` by score, ties by library order."""
    return np.lexsort((index, -score))[:k]


class Screen:
    """One screening run: ``run()`` streams the library and writes the outputs."""

    def __init__(self, settings: ScreenSettings, scorer: Scorer, output: Path) -> None:
        if settings.selectivity and len(settings.targets) < 2:
            raise InputError("--selectivity needs a panel: at least two targets in the FASTA")
        if settings.top < 1:
            raise InputError("--top must be at least 1")
        names = [t.name for t in settings.targets]
        if len(set(names)) != len(names):
            raise InputError("target names repeat: give each target a distinct name")
        self.settings = settings
        self.scorer = scorer
        self.output = output
        self.state_dir = output.with_name(output.name + STATE_DIR_SUFFIX)
        self.invalid_path = output.with_name(output.stem + ".invalid.csv")
        self.rankings = (
            ["selectivity"] if settings.selectivity else [t.name for t in settings.targets]
        )

    # state -----------------------------------------------------------------------------

    def _load_state(self, resume: bool) -> tuple[dict[str, Any], TopK]:
        empty = {name: pd.DataFrame(columns=self._columns()) for name in self.rankings}
        fresh = {
            "digest": self.settings.digest(),
            "done": 0,
            "valid": 0,
            "invalid": 0,
            "parts": 0,
            "generation": 0,
        }
        state_file = self.state_dir / "state.json"
        if resume and state_file.is_file():
            state = json.loads(state_file.read_text())
            if state["digest"] != fresh["digest"]:
                raise InputError(
                    f"{self.state_dir} belongs to a screen with other settings (library, "
                    "targets, model, --top or --chunk-size changed): rerun without --resume"
                )
            tables = {
                name: pd.read_parquet(self._top_path(state["generation"], i))
                for i, name in enumerate(self.rankings)
            }
            if not self.invalid_path.is_file():
                raise InputError(
                    f"{self.invalid_path} (this screen's invalid-molecule list) is gone: rerun "
                    "without --resume"
                )
            with self.invalid_path.open("r+b") as handle:  # drop rows of an uncommitted chunk
                handle.truncate(state["invalid_bytes"])
            return state, TopK(self.settings.top, tables)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.state_dir.mkdir(parents=True)
        self.invalid_path.write_text("index,compound_id,smiles,error\n")
        fresh["invalid_bytes"] = self.invalid_path.stat().st_size
        return fresh, TopK(self.settings.top, empty)

    def _top_path(self, generation: int, ranking: int) -> Path:
        return self.state_dir / f"top-{generation:06d}-{ranking}.parquet"

    def _commit(self, state: dict[str, Any], topk: TopK) -> None:
        """Make the chunk just folded durable; ``state.json`` is the one commit point.

        The top-K tables go to new files of the next generation first; only the atomic
        replace of ``state.json`` makes them current, so a kill at any moment leaves a
        consistent state (the previous generation) to resume from.
        """
        generation = int(state["generation"]) + 1
        for i, name in enumerate(self.rankings):
            topk.tables[name].to_parquet(self._top_path(generation, i), index=False)
        committed = {
            **state,
            "generation": generation,
            "invalid_bytes": self.invalid_path.stat().st_size,
        }
        self._publish(committed)
        state.update(committed)
        for i in range(len(self.rankings)):
            self._top_path(generation - 1, i).unlink(missing_ok=True)

    def _publish(self, state: dict[str, Any]) -> None:
        """The commit point: atomically replace ``state.json``."""
        tmp = self.state_dir / "state.json.tmp"
        tmp.write_text(json.dumps(state))
        tmp.replace(self.state_dir / "state.json")

    def _columns(self) -> list[str]:
        t = self.scorer.target
        columns = ["index", "compound_id", "smiles", "score", f"pred_{t}", f"unc_{t}"]
        if self.settings.selectivity:
            columns += ["off_target", f"pred_{t}_off_target"]
        return columns

    # per chunk ---------------------------------------------------------------------------

    def _fold(self, scored: ChunkScores, topk: TopK, state: dict[str, Any]) -> None:
        chunk, valid, t = scored.chunk, scored.valid, self.scorer.target
        index = chunk.start + valid
        ids = np.asarray(chunk.ids, dtype=object)[valid]
        smiles = np.asarray(chunk.smiles, dtype=object)[valid]
        if self.settings.selectivity:
            off = scored.mean[:, 1:]
            worst = off.argmax(axis=1)
            score = scored.mean[:, 0] - off.max(axis=1)
            best = _best_in_chunk(self.settings.top, index, score)
            off_sigma = scored.sigma[:, 1:][np.arange(len(worst)), worst]
            names = np.asarray([x.name for x in self.settings.targets[1:]], dtype=object)
            frame = pd.DataFrame(
                {
                    "index": index[best],
                    "compound_id": ids[best],
                    "smiles": smiles[best],
                    "score": score[best],
                    f"pred_{t}": scored.mean[best, 0],
                    f"unc_{t}": np.hypot(scored.sigma[best, 0], off_sigma[best]),
                    "off_target": names[worst[best]],
                    f"pred_{t}_off_target": off.max(axis=1)[best],
                }
            )
            topk.update("selectivity", frame)
        else:
            for column, target in enumerate(self.settings.targets):
                score = scored.mean[:, column]
                best = _best_in_chunk(self.settings.top, index, score)
                frame = pd.DataFrame(
                    {
                        "index": index[best],
                        "compound_id": ids[best],
                        "smiles": smiles[best],
                        "score": score[best],
                        f"pred_{t}": score[best],
                        f"unc_{t}": scored.sigma[best, column],
                    }
                )
                topk.update(target.name, frame)
        if scored.errors:
            rows = pd.DataFrame(
                {
                    "index": [chunk.start + p for p, _ in scored.errors],
                    "compound_id": [chunk.ids[p] for p, _ in scored.errors],
                    "smiles": [chunk.smiles[p] for p, _ in scored.errors],
                    "error": [e for _, e in scored.errors],
                }
            )
            rows.to_csv(self.invalid_path, mode="a", header=False, index=False)
        if self.settings.all_scores is not None:
            self._write_scores_part(scored, state["parts"])
            state["parts"] += 1
        state["done"] = chunk.start + len(chunk)
        state["valid"] += len(valid)
        state["invalid"] += len(scored.errors)

    def _score_columns(self) -> list[str]:
        t = self.scorer.target
        if len(self.settings.targets) == 1:
            return [f"pred_{t}", f"unc_{t}"]
        return [f"{kind}_{t}_{x.name}" for x in self.settings.targets for kind in ("pred", "unc")]

    def _write_scores_part(self, scored: ChunkScores, part: int) -> None:
        chunk, valid = scored.chunk, scored.valid
        data: dict[str, Any] = {
            "index": chunk.start + valid,
            "compound_id": np.asarray(chunk.ids, dtype=object)[valid],
            "smiles": np.asarray(chunk.smiles, dtype=object)[valid],
        }
        columns = iter(self._score_columns())
        for column in range(scored.mean.shape[1]):
            data[next(columns)] = scored.mean[:, column].astype(np.float32)
            data[next(columns)] = scored.sigma[:, column].astype(np.float32)
        parts = self.state_dir / "scores"
        parts.mkdir(exist_ok=True)
        pd.DataFrame(data).to_parquet(parts / f"part-{part:06d}.parquet", index=False)

    # outputs -----------------------------------------------------------------------------

    def _write_outputs(self, topk: TopK, state: dict[str, Any]) -> dict[str, str]:
        frames = []
        for name in self.rankings:
            table = topk.tables[name].copy()
            table.insert(0, "rank", np.arange(1, len(table) + 1))
            table.insert(
                1, "target", self.settings.targets[0].name if name == "selectivity" else name
            )
            if self.settings.selectivity:
                table = table.rename(columns={"score": "selectivity"})
            else:
                table = table.drop(columns=["score"])
            frames.append(table.drop(columns=["index"]))
        hits = self._with_domain(pd.concat(frames, ignore_index=True))
        for column in hits.columns:
            if column.startswith(("pred_", "unc_")) or column == "selectivity":
                hits[column] = hits[column].astype(float).round(4)
        self.output.parent.mkdir(parents=True, exist_ok=True)
        hits.to_csv(self.output, index=False)
        outputs = {"hits": str(self.output), "invalid": str(self.invalid_path)}
        if self.settings.all_scores is not None:
            self._merge_scores(self.settings.all_scores, state["parts"])
            outputs["all_scores"] = str(self.settings.all_scores)
        return outputs

    def _with_domain(self, hits: pd.DataFrame) -> pd.DataFrame:
        """Applicability-domain columns for the hits, σ widened outside the domain.

        Only the hits are assessed (a similarity search per compound would cost more than
        scoring it); ``--all-scores`` output carries the ensemble σ alone.
        """
        domain = getattr(self.scorer, "domain", None)
        if domain is None or hits.empty:
            return hits
        sequences = {x.name: x.sequence for x in self.settings.targets}
        evidence = domain.assess(
            [to_mol(s) for s in hits["smiles"]], [sequences[n] for n in hits["target"]]
        )
        unc = f"unc_{self.scorer.target}"
        hits[unc] = domain.widen(hits[unc].to_numpy(dtype=np.float64), evidence)
        for name, values in evidence.columns().items():
            hits[name] = values
        return hits

    def _merge_scores(self, destination: Path, n_parts: int) -> None:
        """Concatenate the per-chunk parts into one Parquet file, one part in memory at a time."""
        import pyarrow.parquet as pq

        destination.parent.mkdir(parents=True, exist_ok=True)
        parts = [self.state_dir / "scores" / f"part-{i:06d}.parquet" for i in range(n_parts)]
        writer = None
        try:
            for part in parts:
                table = pq.read_table(part)
                if writer is None:
                    writer = pq.ParquetWriter(str(destination), table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()

    def run(
        self,
        backend: Any,
        *,
        resume: bool = False,
        progress: ProgressHook | None = None,
        total: int | None = None,
    ) -> ScreenSummary:
        """Screen the library (or its rest, with ``resume``) and write the outputs."""
        state, topk = self._load_state(resume)
        resumed_from = int(state["done"])
        total = total if total is not None else count_records(self.settings.library)
        chunks = read_library(
            self.settings.library,
            chunk_size=self.settings.chunk_size,
            skip=resumed_from,
            smiles_column=self.settings.smiles_column,
            id_column=self.settings.id_column,
        )
        started = time.perf_counter()
        for scored in backend.map(chunks):
            self._fold(scored, topk, state)
            self._commit(state, topk)
            if progress is not None:
                elapsed = max(time.perf_counter() - started, 1e-9)
                progress(int(state["done"]), total, (state["done"] - resumed_from) / elapsed)
        seconds = time.perf_counter() - started
        outputs = self._write_outputs(topk, state)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        return ScreenSummary(
            n_records=int(state["done"]),
            n_valid=int(state["valid"]),
            n_invalid=int(state["invalid"]),
            seconds=seconds,
            resumed_from=resumed_from,
            outputs=outputs,
        )
