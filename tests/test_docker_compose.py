"""The production shape in docker-compose.yml: it parses, and every service runs a real command.

No Docker engine runs here, so this checks what can be checked without one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from starter.cli import app

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
OURS = {name: service for name, service in SERVICES.items() if service.get("build")}


def test_the_production_shape_has_temporal_on_postgres_its_ui_a_worker_and_the_admin_tool() -> None:
    assert {"postgresql", "temporal", "temporal-ui", "worker", "admin"} <= set(SERVICES)
    assert SERVICES["temporal"]["environment"]["DB"] == "postgres12"
    assert SERVICES["temporal"]["environment"]["POSTGRES_SEEDS"] == "postgresql"
    assert SERVICES["worker"]["environment"]["CPJ_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "8233:8080" in SERVICES["temporal-ui"]["ports"]


@pytest.mark.parametrize("name", sorted(OURS))
def test_each_project_service_runs_a_real_cpj_command(name: str) -> None:
    command = OURS[name]["command"]
    assert command[0] == "cpj"
    words = [word for word in command[1:] if not word.startswith("-") and not word[0].isdigit() and "." not in word]
    result = CliRunner().invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output
    for option in (word for word in command[1:] if word.startswith("--")):
        assert option in result.output, f"{name}: {option} is not an option of cpj {' '.join(words)}"


def test_every_setting_the_compose_file_gives_is_read_by_the_code() -> None:
    packages = ("domain", "workflows", "activities", "starter")
    source = "\n".join(path.read_text() for package in packages for path in (ROOT / package).rglob("*.py"))
    source += (ROOT / "worker.py").read_text()
    for service in OURS.values():
        for variable in service.get("environment", {}):
            assert re.search(rf'"{variable}"', source), f"{variable} is set in compose but never read"


def test_the_image_copies_what_exists_and_installs_the_postgres_driver() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    assert '".[postgres]"' in dockerfile


def test_the_image_installs_every_package_of_the_project() -> None:
    # The image installs the project for real (not editable): a package the build leaves out
    # would only show as an ImportError in production.
    import tomllib

    from setuptools import find_packages

    setuptools_config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    built = set(find_packages(where=str(ROOT), include=setuptools_config["packages"]["find"]["include"]))
    ours = {".".join(path.parent.relative_to(ROOT).parts) for path in ROOT.glob("*/**/__init__.py")
            if path.relative_to(ROOT).parts[0] not in {"tests", "bench", ".venv", "build"}}
    assert ours and ours <= built
    assert "profiles/*.toml" in setuptools_config["package-data"]["shipped"]


def test_the_records_schema_is_migrated_once_before_the_worker_and_the_admin_tool_start() -> None:
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["cpj", "db", "upgrade"]
    assert migrate["depends_on"]["records-db"]["condition"] == "service_healthy"
    # The very database the worker writes to; a refusal is final, not retried in a loop.
    assert migrate["environment"]["CPJ_DATABASE_URL"] == SERVICES["worker"]["environment"]["CPJ_DATABASE_URL"]
    assert migrate.get("restart", "no") == "no"
    for name in ("worker", "admin"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
