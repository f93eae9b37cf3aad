"""Production deployment, checked without Docker: compose, .env.example, check --deploy, nginx -t, gunicorn."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from .helpers import REPO

APP_SERVICES = ("web", "worker", "worker-clips", "beat")
ALL_SERVICES = (*APP_SERVICES, "redis", "postgres", "nginx", "portainer")


def env_example() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        line = line.strip()
        if line.startswith("#") and "=" in line and line[1:].strip().split("=")[0].isupper():
            name = line[1:].strip().split("=", 1)[0]
            values.setdefault(name, "")  # documented, commented out
        elif line and not line.startswith("#"):
            name, value = line.split("=", 1)
            values[name] = value
    return values


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_has_every_service_with_health_restart_and_limits(compose):
    services = compose["services"]
    assert set(services) == set(ALL_SERVICES)
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), name
        assert service.get("restart") == "unless-stopped", name
        limits = service["deploy"]["resources"]["limits"]
        assert limits.get("cpus") and limits.get("memory"), name
    assert services["portainer"]["profiles"] == ["portainer"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_web_worker_and_beat_share_one_image_and_env_file_through_the_anchor(compose):
    text = (REPO / "docker-compose.yml").read_text()
    for name in APP_SERVICES:
        assert re.search(rf"^  {name}:\n    <<: \*app$", text, re.MULTILINE), name
        service = compose["services"][name]
        assert service["image"] == compose["x-app"]["image"]
        assert service["env_file"] == ".env"
        assert service["build"]["context"] == "."
    assert "gunicorn picstylist.wsgi:application" in compose["services"]["web"]["command"]
    assert "celery -A picstylist worker" in compose["services"]["worker"]["command"]
    assert "--concurrency=${CELERY_WORKER_CONCURRENCY" in compose["services"]["worker"]["command"]
    assert "celery -A picstylist beat" in compose["services"]["beat"]["command"]
    # Photos and clips on queues (and workers) of their own: a clip never holds a photo back.
    assert "--queues celery " in compose["services"]["worker"]["command"]
    assert "--queues ${STYLIZER_CLIP_QUEUE:-clips}" in compose["services"]["worker-clips"]["command"]


def test_every_variable_is_documented_in_env_example(compose):
    documented = env_example()
    compose_vars = set(re.findall(r"\$\{([A-Z_]+)", (REPO / "docker-compose.yml").read_text()))
    settings_vars = set(re.findall(r'env_[a-z]+\("([A-Z_]+)"', (REPO / "picstylist" / "settings.py").read_text()))
    settings_vars |= {"SECRET_KEY", "TFHUB_CACHE_DIR"}
    template_vars = set(
        re.findall(r"\$\{([A-Z_]+)\}", (REPO / "deploy/nginx/templates/default.conf.template").read_text())
    )
    missing = (compose_vars | settings_vars | (template_vars - {"UPSTREAM"})) - set(documented)
    assert not missing, f"not in .env.example: {sorted(missing)}"


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def dockerfile_build_env(command: str) -> dict[str, str]:
    """The variables the Dockerfile sets for ``manage.py <command>`` at build time: its ``ENV``
    lines and the ``NAME=value`` words just before the command."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"([A-Z_]+)=(\S+)", line)))
    prefix = re.search(rf"((?:[A-Z_]+=\S+ )*)python manage\.py {command}\b", text)
    assert prefix, f"the Dockerfile runs no manage.py {command}"
    env.update(dict(re.findall(r"([A-Z_]+)=(\S+)", prefix.group(1))))
    return {name: value for name, value in env.items() if "$" not in value}


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPACES_", "DATABASE_", "CELERY_", "SENTRY_"))}
    env.update({k: v for k, v in env_example().items() if v != ""})
    env["PICSTYLIST_DATA_DIR"] = str(tmp_path)
    return env


def test_check_deploy_reports_nothing_with_the_env_example_values(tmp_path):
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", env=production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "false", "SECRET_KEY": "", "ALLOWED_HOSTS": "x"}, "SECRET_KEY must be set"),
        ({"DEBUG": "false", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must be set"),
    ],
)
def test_production_refuses_to_start_without_secret_key_or_allowed_hosts(env, message):
    result = run_manage("check", env={**os.environ, **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_engine_check_reports_a_tfhub_model_that_cannot_load_offline(tmp_path):
    env = {**os.environ, "STYLIZER_ENGINE": "tfhub", "TFHUB_CACHE_DIR": str(tmp_path)}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "stylizer.E004" in result.stderr and "TFHUB_CACHE_DIR" in result.stderr
    assert run_manage("check", env={**os.environ, "STYLIZER_ENGINE": "onnx"}).returncode == 0


def render_template(text: str, values: dict[str, str]) -> str:
    """What the nginx image's envsubst does for the listed variables only."""
    return re.sub(r"\$\{([A-Z_]+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def test_nginx_accepts_the_config_with_throwaway_certificates(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (.ci/run installs Debian's nginx-light): cannot run nginx -t")
    key, cert = tmp_path / "origin.key", tmp_path / "origin.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=example.com",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    values = {
        "DOMAIN": "example.com",
        "NGINX_SSL_CERTIFICATE": str(cert),
        "NGINX_SSL_CERTIFICATE_KEY": str(key),
        "NGINX_CLIENT_CA": str(cert),
        "NGINX_MAX_BODY_SIZE": env_example()["NGINX_MAX_BODY_SIZE"],
        "UPSTREAM": "127.0.0.1:8000",
    }
    template = (REPO / "deploy/nginx/templates/default.conf.template").read_text()
    site = tmp_path / "default.conf"
    site.write_text(render_template(template, values))
    assert "${" not in site.read_text()
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path};\n include {site};\n}}\n"
    )
    result = subprocess.run([nginx, "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    conf = site.read_text()
    assert "ssl_verify_client on;" in conf and "real_ip_header CF-Connecting-IP;" in conf
    assert "return 301 https://www.example.com$request_uri;" in conf
    assert "proxy_set_header X-Forwarded-Proto https;" in conf


def test_nginx_upload_limit_matches_djangos():
    values = env_example()
    # The larger of a photo's and a clip's limit, and the form's overhead (DATA_UPLOAD_MAX_MEMORY_SIZE's margin).
    largest = max(int(values["MAX_UPLOAD_BYTES"]), int(values["STYLIZER_CLIP_MAX_BYTES"]))
    django_limit = largest + 1024 * 1024
    nginx_limit = int(values["NGINX_MAX_BODY_SIZE"].rstrip("m")) * 1024 * 1024
    assert nginx_limit >= django_limit
    assert nginx_limit - django_limit <= 1024 * 1024


def test_gunicorn_serves_healthz_with_production_settings(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = production_env(tmp_path)
    env.pop("DATABASE_URL", None)  # SQLite in tmp_path; the broker is the filesystem one
    env.pop("CELERY_BROKER_URL", None)
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    build = dockerfile_build_env("collectstatic")  # as the image's build runs it: no env file then
    result = run_manage("collectstatic", "--noinput", env={**os.environ, **build, "PICSTYLIST_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    gunicorn = [sys.executable, "-m", "gunicorn", "picstylist.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        [*gunicorn, "--workers", "2"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    body, status = response.read().decode(), response.status
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        assert status == 200
        assert body == '{"database": "ok", "broker": "ok", "storage": "ok"}'
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert "max-age=31536000" not in response.headers.get("Strict-Transport-Security", "")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"X-Forwarded-Proto": "https"})
        with urllib.request.urlopen(request, timeout=5) as response:
            headers = response.headers
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        # A page with static files: the build's collectstatic made the manifest production reads.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"X-Forwarded-Proto": "https"})
        with urllib.request.urlopen(request, timeout=5) as response:
            page = response.read().decode()
        assert re.search(r'href="/static/picstylist/site\.[0-9a-f]{12}\.css"', page), page[:2000]
    finally:
        process.terminate()
        process.wait(timeout=30)
