"""The deployment files docs/operator.md ships (examples/deploy/) are accepted by the real tools.

Syntax and semantics as far as each tool checks without serving: ``nginx -t`` (with a throwaway self-signed
certificate in place of the Let's Encrypt paths, which it opens) and ``caddy validate``; for Caddy also that the
administrator-network refusal comes before the proxy in the adapted routes. Skipped where the tool is not installed
(``apt-get install nginx caddy`` on Debian 12); the systemd unit with ``systemd-analyze verify``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "examples" / "deploy"
LETSENCRYPT = "/etc/letsencrypt/live/vote.example.org/"


@pytest.mark.skipif(
    not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx or openssl not installed"
)
def test_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=vote.example.org",
         "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = (DEPLOY / "nginx-plebiscite.conf").read_text()
    assert site.count(LETSENCRYPT) == 2
    (tmp_path / "site.conf").write_text(site.replace(LETSENCRYPT, f"{tmp_path}/"))
    (tmp_path / "main.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/body;\n include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "main.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "test is successful" in done.stderr, done.stderr


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy not installed")
def test_caddyfile_validates_and_refuses_admin_before_proxying() -> None:
    caddyfile = str(DEPLOY / "Caddyfile")
    done = subprocess.run(
        ["caddy", "validate", "--config", caddyfile, "--adapter", "caddyfile"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "Valid configuration" in done.stdout + done.stderr, done.stderr
    adapted = subprocess.run(
        ["caddy", "adapt", "--config", caddyfile, "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = json.dumps(json.loads(adapted.stdout))
    assert '"handler": "static_response"' in text and '"status_code": 403' in text
    assert text.index('"handler": "static_response"') < text.index('"handler": "reverse_proxy"')


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    venv = Path(__file__).resolve().parent.parent / ".venv"
    if not (venv / "bin" / "plebiscite").exists():
        pytest.skip("needs the repository's .venv (systemd-analyze checks that ExecStart's program exists)")
    unit = (DEPLOY / "plebiscite-board.service").read_text()
    assert "--secrets-dir" in unit and "--host 127.0.0.1" in unit
    (tmp_path / "plebiscite-board.service").write_text(unit.replace("/opt/plebiscite/.venv", str(venv)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "plebiscite-board.service")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), (
        done.stderr + done.stdout
    )
