"""The research service: REST API, durable jobs, API keys, web UI (``biomedfm serve``)."""
