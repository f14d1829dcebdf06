"""Regenerate the web UI's typed API client from the server's OpenAPI description.

``python tools/web_client.py`` rewrites ``web/src/api/schema.d.ts``;
``--check`` only compares and exits with status 1 when the committed file is out
of date. The description comes from ``create_app().openapi()``, so no server
needs to run. openapi-typescript (pinned in web/package.json) writes the types.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
WEB = REPOSITORY / "web"
SCHEMA_TYPES = WEB / "src" / "api" / "schema.d.ts"
GENERATOR = WEB / "node_modules" / ".bin" / "openapi-typescript"


def openapi_description() -> dict[str, object]:
    from zhike.api.app import create_app

    return create_app().openapi()


def generate(target: Path) -> None:
    if not GENERATOR.exists():
        raise SystemExit(
            f"{GENERATOR} is missing; run `npm ci` in web/ first (make web-client does)"
        )
    with tempfile.TemporaryDirectory() as folder:
        description = Path(folder) / "openapi.json"
        description.write_text(json.dumps(openapi_description(), ensure_ascii=False, indent=1))
        subprocess.run(  # noqa: S603 - a fixed local program and our own temporary files
            # A field with a default is optional in a request body, so defaults must not
            # make properties required (openapi-typescript assumes they do).
            [
                str(GENERATOR),
                str(description),
                "--default-non-nullable=false",
                "--output",
                str(target),
            ],
            check=True,
            cwd=WEB,
            stdout=subprocess.DEVNULL,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when web/src/api/schema.d.ts is out of date"
    )
    arguments = parser.parse_args()
    if not arguments.check:
        generate(SCHEMA_TYPES)
        print(f"wrote {SCHEMA_TYPES.relative_to(REPOSITORY)}")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder) / "schema.d.ts"
        generate(fresh)
        current = SCHEMA_TYPES.read_text(encoding="utf-8") if SCHEMA_TYPES.exists() else ""
        if fresh.read_text(encoding="utf-8") != current:
            print(
                f"{SCHEMA_TYPES.relative_to(REPOSITORY)} does not match the API's OpenAPI "
                "description; run `make web-client` and commit the result",
                file=sys.stderr,
            )
            return 1
    print("web API client is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
