"""Docs are checked by tests: every setting, CLI command and rule is documented."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.main import get_command

from lantian.cli.main import app
from lantian.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_readme_opens_with_the_two_commands() -> None:
    lines = [ln.strip() for ln in (ROOT / "README.md").read_text().splitlines() if ln.strip()]
    code = lines[lines.index("```") + 1 : lines.index("```") + 3]
    assert code == ["make demo", "make test"]


def test_every_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [n for n in Settings.model_fields if f"LANTIAN_{n.upper()}" not in readme]
    assert not missing, f"document these settings in README.md: {missing}"


def _command_names(group: typer.Typer) -> list[str]:
    cmd = get_command(group)
    names: list[str] = []

    def walk(c: object, prefix: str) -> None:
        sub = getattr(c, "commands", None)
        if not sub:
            names.append(prefix)
            return
        for name, child in sub.items():
            walk(child, f"{prefix} {name}".strip())

    walk(cmd, "")
    return names


def test_every_cli_command_is_in_the_cli_reference() -> None:
    reference = (ROOT / "docs" / "CLI.md").read_text()
    missing = [n for n in _command_names(app) if f"`lantian {n}" not in reference]
    assert not missing, f"document these commands in docs/CLI.md: {missing}"


def test_architecture_names_every_package() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    src = ROOT / "src" / "lantian"
    packages = [p.name for p in src.iterdir() if (p / "__init__.py").exists()]
    missing = [p for p in packages if f"lantian/{p}/" not in text]
    assert not missing, f"describe these packages in docs/ARCHITECTURE.md: {missing}"


def test_every_detect_lake_json_field_and_option_is_in_the_cli_reference() -> None:
    from dataclasses import fields

    from lantian.rules.platform import RunReport

    reference = (ROOT / "docs" / "CLI.md").read_text()
    missing = [f.name for f in fields(RunReport) if f"`{f.name}`" not in reference]
    assert not missing, f"document these detect-lake --json fields in docs/CLI.md: {missing}"
    command = get_command(app).commands["detect-lake"]  # type: ignore[attr-defined]
    options = [o for p in command.params for o in p.opts if o.startswith("--")]
    missing = [o for o in options if f"`{o}`" not in reference]
    assert not missing, f"document these detect-lake options in docs/CLI.md: {missing}"
