"""Digit Studio for a hall, on one machine: PostgreSQL, app replicas, and nginx in front.

    python -m deploy.cluster start       # make cluster
    python -m deploy.cluster stop        # make cluster-stop: stops exactly what start started
    python -m deploy.cluster status

Every port and folder is named once, below; each can be changed with the environment variable
of the same name (the tests run their own cluster that way, on free ports, in a temporary
folder). Under ``DATA``: ``pg/`` (the database), ``nginx/`` (its rendered configuration, pid,
logs), ``logs/``, ``run/`` (the pid of each process that start started), ``passcode``.

PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user (runuser). As
root, missing ``postgresql`` and ``nginx`` packages are installed with apt-get. Health is
checked over HTTP (``/_stcore/health``) and with real connections, never by sleeping.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
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


def start_db(pgdata: Path, port: int, log: Path) -> str:
    """Start PostgreSQL with its data in ``pgdata`` (initialised on first use), listening on
    127.0.0.1:``port`` only, password required; wait until it takes connections; return its URL."""
    bin_ = pg_bin()
    if bin_ is None:
        raise ClusterError("PostgreSQL is not installed")
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pwfile = pgdata.parent / "pg-password"
    if not pwfile.exists():
        pwfile.write_text(secrets.token_hex(16) + "\n")
        pwfile.chmod(0o600)
    owner = ["postgres", "postgres"] if os.geteuid() == 0 else None
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(mode=0o700, exist_ok=True)
        tmp_pw = pgdata.parent / ".pg-password-initdb"  # for initdb, readable by its user
        shutil.copy(pwfile, tmp_pw)
        if owner:
            shutil.chown(pgdata, *owner)
            shutil.chown(tmp_pw, *owner)
        _run(
            [*_as_pg(), str(bin_ / "initdb"), "-D", str(pgdata), "-U", PG_USER, f"--pwfile={tmp_pw}"]
            + ["--auth-host=scram-sha-256", "--auth-local=peer", "-E", "UTF8", "--no-instructions"],
            "initdb",
        )
        tmp_pw.unlink()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()
    if owner:
        shutil.chown(log, *owner)
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' -c max_connections=200"
    if not (pgdata / "postmaster.pid").exists():
        pg_ctl = [*_as_pg(), str(bin_ / "pg_ctl"), "-D", str(pgdata), "-l", str(log)]
        _run([*pg_ctl, "-w", "-t", "60", "-o", opts, "start"])
    _ensure_database(pgdata, port)
    return pg_url(pgdata, port)


def _ensure_database(pgdata: Path, port: int, timeout: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(_dsn(pg_url(pgdata, port, "postgres")), autocommit=True, connect_timeout=3) as conn:
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone():
                    conn.execute(f"CREATE DATABASE {PG_DB}")
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise ClusterError(f"PostgreSQL on port {port} does not take connections: {exc}") from None
            time.sleep(0.3)


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
    bin_ = pg_bin()
    if bin_ and (pgdata / "postmaster.pid").exists():
        _run([*_as_pg(), str(bin_ / "pg_ctl"), "-D", str(pgdata), "-w", "-t", "60", "-m", "fast", "stop"])


def restart_db(pgdata: Path, log: Path) -> None:
    """Restart PostgreSQL (fast: open connections are cut), as a database restart in a hall would.
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


def replica_env(number: int, db_url: str) -> dict[str, str]:
    slots = max(1, (os.cpu_count() or 1) // len(REPLICA_PORTS))  # training slots are per replica
    return {
        **os.environ,
        "DIGIT_STUDIO_DB": db_url,
        "DIGIT_STUDIO_REPLICA": str(number),
        "DIGIT_STUDIO_JOIN_PORT": str(NGINX_PORT),  # the board's join address: nginx, not this replica
        PASSCODE_ENV: passcode(),
        "DIGIT_STUDIO_TRAIN_SLOTS": os.environ.get("DIGIT_STUDIO_TRAIN_SLOTS") or str(slots),
        # One secret for every replica: a cookie Streamlit signs on one is valid on the others.
        "STREAMLIT_SERVER_COOKIE_SECRET": _secret("cookie-secret"),
    }


def start_replica(number: int, db_url: str) -> subprocess.Popen:
    """Start app replica ``number`` (1-based) on 127.0.0.1:REPLICA_PORTS[number-1]; record its pid."""
    p = _paths()
    port = REPLICA_PORTS[number - 1]
    p["logs"].mkdir(parents=True, exist_ok=True)
    p["run"].mkdir(parents=True, exist_ok=True)
    log = open(p["logs"] / f"replica-{number}.log", "ab")
    cmd = [sys.executable, "-m", "ui.serve", "--server.headless", "true"]  # the warm-up starts with it
    cmd += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=replica_env(number, db_url), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    (p["run"] / f"replica-{number}.pid").write_text(f"{proc.pid}\n")
    return proc


def wait_healthy(url: str, proc: subprocess.Popen | None = None, log: Path | None = None, timeout=HEALTH_TIMEOUT):
    """Wait until ``url``/_stcore/health answers ok (ClusterError with the log's tail if it dies)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise ClusterError(f"{url} exited with code {proc.returncode}:\n{tail}")
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=3).read() == b"ok":
                return
        if time.monotonic() > deadline:
            raise ClusterError(f"{url} did not answer /_stcore/health within {timeout:.0f} s")
        time.sleep(0.25)


def max_upload_mb() -> int:
    """Streamlit's upload limit (server.maxUploadSize in .streamlit/config.toml), in MB."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    return int(config["server"]["maxUploadSize"])


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
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for key, value in {
        "@REPLICAS@": pool,
        "@ROUTES@": routes,
        "@PINNED@": pinned,
        "@LISTEN@": listen,
        "@NGINX_PORT@": str(NGINX_PORT),
        "@MAX_BODY@": f"{max_upload_mb() + 1}m",  # the upload, with its multipart framing
    }.items():
        conf = conf.replace(key, value)
    return conf


def render_nginx_conf() -> Path:
    """deploy/nginx.conf with the ports filled in, written into DATA/nginx/."""
    folder = _paths()["nginx"]
    for sub in ("tmp",):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    conf = fill_nginx_conf([f"127.0.0.1:{port}" for port in REPLICA_PORTS], LISTEN)
    out = folder / "nginx.conf"
    out.write_text(conf)
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


def start_nginx() -> None:
    folder = _paths()["nginx"]
    conf = render_nginx_conf()
    exe = nginx_bin()
    _run([exe, "-p", f"{folder}/", "-c", str(conf), "-e", str(folder / "error.log"), "-t", "-q"], "nginx -t")
    _run([exe, "-p", f"{folder}/", "-c", str(conf), "-e", str(folder / "error.log")], "nginx")
    (_paths()["run"] / "nginx.started").write_text("1\n")


def stop_nginx() -> None:
    folder = _paths()["nginx"]
    pidfile = folder / "nginx.pid"
    if pidfile.exists():
        exe = nginx_bin() or "nginx"
        conf, err = str(folder / "nginx.conf"), str(folder / "error.log")
        subprocess.run([exe, "-p", f"{folder}/", "-c", conf, "-e", err, "-s", "stop"], check=False)
        deadline = time.monotonic() + 10
        while pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    (_paths()["run"] / "nginx.started").unlink(missing_ok=True)


def _pid(name: str) -> int | None:
    path = _paths()["run"] / f"{name}.pid"
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def kill_replica(number: int, sig: int = signal.SIGKILL) -> None:
    """Kill replica ``number`` (the fault tests: a replica that dies)."""
    pid = _pid(f"replica-{number}")
    (_paths()["run"] / f"replica-{number}.pid").unlink(missing_ok=True)  # first: the watchdog leaves it down
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        _wait_gone(pid)


def _wait_gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    return False


def start() -> None:
    ensure_packages()
    p = _paths()
    DATA.mkdir(parents=True, exist_ok=True)
    code = passcode()
    print(f"PostgreSQL on 127.0.0.1:{PG_PORT}, data in {p['pg']}", flush=True)
    db_url = start_db(p["pg"], PG_PORT, p["logs"] / "postgresql.log")
    (p["run"]).mkdir(parents=True, exist_ok=True)
    (p["run"] / "postgresql.started").write_text("1\n")
    procs = {}
    for number, port in enumerate(REPLICA_PORTS, start=1):
        if _alive(_pid(f"replica-{number}")):
            continue
        print(f"replica {number} on 127.0.0.1:{port}", flush=True)
        procs[number] = start_replica(number, db_url)
    for number, proc in procs.items():
        wait_healthy(f"http://127.0.0.1:{REPLICA_PORTS[number - 1]}", proc, p["logs"] / f"replica-{number}.log")
    if not (p["nginx"] / "nginx.pid").exists():
        start_nginx()
    wait_healthy(f"http://127.0.0.1:{NGINX_PORT}")
    start_watch()
    print(f"Digit Studio is up: http://<this machine>:{NGINX_PORT} ({len(REPLICA_PORTS)} replicas behind nginx)")
    source = "from $" + PASSCODE_ENV if os.environ.get(PASSCODE_ENV) else f"kept in {p['passcode']}"
    print(f"Presenter passcode: {code} ({source})")
    print("Stop it with: make cluster-stop")


def _alive(pid: int | None) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


WATCH_EVERY = 2.0  # seconds between the watchdog's looks at the replicas
MAX_RESTARTS, RESTART_WINDOW = 5, 600.0  # a replica that dies more often is left down (see its log)


def watch() -> None:
    """The watchdog `start` leaves running: restart a replica that died, one whose pid file is
    still there (`stop` and `kill-replica` remove it first), at most MAX_RESTARTS times in
    RESTART_WINDOW seconds each. Runs until `stop` stops it."""
    p = _paths()
    db_url = pg_url(p["pg"], PG_PORT)
    children: dict[int, subprocess.Popen] = {}
    restarts: dict[int, list[float]] = {n: [] for n in range(1, len(REPLICA_PORTS) + 1)}
    while True:
        time.sleep(WATCH_EVERY)
        for number, times in restarts.items():
            if number in children:
                children[number].poll()  # reap it if it died: a zombie looks alive to kill(pid, 0)
            pid = _pid(f"replica-{number}")
            if pid is None or _alive(pid):
                continue
            now = time.monotonic()
            times[:] = [t for t in times if now - t < RESTART_WINDOW]
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            if len(times) >= MAX_RESTARTS:
                print(
                    f"{stamp} replica {number} died {MAX_RESTARTS} times in {RESTART_WINDOW:.0f} s: left down",
                    flush=True,
                )
                (p["run"] / f"replica-{number}.pid").unlink(missing_ok=True)
                continue
            times.append(now)
            print(f"{stamp} replica {number} (pid {pid}) died: restarting it", flush=True)
            children[number] = start_replica(number, db_url)


def start_watch() -> None:
    p = _paths()
    if _alive(_pid("watch")):
        return
    log = open(p["logs"] / "watch.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.cluster", "watch"],
        cwd=ROOT,
        env=os.environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    (p["run"] / "watch.pid").write_text(f"{proc.pid}\n")


def _terminate(pid: int | None, grace: float = 5) -> None:
    """Stop process group ``pid`` if it runs: SIGTERM, and SIGKILL after ``grace`` seconds."""
    if not (pid and _alive(pid)):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    if not _wait_gone(pid, grace):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        _wait_gone(pid, 5)


def stop() -> None:
    """Undo start: nginx, the replicas, PostgreSQL (each only if start started it)."""
    p = _paths()
    _terminate(_pid("watch"))  # first, so that it restarts nothing that is being stopped
    (p["run"] / "watch.pid").unlink(missing_ok=True)
    stop_nginx()
    for number in range(1, len(REPLICA_PORTS) + 1):
        _terminate(_pid(f"replica-{number}"), grace=15)
        (p["run"] / f"replica-{number}.pid").unlink(missing_ok=True)
    if (p["run"] / "postgresql.started").exists():
        stop_db(p["pg"])
        (p["run"] / "postgresql.started").unlink(missing_ok=True)
    print("Digit Studio cluster stopped")


def status() -> int:
    p = _paths()
    up = 0
    pg = (p["pg"] / "postmaster.pid").exists()
    print(f"postgresql 127.0.0.1:{PG_PORT}: {'running' if pg else 'stopped'}")
    for number, port in enumerate(REPLICA_PORTS, start=1):
        ok = _alive(_pid(f"replica-{number}"))
        up += ok
        print(f"replica {number} 127.0.0.1:{port}: {'running' if ok else 'stopped'}")
    ng = (p["nginx"] / "nginx.pid").exists()
    print(f"nginx {LISTEN}:{NGINX_PORT}: {'running' if ng else 'stopped'}")
    return 0 if pg and ng and up == len(REPLICA_PORTS) else 1


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
        "restart-db": lambda: restart_db(_paths()["pg"], _paths()["logs"] / "postgresql.log"),
        "kill-replica": lambda: kill_replica(int(argv[1])),
        "start-replica": lambda: start_replica(int(argv[1]), pg_url(_paths()["pg"], PG_PORT)),
        "watch": watch,
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
