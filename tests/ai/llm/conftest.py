"""Fixtures of the LLM gateway tests: a scripted provider server, a gateway and CRM names."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from llm_fake_server import FakeLLMServer
from llm_support import SleepRecorder

from zhike.ai.llm.cache import ResponseCache
from zhike.ai.llm.gateway import LLMGateway
from zhike.ai.llm.names import NameMatcherCache
from zhike.core.settings import reset_settings_cache


@pytest.fixture(autouse=True)
def key_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep the provider key file of each test in a folder of its own."""
    monkeypatch.setenv("ZHIKE_DATA_DIR", str(tmp_path))
    reset_settings_cache()
    yield tmp_path
    monkeypatch.undo()
    reset_settings_cache()


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def gateway(sleeps: SleepRecorder) -> Iterator[LLMGateway]:
    with httpx.Client() as client:
        yield LLMGateway(
            http_client=client, cache=ResponseCache(), names=NameMatcherCache(), sleep=sleeps
        )
