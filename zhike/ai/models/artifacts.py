"""Model artifacts as skops bytes: never pickle, and loaded only with an explicit trusted list."""

from __future__ import annotations

import hashlib

from skops.io import dumps, get_untrusted_types, loads

from zhike.core.errors import Conflict

# Types that skops does not trust by default but that our pipelines contain. Anything else
# found in an artifact refuses to load, so a tampered file cannot run arbitrary code.
TRUSTED_TYPES = [
    "zhike.ai.models.text.tokenize_words",
    "functools.partial",
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
    # A plain attribute container; soft-voting blends keep their members in one.
    "sklearn.utils._bunch.Bunch",
]


def dump_artifact(model: object) -> tuple[bytes, str]:
    data = dumps(model)
    return data, hashlib.sha256(data).hexdigest()


def load_artifact(data: bytes, sha256: str) -> object:
    """Load a stored model after checking its hash and that it holds only trusted types."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Conflict("model_artifact_corrupt")
    untrusted = [name for name in get_untrusted_types(data=data) if name not in TRUSTED_TYPES]
    if untrusted:
        raise Conflict("model_artifact_untrusted", types=", ".join(sorted(untrusted)[:5]))
    return loads(data, trusted=TRUSTED_TYPES)
