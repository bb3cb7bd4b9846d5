"""Durable jobs: records (store), the queue and worker (queue), what each kind does (runners)."""
