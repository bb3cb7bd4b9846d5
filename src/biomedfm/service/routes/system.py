"""Health and model listing: no key needed, so monitors and the web UI can call them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Query, Response

from biomedfm import __version__
from biomedfm.affinity.io import list_shipped_models, read_model_config
from biomedfm.service.deps import ServicesDep
from biomedfm.service.models import list_finetuned
from biomedfm.service.schemas import (
    Examples,
    FinetunedModel,
    Health,
    ModelCard,
    ModelInfo,
    ModelList,
)

router = APIRouter(tags=["system"])


@router.get("/health")
def health(services: ServicesDep) -> Health:
    """Liveness plus which engines this instance runs on."""
    from biomedfm.service.evidence_corpus import count_documents

    return Health(
        status="ok",
        version=__version__,
        queue="redis" if services.settings.queue_url else "sqlite",
        database=services.queue.store.engine.dialect.name,
        evidence_documents=count_documents(services.settings.home / "evidence-index"),
    )


@router.get("/models")
def models(services: ServicesDep) -> ModelList:
    """The shipped affinity models, the card of every shipped model, and the models fine-tuned
    through this service."""
    from biomedfm.model_cards import shipped_models

    infos = []
    for name in list_shipped_models():
        config = read_model_config(name)
        infos.append(
            ModelInfo(
                name=name,
                target=config.target,
                members=config.net.n_members,
                lite=name.endswith("-lite"),
                version=config.version,
            )
        )
    cards = [
        ModelCard(
            kind=m.kind,
            name=m.name,
            version=m.version,
            size_mb=m.size_mb,
            summary=m.summary,
            card=m.card,
        )
        for m in shipped_models()
    ]
    finetuned = [FinetunedModel(**m) for m in list_finetuned(services.settings.home)]
    return ModelList(models=infos, cards=cards, finetuned=finetuned)


@router.get("/examples")
def examples() -> Examples:
    """Inputs a newcomer can load with one click: shipped kinase-inhibitor pairs, a library
    of their compounds and a few decoys against two kinases, and a question."""
    from biomedfm.affinity.demo import demo_pairs

    pairs = demo_pairs()
    rows = ["id,target,smiles,sequence"] + [
        f"{d},{t},{s},{q}"
        for d, t, s, q in zip(
            pairs["drug"], pairs["protein"], pairs["smiles"], pairs["sequence"], strict=True
        )
    ]
    targets = pairs.drop_duplicates("protein").head(2)
    drugs = pairs.drop_duplicates("drug")
    library = [f"{s} {d}" for s, d in zip(drugs["smiles"], drugs["drug"], strict=True)] + [
        "CC(=O)Oc1ccccc1C(=O)O aspirin",
        "CN1C=NC2=C1C(=O)N(C(=O)N2C)C caffeine",
        "CC(C)Cc1ccc(cc1)C(C)C(=O)O ibuprofen",
    ]
    structure, assay = _example_structure(), _example_assay()
    return Examples(
        pairs_csv="\n".join(rows),
        screen_fasta="\n".join(
            f">{t}\n{q}" for t, q in zip(targets["protein"], targets["sequence"], strict=True)
        ),
        screen_compounds="\n".join(library),
        question=EXAMPLE_QUESTION,
        structure=structure[1] if structure else None,
        structure_name=structure[0] if structure else None,
        assay_csv=assay[1] if assay else None,
        assay_target_sequence=assay[2] if assay else None,
        assay_name=assay[0] if assay else None,
    )


EXAMPLE_QUESTION = "Is aripiprazole a new risk factor for pathological gambling?"
"""A question the PubMedQA corpus of ``make run`` answers: yes, with three supporting quotes
from one study (graded a prospective cohort, level 3), one of them its finding."""
EXAMPLE_STRUCTURE = "dynamics/bfactor/1BGF_CA.pdb"
EXAMPLE_ASSAY = ("moleculeace/CHEMBL1871_Ki_train.csv", "CHEMBL1871_Ki")


def _data_file(relative: str) -> Path | None:
    """A file of the data folder (BIOMEDFM_DATA or ../shared/data), None without one: the
    examples that need real measurements are taken from there, never copied into the package."""
    from biomedfm.config import resolve_data_dir
    from biomedfm.errors import InputError

    try:
        path = resolve_data_dir(None) / relative
    except InputError:
        return None
    return path if path.is_file() else None


def _example_structure() -> tuple[str, str] | None:
    path = _data_file(EXAMPLE_STRUCTURE)
    if path is None:
        return None
    text = path.read_text()
    residues = sum(
        line.startswith("ATOM") and line[12:16].strip() == "CA" for line in text.splitlines()
    )
    return f"{path.name}, {residues} C-alpha atoms (B-factor benchmark set)", text


def _example_assay() -> tuple[str, str, str] | None:
    """(name, smiles,pki CSV, target sequence) of a non-kinase ChEMBL assay."""
    import csv

    import pandas as pd

    path, targets = _data_file(EXAMPLE_ASSAY[0]), _data_file("moleculeace/targets.csv")
    if path is None or targets is None:
        return None
    with targets.open(newline="") as handle:
        row = next((r for r in csv.DictReader(handle) if r["dataset"] == EXAMPLE_ASSAY[1]), None)
    if row is None:
        return None
    frame = pd.read_csv(path)[["smiles", "pki"]]
    name = (
        f"{row['dataset']}: {row['target']} ({row['target_class']}), pKi, "
        f"{len(frame)} compounds of the MoleculeACE train split"
    )
    return name, frame.to_csv(index=False), row["sequence"]


@lru_cache(maxsize=4096)
def _depiction(smiles: str, size: int) -> str:
    from rdkit.Chem.Draw import rdMolDraw2D

    from biomedfm.chem.molecules import to_mol

    drawer = rdMolDraw2D.MolDraw2DSVG(size, size)
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, to_mol(smiles))
    drawer.FinishDrawing()
    return str(drawer.GetDrawingText())


def _placeholder(reason: str, size: int) -> str:
    """The picture shown in a results table for a SMILES that cannot be drawn."""
    from html import escape

    words = escape(reason[:60])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}"><title>{escape(reason)}</title>'
        f'<rect width="{size}" height="{size}" fill="#f4f4f4" stroke="#c33"/>'
        f'<text x="50%" y="50%" text-anchor="middle" font-size="{max(8, size // 14)}" '
        f'fill="#c33">{words}</text></svg>'
    )


@router.get(
    "/depict",
    response_class=Response,
    responses={
        200: {
            "content": {"image/svg+xml": {}},
            "description": "The 2D structure, SVG. A SMILES RDKit cannot parse gets a placeholder "
            "picture that names the problem, with the header X-Depiction-Error holding it too "
            "(a results table then shows why, not a broken image).",
        },
    },
)
def depict(
    smiles: str = Query(min_length=1, max_length=1000, description="The molecule, SMILES."),
    size: int = Query(160, ge=40, le=800, description="Width and height in pixels."),
) -> Response:
    """A 2D depiction drawn by RDKit on the server (cached), for results tables."""
    from biomedfm.errors import InputError

    headers = {"Cache-Control": "max-age=86400"}
    try:
        svg = _depiction(smiles.strip(), size)
    except InputError as error:
        reason = str(error)
        svg = _placeholder(reason, size)
        headers["X-Depiction-Error"] = reason.encode("ascii", "replace").decode()[:300]
    return Response(svg, media_type="image/svg+xml", headers=headers)
