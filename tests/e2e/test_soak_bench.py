"""bench/soak.py, run for a few seconds: the soak still drives every part of the mix, counts
events by host, finds no error but the injected ones, and writes its table and plot."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_soak_runs_the_whole_mix_and_reports_only_the_injected_failures(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--minutes", "0.25", "--rate", "15",
         "--sample-s", "2", "--interval-s", "5", "--flat-from-min", "0.1", "--settle-s", "60",
         "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    report = (tmp_path / "soak-sqlite.txt").read_text()
    assert report.endswith("no error other than the injected ones\n"), report
    hosts = dict(re.findall(r"^  (\S+) +(.+)$", report, re.MULTILINE))
    assert set(hosts) == {"fast", "fast-direct", "slow-50ms", "slow-300ms", "flaky", "failing"}, report
    assert re.fullmatch(r"FAILED \d+", hosts["failing"]), report
    for behaviour in ("fast", "fast-direct", "slow-50ms", "slow-300ms", "flaky"):
        assert re.fullmatch(r"SUCCEEDED \d+", hosts[behaviour]), report
    assert re.search(r"^order +\d+ +0 ", report, re.MULTILINE), report
    assert re.search(r"^subscription_read +\d+ +0 ", report, re.MULTILINE), report
    assert (tmp_path / "soak-sqlite.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
