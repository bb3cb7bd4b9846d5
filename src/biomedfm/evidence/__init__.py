"""Chain-of-evidence agents over a local biomedical corpus (ingestion, store, retrieval so far)."""
