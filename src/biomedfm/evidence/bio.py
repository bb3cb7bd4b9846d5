"""Bio evidence: a binding-affinity prediction entered into a chain as graded evidence.

A prediction is evidence of the weakest kind — Oxford CEBM level 5, design "computational
prediction", ``experimental=False`` — and its citation quotes the model's own output, value and
calibrated 90% interval, so a reader can never mistake it for a measured affinity.
"""

from __future__ import annotations

from biomedfm.affinity.io import load_model
from biomedfm.affinity.model import Z90
from biomedfm.chem.molecules import validate_smiles
from biomedfm.chem.sequences import validate_sequence
from biomedfm.evidence.appraisal import EVIDENCE_LEVEL, StudyDesign
from biomedfm.evidence.chain import Citation, Claim


def affinity_claim(smiles: str, sequence: str, model_name: str = "davis") -> Claim:
    """Predict one (molecule, target) pair and state it as a labelled, non-experimental claim.

    Raises:
        InputError: invalid SMILES or sequence, or an unknown model.
    """
    smiles = validate_smiles(smiles)
    sequence = validate_sequence(sequence)
    model = load_model(model_name)
    prediction = model.predict([smiles], [sequence])
    mean, sigma = float(prediction.mean[0]), float(prediction.sigma[0])
    low, high = mean - Z90 * sigma, mean + Z90 * sigma
    quote = (
        f"predicted {model.target} {mean:.2f} ± {sigma:.2f} (90% interval {low:.2f} to "
        f"{high:.2f}) by model {model.config.name}; not an experimental measurement"
    )
    design = StudyDesign.COMPUTATIONAL
    return Claim(
        text=f"Computational prediction of binding ({model.target}) for {smiles} against the "
        f"given target sequence ({len(sequence)} residues)",
        citations=[
            Citation(
                doc_id=f"model:{model.config.name}",
                quote=quote,
                study_design=design.value,
                evidence_level=EVIDENCE_LEVEL[design],
                experimental=False,
            )
        ],
    )
