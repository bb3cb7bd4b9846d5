"""Retrieval over the evidence store: BM25 now; dense embeddings and fusion next."""
