"""Health and model listing: no key needed, so monitors and the web UI can call them."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, HTTPException, Query, Response

from biomedfm import __version__
from biomedfm.affinity.io import list_shipped_models, read_model_config
from biomedfm.service.deps import ServicesDep
from biomedfm.service.schemas import Examples, Health, ModelCard, ModelInfo, ModelList, Problem

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
def models() -> ModelList:
    """The shipped affinity models, and the card of every shipped model."""
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
    return ModelList(models=infos, cards=cards)


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
    return Examples(
        pairs_csv="\n".join(rows),
        screen_fasta="\n".join(
            f">{t}\n{q}" for t, q in zip(targets["protein"], targets["sequence"], strict=True)
        ),
        screen_compounds="\n".join(library),
        question="Do statins reduce the risk of stroke in elderly patients?",
    )


@lru_cache(maxsize=4096)
def _depiction(smiles: str, size: int) -> str:
    from rdkit.Chem.Draw import rdMolDraw2D

    from biomedfm.chem.molecules import to_mol

    drawer = rdMolDraw2D.MolDraw2DSVG(size, size)
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, to_mol(smiles))
    drawer.FinishDrawing()
    return str(drawer.GetDrawingText())


@router.get(
    "/depict",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "The 2D structure, SVG."},
        422: {"model": Problem, "description": "Not a parseable SMILES."},
    },
)
def depict(
    smiles: str = Query(min_length=1, max_length=1000, description="The molecule, SMILES."),
    size: int = Query(160, ge=40, le=800, description="Width and height in pixels."),
) -> Response:
    """A 2D depiction drawn by RDKit on the server (cached), for results tables."""
    from biomedfm.errors import InputError

    try:
        svg = _depiction(smiles.strip(), size)
    except InputError as error:
        raise HTTPException(422, str(error)) from None
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
