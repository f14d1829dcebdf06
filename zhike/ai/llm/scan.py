"""The detector over a text file, for ``zhike privacy scan``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zhike.ai.llm.names import NameMatcher
from zhike.ai.llm.privacy import Detector, Redactor


def scan_lines(path: Path, names: NameMatcher | None = None) -> list[dict[str, Any]]:
    """Detect personal data per line: spans with category and offsets, and the redacted text."""
    detector = Detector(names)
    results: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            text = line.rstrip("\r\n")
            spans = detector.detect(text)
            redactor = Redactor(detector=detector)
            results.append(
                {
                    "line": number,
                    "spans": [
                        {
                            "category": span.category,
                            "start": span.start,
                            "end": span.end,
                            "text": span.text,
                        }
                        for span in spans
                    ],
                    "redacted": redactor.redact(text),
                }
            )
    return results
