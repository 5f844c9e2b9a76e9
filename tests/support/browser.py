"""Headless Chromium for the dashboard test (Debian's chromium package)."""

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError(
            "Chromium was not found: install Debian's chromium package"
            " (`apt-get install -y chromium`; .ci/run does)"
        )
    return found


def _run(arguments: list[str]) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="cf-chromium-") as profile:
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *arguments],
            capture_output=True,
            text=True,
            timeout=120,
        )


def rendered_dom(page: Path) -> str:
    """The page's DOM after its scripts ran."""
    result = _run(["--virtual-time-budget=3000", "--dump-dom", page.as_uri()])
    if result.returncode:
        raise RuntimeError(f"chromium failed: {result.stderr[-2000:]}")
    return result.stdout


def screenshot(page: Path, png: Path, width: int = 1366, height: int = 2600) -> Path:
    result = _run(
        [
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            "--virtual-time-budget=3000",
            page.as_uri(),
        ]
    )
    if result.returncode or not png.exists():
        raise RuntimeError(f"chromium screenshot failed: {result.stderr[-2000:]}")
    return png
