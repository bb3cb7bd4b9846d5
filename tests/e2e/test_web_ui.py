"""The web UI in headless Chromium (Debian's chromium, driven by Playwright).

Screenshots are kept under ``test-artifacts/e2e/`` for review.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from biomedfm.config import get_settings
from tests.service.conftest import (  # noqa: F401  (fixtures used by name)
    SEQUENCE,
    admin_key,
    home,
    keys,
    live_server,
    user_key,
    worker,
)
from tests.unit.dynamics.test_flexibility import globule_pdb

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (.ci/run does)"),
]


@pytest.fixture
def page(live_server: str) -> Iterator[Any]:  # noqa: F811
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(live_server)
        yield page
        browser.close()


def sign_in(page: Any, key: str) -> None:
    """Paste the API key as a user does (the UI stores it on change)."""
    page.get_by_test_id("api-key").fill(key)
    page.get_by_test_id("api-key").dispatch_event("change")


def test_predict_sort_ask_and_jobs_in_the_browser(
    page: Any,
    user_key: str,  # noqa: F811
    worker: Callable[[], object],  # noqa: F811
) -> None:
    worker()
    page.get_by_test_id("health").filter(has_text="queue sqlite").wait_for()
    sign_in(page, user_key)

    pairs = "\n".join(
        ["id,smiles,sequence"]
        + [
            f"{name},{smiles},{SEQUENCE}"
            for name, smiles in [
                ("ethanol", "CCO"),
                ("phenol", "c1ccccc1O"),
                ("aspirin", "CC(=O)Oc1ccccc1C(=O)O"),
                ("broken", "C1CC"),
            ]
        ]
    )
    page.get_by_test_id("predict-pairs").fill(pairs)
    page.get_by_test_id("predict-run").click()
    page.get_by_test_id("predict-status").filter(has_text="4 pair(s) scored").wait_for()
    table = page.get_by_test_id("predict-table")
    assert table.locator("tbody tr").count() == 4
    assert page.get_by_test_id("predict-plot").locator("svg").count() == 2
    assert "1 invalid" in page.get_by_test_id("predict-status").inner_text()
    # ethanol, phenol and aspirin are nothing like the kinase inhibitors davis-lite learned from
    assert "3 of 3 pairs are outside" in page.get_by_test_id("domain-warning").inner_text()
    assert table.locator("tbody tr.ood").count() == 3
    table.locator("th", has_text="pred_pkd").click()  # sort descending by prediction
    headers = [h.split(" ")[0] for h in table.locator("th").all_inner_texts()]
    column = headers.index("pred_pkd") + 1
    cells = table.locator(f"tbody tr td:nth-child({column})").all_inner_texts()
    values = [float(v) for v in cells if v]
    assert len(values) == 3
    assert values == sorted(values, reverse=True)
    page.screenshot(path=str(ARTIFACTS / "predict.png"), full_page=True)

    page.locator("nav .tab", has_text="Evidence").click()
    page.get_by_test_id("ask-question").fill("Does drug Z reduce migraine frequency?")
    page.locator("#tab-evidence details summary").click()
    page.get_by_test_id("ask-contexts").fill(
        "In a randomized controlled trial of 300 adults, drug Z significantly reduced monthly "
        "migraine days compared with placebo (p < 0.01).\n\nA retrospective cohort of 120 "
        "patients found no significant difference in migraine frequency with drug Z."
    )
    page.get_by_test_id("ask-run").click()
    decision = page.get_by_test_id("decision")
    decision.wait_for(timeout=90_000)
    assert decision.inner_text() in {"yes", "no", "maybe"}
    chain = page.get_by_test_id("ask-chain")
    assert chain.locator(".side.supports").count() == 1
    assert chain.locator(".side.contradicts").count() == 1
    quote = chain.get_by_test_id("quote").first
    assert quote.locator("blockquote").is_visible()  # the text itself, not only a badge
    assert "drug Z" in quote.locator("blockquote").inner_text()
    assert "p=" in quote.locator(".p-stance").inner_text()  # the reader's stance probability
    assert chain.locator(".level").count() >= 1
    assert "Why" in chain.get_by_test_id("why").inner_text()
    page.screenshot(path=str(ARTIFACTS / "evidence.png"), full_page=True)

    page.locator("nav .tab", has_text="Trial finding").click()
    page.get_by_test_id("effect-example").click()
    page.get_by_test_id("effect-run").click()
    label = page.get_by_test_id("effect-label")
    label.wait_for(timeout=60_000)
    assert label.inner_text() == "no difference"
    highlighted = page.get_by_test_id("effect-quote").inner_text()
    assert highlighted in page.get_by_test_id("effect-text").input_value()
    page.screenshot(path=str(ARTIFACTS / "effect.png"), full_page=True)

    page.locator("nav .tab", has_text="Jobs").click()
    jobs = page.get_by_test_id("jobs-table")
    jobs.locator("td", has_text="evidence-ask").wait_for()
    assert jobs.locator("td.st-succeeded").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "jobs.png"), full_page=True)

    page.locator("nav .tab", has_text="Models").click()
    cards = page.get_by_test_id("model-card")
    assert cards.count() >= 8  # 4 affinity, 3 evidence, 1 dynamics
    davis = cards.filter(has_text="affinity · davis 2026.11")
    davis.locator("summary").click()
    assert "Kinases only" in davis.locator("pre").inner_text()
    page.screenshot(path=str(ARTIFACTS / "models.png"), full_page=True)


def test_a_newcomer_runs_the_examples_and_tells_rows_apart(
    page: Any,
    user_key: str,  # noqa: F811
    worker: Callable[[], object],  # noqa: F811
) -> None:
    worker()
    sign_in(page, user_key)
    page.get_by_test_id("predict-example").click()
    page.wait_for_function("document.querySelector('#predict-pairs').value.length > 0")
    page.get_by_test_id("predict-run").click()
    page.get_by_test_id("predict-status").filter(has_text="9 pair(s) scored").wait_for()
    table = page.get_by_test_id("predict-table")
    headers = [h.split(" ")[0] for h in table.locator("th").all_inner_texts()]
    assert headers[:3] == ["structure", "id", "target"]  # the target named in every row
    targets = table.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert set(targets) == {"ABL1", "EGFR", "SRC"}
    picture = table.locator("tbody tr td.mol img").first
    picture.wait_for()
    page.wait_for_function("document.querySelector('td.mol img').naturalWidth > 0")
    page.get_by_test_id("predict-table-filter").fill("EGFR")
    page.get_by_test_id("predict-table-filter").dispatch_event("change")
    assert table.locator("tbody tr").count() == 3  # the three drugs against EGFR
    assert "3 of 9 rows" in table.inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("predict-table-csv").click()
    saved = Path(download.value.path()).read_text().splitlines()
    assert saved[0].startswith("id,target,smiles,pred_pkd,unc_pkd,in_domain")
    assert len(saved) == 10
    page.screenshot(path=str(ARTIFACTS / "predict-example.png"), full_page=True)

    page.locator("nav .tab", has_text="Screen").click()
    page.get_by_test_id("screen-example").click()
    page.wait_for_function("document.querySelector('#screen-compounds').value.length > 0")
    page.get_by_test_id("screen-run").click()
    hits = page.get_by_test_id("screen-table")
    hits.locator("tbody tr").first.wait_for(timeout=90_000)
    assert set(hits.locator("tbody tr td:nth-child(3)").all_inner_texts()) == {"ABL1", "EGFR"}
    assert "imatinib" in hits.inner_text()
    page.screenshot(path=str(ARTIFACTS / "screen-example.png"), full_page=True)

    page.locator("nav .tab", has_text="Evidence").click()
    page.get_by_test_id("ask-example").click()
    page.wait_for_function("document.querySelector('#ask-question').value.includes('aripiprazole')")
    page.get_by_test_id("ask-run").click()
    page.get_by_test_id("ask-status").filter(has_text="no evidence corpus").wait_for()


@pytest.fixture
def example_data(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """A data folder of the shared layout, made here: the example structure and assay."""
    data = tmp_path / "data"
    (data / "dynamics" / "bfactor").mkdir(parents=True)
    globule_pdb(data / "dynamics" / "bfactor" / "1BGF_CA.pdb", n=40)
    (data / "moleculeace").mkdir()
    rows = [f"{'C' * k}O,{5 + 0.1 * k:.2f},0" for k in range(1, 31)]
    (data / "moleculeace" / "CHEMBL1871_Ki_train.csv").write_text(
        "smiles,pki,cliff_mol\n" + "\n".join(rows) + "\n"
    )
    (data / "moleculeace" / "targets.csv").write_text(
        "dataset,chembl_id,target,abbreviation,measure,target_class,train_compounds,"
        f"test_compounds,uniprot,sequence\nCHEMBL1871_Ki,CHEMBL1871,Androgen Receptor,AR,Ki,NR,"
        f"30,0,P10275,{SEQUENCE}\n"
    )
    monkeypatch.setenv("BIOMEDFM_DATA", str(data))
    get_settings.cache_clear()
    return data


def test_a_newcomer_fine_tunes_and_profiles_from_the_examples(
    example_data: Path,
    page: Any,
    user_key: str,  # noqa: F811
    worker: Callable[[], object],  # noqa: F811
) -> None:
    worker()
    sign_in(page, user_key)

    page.locator("nav .tab", has_text="Fine-tune").click()
    page.get_by_test_id("finetune-example").click()
    page.get_by_test_id("finetune-example-name").filter(has_text="CHEMBL1871_Ki").wait_for()
    assert page.get_by_test_id("finetune-sequence").input_value() == SEQUENCE
    page.get_by_test_id("finetune-epochs").fill("3")
    page.get_by_test_id("finetune-lite").check()
    page.get_by_test_id("finetune-run").click()
    model = page.get_by_test_id("finetune-model")
    model.wait_for(timeout=180_000)
    assert "learned 30 compounds" in model.inner_text()
    name = model.locator("b").first.inner_text()
    assert name.startswith("ft-")
    assert f"{name}-lite" in page.get_by_test_id("finetune-lite-model").inner_text()
    page.screenshot(path=str(ARTIFACTS / "finetune.png"), full_page=True)
    page.get_by_test_id("finetune-use").click()
    assert page.get_by_test_id("predict-model").input_value() == name
    page.get_by_test_id("predict-run").click()
    page.get_by_test_id("predict-status").filter(has_text="2 pair(s) scored").wait_for()
    assert "pred_pki" in page.get_by_test_id("predict-table").inner_text()

    page.locator("nav .tab", has_text="Dynamics").click()
    page.get_by_test_id("dynamics-example").click()
    page.wait_for_function("document.querySelector('#dynamics-structure').value.includes('ATOM')")
    page.get_by_test_id("dynamics-run").click()
    table = page.get_by_test_id("dynamics-table")
    table.locator("tbody tr").first.wait_for(timeout=90_000)
    assert table.locator("tbody tr").count() == 40
    assert page.locator("#dynamics-plot path.profile").count() == 1
    page.screenshot(path=str(ARTIFACTS / "dynamics.png"), full_page=True)


def test_bad_key_shows_a_clear_error(page: Any) -> None:
    sign_in(page, "bmf_wrong_key")
    page.get_by_test_id("predict-pairs").fill(f"smiles,sequence\nCCO,{SEQUENCE}")
    page.get_by_test_id("predict-run").click()
    status = page.get_by_test_id("predict-status")
    status.filter(has_text="401").wait_for()
    assert "invalid or revoked API key" in status.inner_text()


def test_an_unusable_upload_says_which_column_to_fix(page: Any, user_key: str) -> None:  # noqa: F811
    """A CSV without a sequence column: the service's failed job, read out at once."""
    sign_in(page, user_key)
    page.get_by_test_id("predict-file").set_input_files(
        {"name": "pairs.csv", "mimeType": "text/csv", "buffer": b"smiles,protein\nCCO,MKT\n"}
    )
    page.get_by_test_id("predict-upload").click()
    status = page.get_by_test_id("predict-status")
    status.filter(has_text="cannot be used").wait_for()
    assert "lacks column(s) sequence; found smiles, protein" in status.inner_text()
