"""Digit Studio for a hall, on one machine: PostgreSQL, app replicas, and nginx in front, all
three run by supervisord.

    python -m deploy.cluster start       # make cluster
    python -m deploy.cluster stop        # make cluster-stop: supervisord stops what it runs, then itself
    python -m deploy.cluster status

Every port and folder is named once, below; each can be changed with the environment variable
of the same name (the tests run their own cluster that way, on free ports, in a temporary
folder). Under ``DATA``: ``pg/`` (the database), ``nginx/`` (its rendered configuration, pid,
error log), ``supervisord.conf`` (rendered from deploy/supervisord.conf), ``logs/`` (one per
process, and supervisord's own), ``run/`` (supervisord's pid and socket), ``passcode``.

supervisord (PyPI ``supervisor``) restarts a process that dies and, when it shuts down, stops
nginx, then the replicas, then PostgreSQL. This script prepares what they need (the database
folder, the rendered configurations, the secrets), starts supervisord, and brings the processes
up in order, each once the one before it answers: PostgreSQL over a real connection, a replica
and nginx over HTTP (``/_stcore/health``), never by sleeping.

PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user. As root,
missing ``postgresql`` and ``nginx`` packages are installed with apt-get.
"""

from __future__ import annotations

import contextlib
import getpass
import glob
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DATA = Path(os.environ.get("CLUSTER_DATA") or ROOT / "data" / "cluster")
NGINX_PORT = int(os.environ.get("CLUSTER_NGINX_PORT") or 8500)  # what participants open
REPLICA_PORTS = [int(p) for p in (os.environ.get("CLUSTER_REPLICA_PORTS") or "8511,8512").split(",")]
PG_PORT = int(os.environ.get("CLUSTER_PG_PORT") or 8530)
LISTEN = os.environ.get("CLUSTER_LISTEN") or "0.0.0.0"  # nginx; replicas and PostgreSQL: 127.0.0.1 only
PG_USER, PG_DB = "digit", "digit_studio"
PASSCODE_ENV = "DIGIT_STUDIO_PRESENTER_PASSCODE"
HEALTH_TIMEOUT = float(os.environ.get("CLUSTER_HEALTH_TIMEOUT") or 180)  # seconds for a replica to answer
STOP_TIMEOUT = 120  # seconds for supervisord to stop everything: its programs' stopwaitsecs, and room to spare


class ClusterError(RuntimeError):
    """Something the person starting the cluster can fix; the message says what."""


# -- packages ----------------------------------------------------------------------------------


def pg_bin() -> Path | None:
    """The newest PostgreSQL server's bin/ folder (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("postgres")
    return Path(which).parent if which else None


def nginx_bin() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def ensure_packages(need: tuple[str, ...] = ("postgresql", "nginx")) -> None:
    """Install the Debian packages that are missing (as root, with apt-get), or say what to do."""
    missing = [p for p in need if (pg_bin() if p == "postgresql" else nginx_bin()) is None]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ClusterError(f"{' and '.join(missing)} not installed: install them (apt-get install {' '.join(missing)})")
    print(f"installing {' '.join(missing)} with apt-get", flush=True)
    cmd = ["apt-get", "install", "-y", "-qq", *missing]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)


# -- PostgreSQL --------------------------------------------------------------------------------


def _as_pg() -> list[str]:
    """Prefix for commands that must run as the database's owner (never root)."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def pg_available() -> str | None:
    """None if this machine can run a PostgreSQL server for us, else why not."""
    if pg_bin() is None:
        return "PostgreSQL is not installed (make cluster installs it as root)"
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "no 'postgres' user to run PostgreSQL as (it refuses root)"
    return None


def pg_url(pgdata: Path, port: int, db: str = PG_DB) -> str:
    password = (pgdata.parent / "pg-password").read_text().strip()
    return f"postgresql://{PG_USER}:{password}@127.0.0.1:{port}/{db}"


def init_db(pgdata: Path) -> None:
    """Create PostgreSQL's data folder ``pgdata`` on first use (initdb: user digit, password in
    ``pgdata``/../pg-password, required over TCP); nothing if it exists."""
    bin_ = pg_bin()
    if bin_ is None:
        raise ClusterError("PostgreSQL is not installed")
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pwfile = pgdata.parent / "pg-password"
    if not pwfile.exists():
        pwfile.write_text(secrets.token_hex(16) + "\n")
        pwfile.chmod(0o600)
    if (pgdata / "PG_VERSION").exists():
        return
    pgdata.mkdir(mode=0o700, exist_ok=True)
    tmp_pw = pgdata.parent / ".pg-password-initdb"  # for initdb, readable by its user
    shutil.copy(pwfile, tmp_pw)
    if os.geteuid() == 0:
        shutil.chown(pgdata, "postgres", "postgres")
        shutil.chown(tmp_pw, "postgres", "postgres")
    _run(
        [*_as_pg(), str(bin_ / "initdb"), "-D", str(pgdata), "-U", PG_USER, f"--pwfile={tmp_pw}"]
        + ["--auth-host=scram-sha-256", "--auth-local=peer", "-E", "UTF8", "--no-instructions"],
        "initdb",
    )
    tmp_pw.unlink()


def pg_options(port: int) -> str:
    """The server's options, as one command line's worth: 127.0.0.1:``port`` only, no Unix socket
    (the folder Debian's packages use may not exist), room for every replica's connection pool."""
    return f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' -c max_connections=200"


def start_db(pgdata: Path, port: int, log: Path) -> str:
    """Start a PostgreSQL server of its own with pg_ctl, as the cluster's is (same data folder
    layout and options) but outside supervisord (the store's tests take one); wait until it takes
    connections; return its URL."""
    init_db(pgdata)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()
    if os.geteuid() == 0:
        shutil.chown(log, "postgres", "postgres")
    if not (pgdata / "postmaster.pid").exists():
        pg_ctl = [*_as_pg(), str(pg_bin() / "pg_ctl"), "-D", str(pgdata), "-l", str(log)]
        _run([*pg_ctl, "-w", "-t", "60", "-o", pg_options(port), "start"])
    _ensure_database(pgdata, port)
    return pg_url(pgdata, port)


def _ensure_database(pgdata: Path, port: int, timeout: float = 30, program: str | None = None) -> None:
    """Wait until the server takes connections, then create the app's database if it is missing."""
    import psycopg

    def ready() -> bool:
        try:
            with psycopg.connect(_dsn(pg_url(pgdata, port, "postgres")), autocommit=True, connect_timeout=3) as conn:
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone():
                    conn.execute(f"CREATE DATABASE {PG_DB}")
                return True
        except psycopg.OperationalError:
            return False

    _wait_until(ready, f"PostgreSQL on port {port} does not take connections", timeout, program)


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def create_database(pgdata: Path, port: int, name: str) -> str:
    """A new, empty database on that server (the tests take one each); returns its URL."""
    import psycopg

    with psycopg.connect(_dsn(pg_url(pgdata, port, "postgres")), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url(pgdata, port, name)


def stop_db(pgdata: Path) -> None:
    """Stop a server that start_db started (fast: open connections are cut)."""
    bin_ = pg_bin()
    if bin_ and (pgdata / "postmaster.pid").exists():
        _run([*_as_pg(), str(bin_ / "pg_ctl"), "-D", str(pgdata), "-w", "-t", "60", "-m", "fast", "stop"])


def restart_db(pgdata: Path, log: Path) -> None:
    """Restart a server that start_db started (fast: open connections are cut).
    (Without -l the new server would keep pg_ctl's output pipe open, and pg_ctl would never return.)"""
    _run(
        [
            *_as_pg(),
            str(pg_bin() / "pg_ctl"),
            "-D",
            str(pgdata),
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "-m",
            "fast",
            "restart",
        ]
    )


# -- the cluster -------------------------------------------------------------------------------


def _paths() -> dict[str, Path]:
    return {
        "pg": DATA / "pg",
        "nginx": DATA / "nginx",
        "supervisord.conf": DATA / "supervisord.conf",
        "logs": DATA / "logs",
        "run": DATA / "run",
        "passcode": DATA / "passcode",
    }


def passcode() -> str:
    """The presenter passcode: $DIGIT_STUDIO_PRESENTER_PASSCODE, else the one kept in DATA/passcode,
    else a new one written there. Behind nginx every client looks like loopback to the app, so a
    cluster without a passcode would make everyone presenter."""
    given = os.environ.get(PASSCODE_ENV, "").strip()
    if given:
        return given
    path = _paths()["passcode"]
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    code = secrets.token_urlsafe(9)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code + "\n")
    path.chmod(0o600)
    return code


def _secret(name: str) -> str:
    path = DATA / name
    if not path.exists():
        path.write_text(secrets.token_hex(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def replicas_env(db_url: str) -> dict[str, str]:
    """What every replica shares, given to supervisord as its own environment (its programs inherit
    it), so that no secret is written into its configuration. Each replica adds its number."""
    slots = max(1, (os.cpu_count() or 1) // len(REPLICA_PORTS))  # training slots are per replica
    return {
        **os.environ,
        "DIGIT_STUDIO_DB": db_url,
        "DIGIT_STUDIO_JOIN_PORT": str(NGINX_PORT),  # the board's join address: nginx, not this replica
        PASSCODE_ENV: passcode(),
        "DIGIT_STUDIO_TRAIN_SLOTS": os.environ.get("DIGIT_STUDIO_TRAIN_SLOTS") or str(slots),
        # One secret for every replica: a cookie Streamlit signs on one is valid on the others.
        "STREAMLIT_SERVER_COOKIE_SECRET": _secret("cookie-secret"),
    }


def wait_healthy(url: str, program: str | None = None, timeout: float = HEALTH_TIMEOUT) -> None:
    """Wait until ``url``/_stcore/health answers ok (ClusterError, with the log's tail, if
    supervisord gives ``program`` up meanwhile)."""

    def ok() -> bool:
        with contextlib.suppress(OSError):
            return urllib.request.urlopen(f"{url}/_stcore/health", timeout=3).read() == b"ok"
        return False

    _wait_until(ok, f"{url} did not answer /_stcore/health", timeout, program)


def _wait_until(ready: Callable[[], bool], failure: str, timeout: float, program: str | None = None) -> None:
    """Poll ``ready`` until it is true; ClusterError(``failure``) after ``timeout`` seconds, or as
    soon as supervisord gives ``program`` up (FATAL: it died on every start it was allowed)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if program is not None and supervisor().getProcessInfo(program)["statename"] == "FATAL":
            log = _paths()["logs"] / f"{program}.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ClusterError(f"{failure}: supervisord gave {program} up ({log}):\n{tail}")
        if time.monotonic() > deadline:
            raise ClusterError(f"{failure} within {timeout:.0f} s")
        time.sleep(0.25)


def max_upload_mb() -> int:
    """Streamlit's upload limit (server.maxUploadSize in .streamlit/config.toml), in MB."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    return int(config["server"]["maxUploadSize"])


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    return template


def fill_nginx_conf(servers: list[str], listen: str) -> str:
    """deploy/nginx.conf filled in for app replicas at ``servers`` (host:port, replica 1 first):
    the hashed pool for new browsers, and per replica a pool of it with the others as backups,
    for browsers whose cookie names it (ui/layout.py writes "r<n>")."""
    line = "        server {} max_fails=1 fail_timeout=5s{};"
    pool = "\n".join(line.format(s, "") for s in servers)
    routes = "\n".join(f'        "r{n}" ds_r{n};' for n in range(1, len(servers) + 1))
    pinned = ""
    for n, own in enumerate(servers, start=1):
        rest = "".join("\n" + line.format(s, " backup") for s in servers if s != own)
        pinned += f"\n    upstream ds_r{n} {{\n{line.format(own, '')}{rest}\n    }}"
    values = {
        "REPLICAS": pool,
        "ROUTES": routes,
        "PINNED": pinned,
        "LISTEN": listen,
        "NGINX_PORT": str(NGINX_PORT),
        "MAX_BODY": f"{max_upload_mb() + 1}m",  # the upload, with its multipart framing
    }
    return _fill((ROOT / "deploy" / "nginx.conf").read_text(), values)


def render_nginx_conf() -> Path:
    """deploy/nginx.conf with the ports filled in, written into DATA/nginx/ and checked (nginx -t)."""
    folder = _paths()["nginx"]
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    out = folder / "nginx.conf"
    out.write_text(fill_nginx_conf([f"127.0.0.1:{port}" for port in REPLICA_PORTS], LISTEN))
    _run([nginx_bin(), "-p", f"{folder}/", "-c", str(out), "-e", str(folder / "error.log"), "-t", "-q"], "nginx -t")
    return out


COMPOSE_APP_PORT = 8501  # each app container's port in the Docker Compose example (README)


def compose_nginx_conf(replicas: int = 2) -> str:
    """deploy/nginx.conf for the README's Docker Compose example: services app1..appN on
    COMPOSE_APP_PORT, nginx's port on all interfaces, and every path absolute, since the nginx
    image runs with its prefix in /etc/nginx/, where no tmp/ folder exists to create temp paths in."""
    conf = "# Rendered for Docker Compose by `python -m deploy.cluster compose-nginx`.\n"
    conf += fill_nginx_conf([f"app{n}:{COMPOSE_APP_PORT}" for n in range(1, replicas + 1)], "0.0.0.0")
    for old, new in [
        ("pid nginx.pid;", "pid /tmp/nginx.pid;"),
        ("error_log error.log warn;", "error_log /dev/stderr warn;"),
        *(
            (f"_temp_path tmp/{kind};", f"_temp_path /tmp/nginx-{kind};")
            for kind in ("body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
    ]:
        if old not in conf:
            raise ClusterError(f"deploy/nginx.conf has no {old!r} line to make absolute for Docker Compose")
        conf = conf.replace(old, new)
    return conf


def fill_supervisord_conf() -> str:
    """deploy/supervisord.conf filled in: paths, ports, users, and its replica section once per
    port in REPLICA_PORTS (as replica-1, replica-2, ...)."""
    p = _paths()
    template = (ROOT / "deploy" / "supervisord.conf").read_text()
    # The replica's section: its header and the lines after it, up to the first empty line.
    section = re.search(r"^\[program:replica-@N@\]\n(?:.+\n)+", template, re.MULTILINE)
    if section is None:
        raise ClusterError("deploy/supervisord.conf has no [program:replica-@N@] section")
    replicas = "\n".join(
        _fill(section.group(), {"N": str(n), "PORT": str(port)}) for n, port in enumerate(REPLICA_PORTS, start=1)
    )
    conf = template[: section.start()] + replicas + template[section.end() :]
    values = {
        "USER": getpass.getuser(),
        "PG_USER": "postgres" if os.geteuid() == 0 else getpass.getuser(),
        "ROOT": str(ROOT),
        "LOGS": str(p["logs"]),
        "RUN": str(p["run"]),
        "PG_BIN": str(pg_bin()),
        "PGDATA": str(p["pg"]),
        "PG_OPTIONS": pg_options(PG_PORT),
        "PYTHON": sys.executable,
        "NGINX": str(nginx_bin()),
        "NGINX_DIR": str(p["nginx"]),
    }
    # supervisord reads "%(name)s" in its values as an expansion: a literal % is written %%.
    return _fill(conf, {key: value.replace("%", "%%") for key, value in values.items()})


def supervisor():
    """supervisord's XML-RPC interface (what supervisorctl uses), over its Unix socket: startProcess,
    stopProcess, getProcessInfo, getAllProcessInfo... (supervisord's API documentation)."""
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(None, None, f"unix://{_paths()['run'] / 'supervisor.sock'}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor


def _supervisord_pid() -> int | None:
    """supervisord's pid, if it runs (from its pid file)."""
    try:
        pid = int((_paths()["run"] / "supervisord.pid").read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _supervisord_answers() -> bool:
    try:
        return supervisor().getState()["statename"] == "RUNNING"
    except (OSError, xmlrpc.client.Error):
        return False


def _start_program(name: str) -> None:
    """Have supervisord start ``name`` unless it runs already (or is starting)."""
    try:
        supervisor().startProcess(name, False)
    except xmlrpc.client.Fault as fault:
        if "ALREADY_STARTED" not in fault.faultString:
            raise ClusterError(f"supervisord could not start {name}: {fault.faultString}") from None


def start_supervisord() -> None:
    """Render supervisord's configuration and start it, with the replicas' shared environment; it
    starts PostgreSQL at once, the rest when asked. Nothing if it runs already."""
    p = _paths()
    if _supervisord_answers():
        return
    p["logs"].mkdir(parents=True, exist_ok=True)
    p["run"].mkdir(parents=True, exist_ok=True)
    render_nginx_conf()
    p["supervisord.conf"].write_text(fill_supervisord_conf())
    env = replicas_env(pg_url(p["pg"], PG_PORT))
    # supervisord forks into the background once its configuration reads well; its parent's exit
    # status and message say if it did not.
    cmd = [sys.executable, "-m", "supervisor.supervisord", "-c", str(p["supervisord.conf"])]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ClusterError(f"supervisord did not start ({done.returncode}): {(done.stderr or done.stdout)[-1500:]}")
    _wait_until(_supervisord_answers, f"supervisord did not answer on {p['run'] / 'supervisor.sock'}", 30)


def start() -> None:
    """Start supervisord, then bring up PostgreSQL, the replicas and nginx, each once the one before
    answers. Run again, it starts what does not run (a replica stopped on purpose, one supervisord
    gave up) and leaves what runs alone."""
    ensure_packages()
    p = _paths()
    DATA.mkdir(parents=True, exist_ok=True)
    code = passcode()
    init_db(p["pg"])
    start_supervisord()
    print(f"PostgreSQL on 127.0.0.1:{PG_PORT}, data in {p['pg']}", flush=True)
    _start_program("postgresql")
    _ensure_database(p["pg"], PG_PORT, timeout=60, program="postgresql")
    for number, port in enumerate(REPLICA_PORTS, start=1):
        print(f"replica {number} on 127.0.0.1:{port}", flush=True)
        _start_program(f"replica-{number}")
    for number, port in enumerate(REPLICA_PORTS, start=1):
        wait_healthy(f"http://127.0.0.1:{port}", f"replica-{number}")
    _start_program("nginx")
    wait_healthy(f"http://127.0.0.1:{NGINX_PORT}", "nginx", timeout=30)
    print(f"Digit Studio is up: http://<this machine>:{NGINX_PORT} ({len(REPLICA_PORTS)} replicas behind nginx)")
    source = "from $" + PASSCODE_ENV if os.environ.get(PASSCODE_ENV) else f"kept in {p['passcode']}"
    print(f"Presenter passcode: {code} ({source})")
    print(f"Processes: {sys.executable} -m supervisor.supervisorctl -c {p['supervisord.conf']} status")
    print("Stop it with: make cluster-stop")


def stop() -> None:
    """Undo start: supervisord stops nginx, the replicas and PostgreSQL, in that order (SIGTERM is
    its orderly shutdown), then removes its socket and pid file and exits."""
    pid = _supervisord_pid()
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _supervisord_pid():
            if time.monotonic() > deadline:
                raise ClusterError(f"supervisord (pid {pid}) still runs after {STOP_TIMEOUT} s: see its log")
            time.sleep(0.2)
    print("Digit Studio cluster stopped")


def restart_program(name: str) -> None:
    """Stop ``name`` and start it again (postgresql: a database restart in a hall; open connections
    are cut, and the replicas reconnect)."""
    supervisor().stopProcess(name)
    _start_program(name)
    if name == "postgresql":
        _ensure_database(_paths()["pg"], PG_PORT, timeout=60, program=name)


def stop_replica(number: int) -> None:
    """Stop replica ``number`` on purpose: supervisord leaves it down until `start` (the fault tests:
    a replica that goes away while browsers use it)."""
    supervisor().stopProcess(f"replica-{number}")


def status() -> int:
    """Each process's state, as supervisord sees it; 0 if all run."""
    ports = {"postgresql": f"127.0.0.1:{PG_PORT}"}
    ports |= {f"replica-{n}": f"127.0.0.1:{port}" for n, port in enumerate(REPLICA_PORTS, start=1)}
    ports["nginx"] = f"{LISTEN}:{NGINX_PORT}"
    states = {}
    if _supervisord_answers():
        states = {info["name"]: info for info in supervisor().getAllProcessInfo()}
    else:
        print("supervisord: stopped")
    for name, address in ports.items():
        info = states.get(name)
        shown = f"{info['statename'].lower()} ({info['description']})" if info else "stopped"
        print(f"{name} {address}: {shown}")
    return 0 if states and all(info["statename"] == "RUNNING" for info in states.values()) else 1


def _run(cmd: list[str], what: str | None = None) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        raise ClusterError(f"{what or Path(cmd[0]).name} did not finish within 180 s") from None
    if done.returncode != 0:
        why = (done.stderr or done.stdout)[-1500:]
        raise ClusterError(f"{what or Path(cmd[0]).name} failed ({done.returncode}): {why}")


def main(argv: list[str]) -> int:
    commands = {
        "start": start,
        "stop": stop,
        "status": status,
        "restart-db": lambda: restart_program("postgresql"),
        "stop-replica": lambda: stop_replica(int(argv[1])),
        "compose-nginx": lambda: print(compose_nginx_conf(int(argv[1]) if len(argv) > 1 else 2), end=""),
    }
    if not argv or argv[0] not in commands:
        print(f"usage: python -m deploy.cluster {{{','.join(commands)}}}", file=sys.stderr)
        return 2
    try:
        return commands[argv[0]]() or 0
    except ClusterError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
