"""Every function the local cloud runs sees SHARETRUST_ENDPOINT=<that cloud> and no proxy variables,
whatever the seed or the caller's environment says, and invocations stay concurrent when os.environ
already holds those values."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from localcloud import LocalCloud, fc
from tests.localcloud.conftest import SHARER, base_seed

PROXIES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
SEEN = ("SHARETRUST_ENDPOINT", *PROXIES, "APP_SETTING")
_meeting = threading.Barrier(2, timeout=10)


def environment(event: bytes, context: Any) -> str:
    """Handler: what the function sees of the variables that decide where its calls go."""
    return json.dumps({name: os.environ.get(name) for name in SEEN})


def meet(event: bytes, context: Any) -> str:
    """Handler: returns only once a second invocation is running at the same time."""
    _meeting.wait()
    return "met"


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    here = "tests.localcloud.test_fc_environment"
    s["accounts"][0]["functions"] = [
        {
            "service": "svc",
            "name": "env310",
            "handler": f"{here}.environment",
            # A seed cannot point a function elsewhere or through a proxy.
            "environment": {"SHARETRUST_ENDPOINT": "http://203.0.113.1:80", "HTTP_PROXY": "http://127.0.0.1:9"},
        },
        {"service": "svc", "name": "env312", "handler": f"{here}.environment", "runtime": "python3.12"},
        {"service": "svc", "name": "plain", "handler": f"{here}.environment", "environment": {"APP_SETTING": "on"}},
        {"service": "svc", "name": "meet", "handler": f"{here}.meet"},
    ]
    return s


@pytest.mark.parametrize("function", ["env310", "env312", "plain"])
def test_a_function_sees_this_cloud_and_no_proxy_whatever_the_caller_has(
    lc: LocalCloud, monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    monkeypatch.delenv("SHARETRUST_ENDPOINT", raising=False)
    for name in PROXIES:
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # a closed port: following it would fail
    seen = json.loads(fc.invoke(lc.context, (SHARER, "svc", function), b"{}"))
    assert seen["SHARETRUST_ENDPOINT"] == lc.url
    assert {name: seen[name] for name in PROXIES} == dict.fromkeys(PROXIES)
    assert seen["APP_SETTING"] == ("on" if function == "plain" else None)
    # The caller's environment is back as it was.
    assert "SHARETRUST_ENDPOINT" not in os.environ
    assert all(os.environ[name] == "http://127.0.0.1:9" for name in PROXIES)


def test_another_clouds_endpoint_in_the_environment_is_replaced(
    lc: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARETRUST_ENDPOINT", "http://127.0.0.1:1")
    seen = json.loads(fc.invoke(lc.context, (SHARER, "svc", "env310"), b"{}"))
    assert seen["SHARETRUST_ENDPOINT"] == lc.url
    assert os.environ["SHARETRUST_ENDPOINT"] == "http://127.0.0.1:1"


def test_invocations_run_concurrently_when_the_environment_already_fits(
    lc: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARETRUST_ENDPOINT", lc.url)
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)
    _meeting.reset()
    # Each invocation waits for the other: if invocations were serialised, the barrier would time out.
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: fc.invoke(lc.context, (SHARER, "svc", "meet"), b"{}"), range(2)))
    assert results == [b"met", b"met"]
