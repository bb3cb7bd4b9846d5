"""REST routes, one module per area, mounted under /api/v1 by ``create_app``."""
