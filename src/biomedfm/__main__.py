"""``python -m biomedfm`` runs the command line (used where no console script is installed)."""

from biomedfm.cli.main import app

app()
