"""Python SDK for a biomedfm service: one typed method per endpoint.

from biomedfm.client import Client
client = Client("http://127.0.0.1:8000", api_key="bmf_...")
client.predict([{"smiles": "CCO", "sequence": "MKV..."}], model="davis-lite").rows
chain = client.ask("Does X reduce Y?")            # waits for the job, returns the chain
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Literal

import httpx

from biomedfm.service.schemas import (
    Health,
    JobList,
    JobOut,
    ModelList,
    PredictResponse,
)


class ServiceError(Exception):
    """A refused or failed call: the HTTP status and the service's explanation."""

    def __init__(self, status: int, detail: Any) -> None:
        self.status = status
        self.detail = detail
        super().__init__(f"HTTP {status}: {_explain(detail)}")


def _unless_refused(job: JobOut) -> JobOut:
    """An upload the service could not use comes back as a job already failed, never run:
    raise its reason as the client mistake it is (422), as a refused request would be."""
    if job.status == "failed" and job.attempts == 0:
        raise ServiceError(422, job.error or "the service could not use the file")
    return job


def _explain(detail: Any) -> str:
    if isinstance(detail, list):
        return "; ".join(
            f"{'.'.join(str(part) for part in item.get('loc', []))}: {item.get('msg')}"
            for item in detail
            if isinstance(item, dict)
        )
    return str(detail)


class Client:
    """A connection to one service with one API key."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/api/v1",
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ServiceError(response.status_code, detail)
        return response

    @staticmethod
    def _idempotency(key: str | None) -> dict[str, str]:
        return {"Idempotency-Key": key} if key else {}

    def health(self) -> Health:
        return Health.model_validate(self._call("GET", "/health").json())

    def models(self) -> ModelList:
        return ModelList.model_validate(self._call("GET", "/models").json())

    def predict(self, pairs: list[dict[str, str]], model: str = "davis-lite") -> PredictResponse:
        """Score pairs now (up to the service's ``max_pairs``)."""
        body = {"model": model, "pairs": pairs}
        return PredictResponse.model_validate(
            self._call("POST", "/affinity/predict", json=body).json()
        )

    def submit_predict(
        self,
        pairs: list[dict[str, str]],
        model: str = "davis-lite",
        idempotency_key: str | None = None,
    ) -> JobOut:
        """A prediction job for large batches."""
        response = self._call(
            "POST",
            "/affinity/jobs",
            json={"model": model, "pairs": pairs},
            headers=self._idempotency(idempotency_key),
        )
        return JobOut.model_validate(response.json())

    def upload(
        self, csv_path: Path, model: str = "davis-lite", idempotency_key: str | None = None
    ) -> JobOut:
        """A prediction job from a CSV file with ``smiles`` and ``sequence`` columns.

        Raises:
            ServiceError: 422 when the service cannot use the file (it answers with a job
                that has already failed; its ``error``, naming the column or row, is the
                message)."""
        with csv_path.open("rb") as handle:
            response = self._call(
                "POST",
                "/affinity/upload",
                files={"file": (csv_path.name, handle, "text/csv")},
                data={"model": model},
                headers=self._idempotency(idempotency_key),
            )
        return _unless_refused(JobOut.model_validate(response.json()))

    def finetune(
        self,
        csv_path: Path,
        target_column: str | None = None,
        base: str = "kiba",
        target_sequence: str | None = None,
        sequence_column: str | None = None,
        epochs: int = 40,
        lite: bool = False,
        idempotency_key: str | None = None,
    ) -> JobOut:
        """A fine-tuning job on an assay CSV; its result's ``model`` (``ft-…``) then works as
        ``model`` everywhere. ``target_column`` defaults to the table's only numeric column;
        ``lite`` also makes the one-network student ``ft-…-lite`` (the result's ``lite``).

        Raises:
            ServiceError: 422 when the service cannot use the assay (as :meth:`upload`)."""
        fields = {
            "target_column": target_column,
            "base": base,
            "target_sequence": target_sequence,
            "sequence_column": sequence_column,
            "epochs": str(epochs),
            "lite": "true" if lite else None,
        }
        with csv_path.open("rb") as handle:
            response = self._call(
                "POST",
                "/affinity/finetune",
                files={"file": (csv_path.name, handle, "text/csv")},
                data={k: v for k, v in fields.items() if v is not None},
                headers=self._idempotency(idempotency_key),
            )
        return _unless_refused(JobOut.model_validate(response.json()))

    def screen(
        self,
        targets: list[dict[str, str]],
        compounds: list[dict[str, str]],
        top: int = 100,
        model: str = "davis-lite",
        idempotency_key: str | None = None,
    ) -> JobOut:
        """A screening job: ``targets`` [{name, sequence}], ``compounds`` [{id, smiles}]."""
        body = {"model": model, "targets": targets, "compounds": compounds, "top": top}
        response = self._call(
            "POST", "/affinity/screen", json=body, headers=self._idempotency(idempotency_key)
        )
        return JobOut.model_validate(response.json())

    def submit_ask(
        self,
        question: str,
        *,
        contexts: list[str] | None = None,
        smiles: str | None = None,
        sequence: str | None = None,
        model: str = "davis-lite",
        idempotency_key: str | None = None,
    ) -> JobOut:
        body: dict[str, Any] = {"question": question, "model": model}
        body.update(
            {
                k: v
                for k, v in {"contexts": contexts, "smiles": smiles, "sequence": sequence}.items()
                if v is not None
            }
        )
        response = self._call(
            "POST", "/evidence/ask", json=body, headers=self._idempotency(idempotency_key)
        )
        return JobOut.model_validate(response.json())

    def ask(self, question: str, timeout: float = 300.0, **options: Any) -> dict[str, Any]:
        """Ask and wait: the chain of evidence as a dict (see docs/evidence-chain.schema.json)."""
        job = self.wait(self.submit_ask(question, **options).id, timeout)
        result = self.result(job.id)
        assert isinstance(result, dict)
        chain: dict[str, Any] = result["chain"]
        return chain

    def dynamics(
        self,
        structure_path: Path,
        task: Literal["flexibility", "ensemble"] = "flexibility",
        *,
        conformers: int = 50,
        states: int = 5,
        idempotency_key: str | None = None,
    ) -> JobOut:
        """A dynamics job on a local PDB/mmCIF file (result: rows, or mmcif + states)."""
        body = {
            "structure": structure_path.read_text(),
            "format": "cif" if structure_path.suffix.lower() in (".cif", ".mmcif") else "pdb",
            "task": task,
            "conformers": conformers,
            "states": states,
        }
        response = self._call(
            "POST", "/dynamics", json=body, headers=self._idempotency(idempotency_key)
        )
        return JobOut.model_validate(response.json())

    def ingest(self, path: str) -> JobOut:
        """Index a corpus file that lies on the server (admin key)."""
        return JobOut.model_validate(
            self._call("POST", "/evidence/ingest", json={"path": path}).json()
        )

    def jobs(self, status: str | None = None, limit: int = 100) -> JobList:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        return JobList.model_validate(self._call("GET", "/jobs", params=params).json())

    def job(self, job_id: str) -> JobOut:
        return JobOut.model_validate(self._call("GET", f"/jobs/{job_id}").json())

    def cancel(self, job_id: str) -> JobOut:
        return JobOut.model_validate(self._call("POST", f"/jobs/{job_id}/cancel").json())

    def events(self, job_id: str) -> list[JobOut]:
        """Follow the job's server-sent events until it finishes; every state seen."""
        seen: list[JobOut] = []
        with self._http.stream("GET", f"/jobs/{job_id}/events", timeout=None) as response:
            if response.status_code >= 400:
                response.read()
                raise ServiceError(response.status_code, response.text)
            for line in response.iter_lines():
                if line.startswith("data: "):
                    seen.append(JobOut.model_validate(json.loads(line[6:])))
        return seen

    def wait(self, job_id: str, timeout: float = 300.0, poll: float = 0.25) -> JobOut:
        """Poll until the job finishes.

        Raises:
            ServiceError: the job failed or was cancelled (status 500/409), or timed out (408).
        """
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job.status == "succeeded":
                return job
            if job.status in ("failed", "cancelled"):
                raise ServiceError(500 if job.status == "failed" else 409, job.error or job.status)
            if time.monotonic() > deadline:
                raise ServiceError(408, f"job {job_id} still {job.status} after {timeout} s")
            time.sleep(poll)

    def result(self, job_id: str, format: Literal["json", "csv"] = "json") -> Any:
        """A succeeded job's result: parsed JSON, or CSV text."""
        response = self._call("GET", f"/jobs/{job_id}/result", params={"format": format})
        return response.json() if format == "json" else response.text
