"""Rewrite the initial migration from the current models.

Until the first release there is one migration; run this after changing a
model so that the drift test passes: ``.venv/bin/python tools/regen_initial_migration.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from zhike.core.migrate import alembic_config

VERSIONS = Path(__file__).resolve().parents[1] / "zhike" / "migrations" / "versions"


def main() -> None:
    for path in VERSIONS.glob("0001_*.py"):
        path.unlink()
    with tempfile.TemporaryDirectory() as folder:
        config = alembic_config(f"sqlite:///{folder}/empty.db")
        command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
    generated = next(VERSIONS.glob("0001_*.py"))
    lines = [line for line in generated.read_text().splitlines() if not line.startswith("Create Date:")]
    generated.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
