"""biomedfm: biomedical foundation models — binding affinity, dynamics and evidence agents."""

__version__ = "0.1.0"
