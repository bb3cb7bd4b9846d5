"""Health and model listing: no key needed, so monitors and the web UI can call them."""

from __future__ import annotations

from fastapi import APIRouter

from biomedfm import __version__
from biomedfm.affinity.io import list_shipped_models, read_model_config
from biomedfm.service.deps import ServicesDep
from biomedfm.service.schemas import Examples, Health, ModelCard, ModelInfo, ModelList

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
