"""The web first-load benchmark runs end to end on an empty tenant, once.

It runs as its own process because it points the settings and the database at a
throwaway file. Only the shape of the results is checked, never the timings.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zhike.api.spa import STATIC_DIR, web_build_present

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("ZHIKE_WEB_BUILD_DIR") or STATIC_DIR)
CHROMIUM = os.environ.get("ZHIKE_CHROMIUM", "/usr/bin/chromium")


def test_web_first_load_smoke(tmp_path: Path) -> None:
    missing = [
        reason
        for reason, absent in (
            (f"no Chromium at {CHROMIUM}", shutil.which(CHROMIUM) is None),
            (f"no web UI build in {BUILD_DIR}", not web_build_present(BUILD_DIR)),
        )
        if absent
    ]
    if missing:
        message = "browser benchmark skipped: " + "; ".join(missing)
        if os.environ.get("ZHIKE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    output = tmp_path / "result.json"

    subprocess.run(  # noqa: S603 - this interpreter running a script of this repository
        [
            sys.executable,
            str(REPO_ROOT / "benchmarks" / "web_first_load.py"),
            "--no-demo-data",
            "--repeat",
            "1",
            "--workdir",
            str(tmp_path / "work"),
            "--output",
            str(output),
        ],
        check=True,
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=300,
    )

    result = json.loads(output.read_text(encoding="utf-8"))
    assert result["records"] == 0
    assert len(result["runs"]["cold"]) == 1
    assert len(result["runs"]["warm"]) == 1
    assert set(result["cold_median"]) == {
        "complete_s",
        "rendered_s",
        "slowest_api_s",
        "dom_content_loaded_s",
        "load_event_s",
    }
    assert result["cold_median"]["rendered_s"] > 0
