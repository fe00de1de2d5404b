"""The Docker Compose example's nginx configuration (docs/deploy.md), rendered by
`python -m deploy.cluster compose-nginx`, passes `nginx -t` the way the nginx image runs it: with
its prefix in a folder that has no tmp/ in it (no Docker here, so the app services are 127.0.0.1).
deploy/nginx.conf as make cluster fills it fails there: its temp paths are relative to a prefix in
which deploy/cluster.py makes tmp/ first ("mkdir() .../tmp/body failed").

deploy/supervisord.conf, as make cluster fills it, is read by supervisord's own parser."""

import re
import subprocess
from pathlib import Path

import pytest

from deploy import cluster

ROOT = Path(__file__).resolve().parents[1]


def test_the_compose_nginx_conf_passes_nginx_t_in_a_bare_prefix(tmp_path):
    exe = cluster.nginx_bin()
    if not exe:
        pytest.skip("nginx is not installed (make cluster-deps)")
    conf = cluster.compose_nginx_conf(3)
    assert "@" not in re.sub(r"#.*", "", conf)  # every placeholder filled
    pool = conf.split("upstream digit_studio {", 1)[1].split("}", 1)[0]
    assert [f"app{n}:8501" for n in (1, 2, 3)] == re.findall(r"server (app\d:\d+)", pool)
    assert re.search(r"upstream ds_r3 \{\s*server app3:8501[^;]*;\s*server app1:8501[^;]*backup;", conf)
    assert f"client_max_body_size {cluster.max_upload_mb() + 1}m;" in conf
    local = re.sub(r"server app\d:8501", "server 127.0.0.1:8501", conf)  # names only Compose resolves
    (tmp_path / "nginx.conf").write_text(local)
    run = subprocess.run(
        [exe, "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"), "-t"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr


def test_the_deploy_guide_compose_example_uses_the_rendered_conf():
    readme = (ROOT / "docs" / "deploy.md").read_text()
    block = readme.split("# docker-compose.yml", 1)[1].split("```", 1)[0]
    assert "python -m deploy.cluster compose-nginx > nginx.compose.conf" in readme
    assert "./nginx.compose.conf:/etc/nginx/nginx.conf:ro" in block
    assert f"--server.port {cluster.COMPOSE_APP_PORT}" in block


def test_the_supervisord_conf_runs_one_program_per_replica(tmp_path, monkeypatch):
    from supervisor.datatypes import RestartUnconditionally
    from supervisor.options import ServerOptions

    monkeypatch.setattr(cluster, "DATA", tmp_path)
    monkeypatch.setattr(cluster, "REPLICA_PORTS", [9101, 9105, 9103])
    for folder in ("logs", "run"):
        (tmp_path / folder).mkdir()
    conf = cluster.fill_supervisord_conf()
    assert "@" not in re.sub(r";.*", "", conf)  # every placeholder filled
    (tmp_path / "supervisord.conf").write_text(conf)
    options = ServerOptions()
    options.realize(args=["-c", str(tmp_path / "supervisord.conf")])
    programs = {p.name: p for group in options.process_group_configs for p in group.process_configs}
    assert list(programs) == ["postgresql", "replica-1", "replica-2", "replica-3", "nginx"]  # start order
    for n, port in enumerate([9101, 9105, 9103], start=1):
        replica = programs[f"replica-{n}"]
        assert f"--server.port {port} --server.address 127.0.0.1" in replica.command
        assert replica.environment == {"DIGIT_STUDIO_REPLICA": str(n)}
        assert replica.autorestart is RestartUnconditionally and replica.startretries >= 1
        assert replica.stdout_logfile == str(tmp_path / "logs" / f"replica-{n}.log")
    assert "DIGIT_STUDIO_DB" not in conf and "COOKIE_SECRET" not in conf  # secrets come from the environment
    assert options.serverurl == f"unix://{tmp_path / 'run' / 'supervisor.sock'}"
