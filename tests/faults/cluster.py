"""A private PostgreSQL cluster for fault runs, so that restarting it disturbs nobody else (the
machine's shared server on 5432 serves other tests meanwhile): ``initdb`` in a temporary
directory, a free loopback port, ``pg_ctl`` to start, stop and restart it. As root, every
PostgreSQL command runs as the ``postgres`` user (the server refuses to run as root).
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"


def postgres_bin() -> Path:
    """The directory of ``initdb`` and ``pg_ctl``: PATH first, else Debian's newest version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob(BIN_GLOB), key=lambda p: int(Path(p).parent.name.split(".")[0]))
    if not versions:
        raise RuntimeError(f"no initdb on PATH nor in {BIN_GLOB}: install PostgreSQL's server")
    return Path(versions[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateCluster:
    """``with PrivateCluster() as cluster:`` a running server at ``cluster.url`` (database
    ``postgres``, trust authentication); stopped and deleted on exit, whatever happened."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="marketlink-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.restarts = 0

    def __enter__(self) -> "PrivateCluster":
        try:
            if os.geteuid() == 0:
                shutil.chown(self.dir, "postgres")
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
            self.start()
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.destroy()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"),
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions terminated, a clean shutdown; ``immediate``: as a crash (the
        next start recovers from the WAL)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str, down_s: float) -> None:
        """Stop, stay down ``down_s`` seconds (clients' connections are refused), start."""
        self.stop(mode)
        time.sleep(down_s)
        self.start()
        self.restarts += 1

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except RuntimeError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        path = self.dir / "server.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              cwd=self.dir)
        if done.returncode:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}")
