"""The ``lantian`` command line (Typer). Entry point: :data:`lantian.cli.main.app`."""
