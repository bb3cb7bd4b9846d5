"""The agent team: planner → retriever → appraiser → synthesizer → verifier, traced."""
