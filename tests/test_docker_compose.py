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


# -- Who can reach what (issue 13) ------------------------------------------------------------

TLS_FILES = {"ca.pem", "server.pem", "server.key", "client.pem", "client.key", "ui.pem", "ui.key"}


def published(service: dict) -> list[str]:
    return [str(port) for port in service.get("ports", [])]


def test_nothing_is_published_beyond_this_host_by_default() -> None:
    # The admin tool and the Temporal UI are reached through the council's reverse proxy (HTTPS, its own
    # hostname); Temporal's frontend by this host's operators, with a client certificate.
    assert published(SERVICES["admin"]) == ["${CPJ_ADMIN_BIND:-127.0.0.1}:8000:8000"]
    assert published(SERVICES["temporal-ui"]) == ["127.0.0.1:8233:8080"]
    assert published(SERVICES["temporal"]) == ["127.0.0.1:7233:7233"]
    for name, service in SERVICES.items():
        for port in published(service):
            assert port.startswith(("127.0.0.1:", "${CPJ_ADMIN_BIND:-127.0.0.1}:")), f"{name} publishes {port}"


def test_temporals_frontend_takes_only_clients_with_a_certificate_from_our_ca() -> None:
    server = SERVICES["temporal"]["environment"]
    assert server["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    assert server["TEMPORAL_TLS_FRONTEND_CERT"].endswith("/server.pem")
    assert server["TEMPORAL_TLS_FRONTEND_KEY"].endswith("/server.key")
    assert server["TEMPORAL_TLS_CLIENT1_CA_CERT"].endswith("/ca.pem")
    assert ":/etc/temporal/tls:ro" in SERVICES["temporal"]["volumes"][0]


@pytest.mark.parametrize("name", ["setup", "worker", "admin"])
def test_every_client_of_temporal_presents_its_certificate(name: str) -> None:
    environment = SERVICES[name]["environment"]
    assert {"CPJ_TEMPORAL_TLS_CERT", "CPJ_TEMPORAL_TLS_KEY", "CPJ_TEMPORAL_TLS_CA"} <= set(environment), name
    assert environment["CPJ_TEMPORAL_TLS_SERVER_NAME"] == "temporal"
    mounts = [volume for volume in SERVICES[name].get("volumes", []) if "temporal-tls" in volume]
    assert mounts and all(volume.endswith(":ro") for volume in mounts), name
    mounted_at = mounts[0].split(":")[-2]
    for setting in ("CPJ_TEMPORAL_TLS_CERT", "CPJ_TEMPORAL_TLS_KEY", "CPJ_TEMPORAL_TLS_CA"):
        assert environment[setting].startswith(mounted_at + "/"), (name, setting)


def test_the_certificate_files_the_compose_file_names_are_the_ones_the_script_writes(tmp_path: Path) -> None:
    from scripts.temporal_certs import write

    written = {path.name for path in write(tmp_path) if path.parent.name == "temporal-tls"}
    named = {value.rsplit("/", 1)[1] for service in SERVICES.values()
             for key, value in service.get("environment", {}).items()
             if "TLS" in key and isinstance(value, str) and value.startswith("/")}
    assert written == TLS_FILES and named <= written
    # The CA's key is written apart, where nothing mounts it.
    assert (tmp_path / "temporal-ca" / "ca.key").exists() and not (tmp_path / "temporal-tls" / "ca.key").exists()


def test_the_temporal_ui_signs_supervisors_in_with_oidc_and_changes_nothing() -> None:
    ui = SERVICES["temporal-ui"]["environment"]
    assert ui["TEMPORAL_AUTH_ENABLED"] == "true" and ui["TEMPORAL_AUTH_TYPE"] == "oidc"
    for setting in ("TEMPORAL_AUTH_PROVIDER_URL", "TEMPORAL_AUTH_CLIENT_ID", "TEMPORAL_AUTH_CLIENT_SECRET",
                    "TEMPORAL_AUTH_CALLBACK_URL"):
        assert ":?" in ui[setting], f"{setting} must be required from the environment, never a default"
    assert ui["TEMPORAL_AUTH_CALLBACK_URL"].endswith("/auth/sso/callback")
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"
    assert ui["TEMPORAL_TLS_CERT"].endswith("/ui.pem") and ui["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"


def test_the_admin_tool_signs_people_in_with_the_councils_provider() -> None:
    admin = SERVICES["admin"]["environment"]
    for setting in ("CPJ_OIDC_ISSUER", "CPJ_OIDC_CLIENT_ID", "CPJ_OIDC_CLIENT_SECRET", "CPJ_OIDC_ROLES",
                    "CPJ_SESSION_SECRET"):
        assert ":?" in admin[setting], setting
    assert admin["CPJ_SECURE_COOKIES"] == "true"
    assert admin["CPJ_DATABASE_URL"] == SERVICES["worker"]["environment"]["CPJ_DATABASE_URL"]


# -- mutual TLS for real: our client's settings against a TLS door that demands a client certificate --

class MutualTlsDoor:
    """A TLS terminator in front of the dev server (which takes no TLS flags itself): it demands a client
    certificate signed by ``ca`` and passes the bytes through, as Temporal's frontend does with
    TEMPORAL_TLS_REQUIRE_CLIENT_AUTH."""

    def __init__(self, folder: Path, server, ca, upstream: str) -> None:
        import ssl

        (folder / "door.pem").write_bytes(server.cert_pem)
        (folder / "door.key").write_bytes(server.key_pem)
        (folder / "door-ca.pem").write_bytes(ca.cert_pem)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(folder / "door.pem", folder / "door.key")
        self.context.load_verify_locations(folder / "door-ca.pem")
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.context.set_alpn_protocols(["h2"])
        self.host, port = upstream.rsplit(":", 1)
        self.port = int(port)
        self.refused = 0

    async def __aenter__(self) -> str:
        import asyncio

        async def pipe(reader, writer) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        async def serve(reader, writer) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                writer.close()
                return
            try:
                await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
            except asyncio.CancelledError:  # the door closing under an open connection: nothing to report
                up_writer.close()
                writer.close()

        self.server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=self.context,
                                                 ssl_handshake_timeout=5)
        return f"127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc) -> None:
        self.server.close()


@pytest.fixture(scope="module")
async def dev_server():
    from temporalio.testing import WorkflowEnvironment

    from tests.conftest import TEMPORAL_CLI

    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(TEMPORAL_CLI),
                                                dev_server_log_level="error")
    yield env.client.service_client.config.target_host
    await env.shutdown()


@pytest.fixture(scope="module")
def certificates():
    from scripts.temporal_certs import issue, make_ca

    ca, ca_key = make_ca()
    stranger_ca, stranger_key = make_ca("someone else's CA")
    return {
        "ca": ca,
        "server": issue(ca, ca_key, "temporal", server=True, names=("temporal", "localhost", "127.0.0.1")),
        "client": issue(ca, ca_key, "cp-journeys", server=False),
        "stranger": issue(stranger_ca, stranger_key, "cp-journeys", server=False),
    }


def client_settings(monkeypatch: pytest.MonkeyPatch, folder: Path, address: str, ca, client=None) -> None:
    (folder / "ca.pem").write_bytes(ca.cert_pem)
    monkeypatch.setenv("CPJ_TEMPORAL_ADDRESS", address)
    monkeypatch.setenv("CPJ_TEMPORAL_TLS_CA", str(folder / "ca.pem"))
    monkeypatch.setenv("CPJ_TEMPORAL_TLS_SERVER_NAME", "temporal")
    if client is not None:
        (folder / "client.pem").write_bytes(client.cert_pem)
        (folder / "client.key").write_bytes(client.key_pem)
        monkeypatch.setenv("CPJ_TEMPORAL_TLS_CERT", str(folder / "client.pem"))
        monkeypatch.setenv("CPJ_TEMPORAL_TLS_KEY", str(folder / "client.key"))


async def test_a_client_with_our_certificate_gets_through_mutual_tls(
    dev_server: str, certificates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starter.client import connect, register_search_attributes

    async with MutualTlsDoor(tmp_path, certificates["server"], certificates["ca"], dev_server) as door:
        client_settings(monkeypatch, tmp_path, door, certificates["ca"], certificates["client"])
        client = await connect()
        # A real call through the door: what `cpj temporal register-search-attributes` does in the compose file.
        await register_search_attributes(client)
        assert await register_search_attributes(client) == []  # the first call registered them, through the door


@pytest.mark.parametrize("who", ["no certificate", "a certificate from another CA"])
async def test_a_client_without_our_certificate_is_turned_away(
    who: str, dev_server: str, certificates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starter.client import connect

    client = None if who == "no certificate" else certificates["stranger"]
    async with MutualTlsDoor(tmp_path, certificates["server"], certificates["ca"], dev_server) as door:
        client_settings(monkeypatch, tmp_path, door, certificates["ca"], client)
        with pytest.raises(RuntimeError):
            await connect()


def test_half_a_client_certificate_is_refused_with_a_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from starter.client import JourneyError, tls_config

    monkeypatch.setenv("CPJ_TEMPORAL_TLS_CERT", str(tmp_path / "client.pem"))
    monkeypatch.delenv("CPJ_TEMPORAL_TLS_KEY", raising=False)
    with pytest.raises(JourneyError, match="go together"):
        tls_config()
    monkeypatch.setenv("CPJ_TEMPORAL_TLS_KEY", str(tmp_path / "client.key"))
    with pytest.raises(JourneyError, match="cannot be read"):
        tls_config()


def test_without_tls_settings_the_client_connects_in_plain_text_as_the_embedded_default_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from starter.client import TLS_SETTINGS, tls_config

    for setting in TLS_SETTINGS:
        monkeypatch.delenv(setting, raising=False)
    assert tls_config() is False


# -- Metrics (issue 12): Prometheus scrapes what the services serve, where they serve it ------------

def test_prometheus_scrapes_the_worker_and_the_admin_tool_on_the_ports_they_listen_on() -> None:
    prometheus = SERVICES["prometheus"]
    assert prometheus["image"].startswith("prom/prometheus:")
    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in prometheus["volumes"]}
    config_file = next(arg.split("=", 1)[1] for arg in prometheus["command"] if arg.startswith("--config.file="))
    scrape = yaml.safe_load((ROOT / mounted[config_file]).read_text())
    # The worker's jobs find every worker container by name (scaled out, several); the admin tool is one target.
    targets = {job["job_name"]: target for job in scrape["scrape_configs"]
               for target in (job["static_configs"][0]["targets"] if "static_configs" in job else
                              [f"{name}:{found['port']}" for found in job["dns_sd_configs"] for name in found["names"]])}
    admin_command = SERVICES["admin"]["command"]
    admin_port = admin_command[admin_command.index("--port") + 1]
    worker = SERVICES["worker"]["environment"]
    assert targets == {
        "worker-temporal": f"worker:{worker['CPJ_TEMPORAL_METRICS_ADDRESS'].rsplit(':', 1)[1]}",
        "worker": f"worker:{worker['CPJ_METRICS_ADDRESS'].rsplit(':', 1)[1]}",
        "admin": f"admin:{admin_port}",
    }
    # The worker's endpoints listen on the compose network, and neither they nor Prometheus reach past this host.
    assert worker["CPJ_TEMPORAL_METRICS_ADDRESS"].startswith("0.0.0.0:") and not SERVICES["worker"].get("ports")
    assert published(prometheus) == ["127.0.0.1:9090:9090"]


def test_prometheus_presents_the_token_the_admin_tool_reads() -> None:
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    [admin_job] = [job for job in scrape["scrape_configs"] if job["job_name"] == "admin"]
    credentials = admin_job["authorization"]["credentials_file"]
    assert credentials == SERVICES["admin"]["environment"]["CPJ_METRICS_TOKEN_FILE"] == "/run/secrets/metrics-token"
    assert "metrics-token" in SERVICES["prometheus"]["secrets"] and "metrics-token" in SERVICES["admin"]["secrets"]
    assert COMPOSE["secrets"]["metrics-token"]["file"].startswith("${CPJ_SECRETS_DIR:-./secrets}/")


# -- Health and logs (issue 12) -------------------------------------------------------------------

def test_the_worker_is_healthy_only_while_its_heartbeat_is_fresh() -> None:
    check = SERVICES["worker"]["healthcheck"]
    assert check["test"] == ["CMD", "cpj", "worker", "--health"]
    assert "--health" in CliRunner().invoke(app, ["worker", "--help"]).output
    # Three failed checks in a row before it is unhealthy; time to wait for its database and Temporal first.
    assert check["retries"] >= 2 and "start_period" in check


@pytest.mark.parametrize(("status", "exit_code"), [(200, 0), (503, 1)])
def test_the_admin_tool_is_healthy_when_its_readiness_page_says_ready(status: int, exit_code: int) -> None:
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    check = SERVICES["admin"]["healthcheck"]["test"]
    command = SERVICES["admin"]["command"]
    url = f"http://127.0.0.1:{command[command.index('--port') + 1]}/readyz"
    assert check[:3] == ["CMD", "python", "-c"] and url in check[3]
    asked = []

    class Readiness(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    # The compose file's own command, run against a stand-in answering as /readyz would.
    with HTTPServer(("127.0.0.1", 0), Readiness) as server:
        threading.Thread(target=server.handle_request, daemon=True).start()
        script = check[3].replace(url, f"http://127.0.0.1:{server.server_address[1]}/readyz")
        ran = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert asked == ["/readyz"] and ran.returncode == exit_code


def test_every_process_of_ours_logs_json() -> None:
    for name, service in OURS.items():
        assert service["environment"].get("CPJ_LOG_FORMAT") == "json", name
