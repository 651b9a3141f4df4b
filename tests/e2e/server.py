"""Run MarketLink as a user would: ``make run`` in a temporary data directory, on a free port."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningServer:
    """``make run`` in the background; its stdout (the demo's welcome text) is kept."""

    def __init__(self, data_dir: Path, database_url: str, *, deliver: bool = False) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "MARKETLINK_DATABASE_URL": database_url,
            "MARKETLINK_DATA_DIR": str(data_dir),
            "MARKETLINK_PORT": str(self.port),
            "MARKETLINK_BASE_URL": self.base_url,
            # The seed's URLs are public hosts (example.com): tests never send traffic there.
            "MARKETLINK_RUN_WORKER": "true" if deliver else "false",
        }
        self.log = data_dir / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(["make", "--no-print-directory", "-C", str(ROOT), "run",
                                             f"VENV={BIN.parent}"], env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make run exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not answer in {timeout}s:\n{self.log.read_text()}")

    def cli(self, *args: str) -> str:
        """Run ``marketlink ARGS`` against the same database; its stdout, stripped."""
        done = subprocess.run([str(BIN / "marketlink"), *args], env=self.env, capture_output=True,
                              text=True, check=True)
        return done.stdout.strip()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=20)
