"""Dynamics as service jobs: flexibility rows (JSON and CSV) and an ensemble with states."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from biomedfm.client import Client, ServiceError
from tests.unit.dynamics.test_flexibility import globule_pdb


@pytest.mark.slow
def test_flexibility_and_ensemble_jobs(
    live_server: str, user_key: str, worker: Callable[[], object], tmp_path: Path
) -> None:
    worker()
    pdb = globule_pdb(tmp_path / "g.pdb", n=50)
    with Client(live_server, user_key) as client:
        job = client.dynamics(pdb)
        client.wait(job.id, timeout=90)
        rows = client.result(job.id)["rows"]
        assert len(rows) == 50
        assert {"chain", "resnum", "pred_flexibility", "pred_rmsf_angstrom"} <= set(rows[0])
        assert client.result(job.id, "csv").startswith("chain,resnum,resname")
        job = client.dynamics(pdb, "ensemble", conformers=6, states=2)
        client.wait(job.id, timeout=120)
        result = client.result(job.id)
        assert result["conformers"] == 6
        assert sum(s["population"] for s in result["states"]) == pytest.approx(1.0)
        assert result["mmcif"].startswith("data_")
        bad = tmp_path / "bad.pdb"
        bad.write_text("not a structure\n")
        failed = client.dynamics(bad)
        with pytest.raises(ServiceError, match=r"no model|not a readable|no protein"):
            client.wait(failed.id, timeout=60)
