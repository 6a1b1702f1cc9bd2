"""``python -m lantian`` runs the ``lantian`` command."""

from lantian.cli.main import app

app()
