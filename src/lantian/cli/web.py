"""``lantian serve``: run the web platform (pages + REST API) under uvicorn."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the ``lantian`` CLI."""

    @app.command()
    def serve(
        host: str | None = typer.Option(None, help="bind address (default LANTIAN_HOST)"),
        port: int | None = typer.Option(None, help="port (default LANTIAN_PORT, 8000)"),
        reload: bool = typer.Option(False, "--reload", help="restart on code changes (dev)"),
    ) -> None:
        """Run the web platform: pages, REST API (/api, /openapi.json) and /healthz."""
        import uvicorn

        from lantian.cli.progress import console
        from lantian.settings import get_settings
        from lantian.web.assets import find_node_modules
        from lantian.web.limits import uvicorn_options

        settings = get_settings()
        settings.ensure_home()
        if find_node_modules() is None:
            console.print(
                "[yellow]warning:[/] browser assets not installed (run `make node`); "
                "charts and the map will not load"
            )
        bind_host = host or settings.host
        bind_port = port or settings.port
        console.print(f"Lantian web on http://{bind_host}:{bind_port}/  (Ctrl+C to stop)")
        uvicorn.run(
            "lantian.web.app:create_app",
            factory=True,
            host=bind_host,
            port=bind_port,
            reload=reload,
            log_level="info",
            **uvicorn_options(settings),  # header timeout; proxies: LANTIAN_TRUSTED_PROXIES
        )
