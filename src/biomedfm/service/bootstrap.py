"""First start: an admin key (printed once) and the evidence corpus queued for indexing."""

from __future__ import annotations

from biomedfm.config import Settings
from biomedfm.service.evidence_corpus import count_documents
from biomedfm.service.jobs.queue import JobQueue
from biomedfm.service.keys import KeyStore

ADMIN_KEY_NAME = "local-admin"


def ensure_admin_key(keys: KeyStore) -> str | None:
    """Create the local admin key when no admin key exists; its text, or None if one existed."""
    if keys.has_admin():
        return None
    name = ADMIN_KEY_NAME
    taken = {key.name for key in keys.list()}
    suffix = 1
    while name in taken:  # the first admin key was revoked: make a fresh one
        suffix += 1
        name = f"{ADMIN_KEY_NAME}-{suffix}"
    return keys.create(name, admin=True)


def ensure_corpus(settings: Settings, keys: KeyStore, queue: JobQueue) -> str | None:
    """Queue the configured corpus for indexing when the service's index is empty.

    Returns:
        The ingest job's id, or None when there is nothing to do.
    """
    corpus = settings.service.evidence_corpus
    if corpus is None or count_documents(settings.home / "evidence-index"):
        return None
    admin = next((k for k in keys.list() if k.admin and not k.revoked), None)
    if admin is None:
        return None
    job, created = queue.store.submit(
        admin.id, "evidence-ingest", {"path": str(corpus)}, f"initial-corpus:{corpus}"
    )
    if created:
        queue.enqueue(job.id)
    return job.id
