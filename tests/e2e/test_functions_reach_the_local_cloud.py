"""The local cloud points the sharetrust functions it runs at itself: with SHARETRUST_ENDPOINT unset and
proxies set in the caller's environment, a share still converges through the local cloud (issue 6 §5)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_tea_openapi.models import Config

from tests.e2e.conftest import e2e_seed, share_image, usable
from tests.localcloud.conftest import HZ, SHAREE, first_line, start

ROOT = Path(__file__).resolve().parents[2]
PROXIES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy")
CLOSED = "http://127.0.0.1:9"  # following a proxy variable would fail here, loudly and fast
PREFIX = "localcloud listening on http://127.0.0.1:"
GUARD = 60.0  # seconds; only so that a hung server fails the test instead of hanging the suite
DEMO_SHARER, DEMO_KEY = "1234567890123456", ("LTAI5tDemoSharer0001", "demo-sharer-secret")
PARTNER_A, GOLDEN = "2345678901234567", "m-bp1golden0000000001"


def test_in_process_functions_reach_this_cloud_without_sharetrust_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHARETRUST_ENDPOINT", "SHARETRUST_REGIONS", *PROXIES):
        monkeypatch.delenv(name, raising=False)
    lc = start(e2e_seed())
    try:
        lc.deliveries.pause()
        share_image(lc, "m-cmk0001", SHAREE)  # the test's own SDK call, before any proxy is set
        for name in PROXIES:
            monkeypatch.setenv(name, CLOSED)
        lc.deliveries.resume()
        assert lc.wait_idle(GUARD), "trigger deliveries did not finish"
        assert not lc.deliveries.failures, lc.deliveries.failures
        assert usable(lc, SHAREE, "m-cmk0001")
        by_function = [e for e in lc.requests.entries() if e.caller == "role/sharetrust-fc"]
        assert any(e.name == "Ram:UpdateRole" and e.status == 200 for e in by_function), by_function
        assert "SHARETRUST_ENDPOINT" not in os.environ  # the caller's environment is left as it was
    finally:
        lc.close()


def _debug(endpoint: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://{endpoint}/_localcloud/{path}", data=data, method="GET" if data is None else "POST"
    )
    with urllib.request.urlopen(request, timeout=GUARD) as response:
        return json.loads(response.read())


def test_served_demo_functions_reach_the_served_cloud() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHARETRUST_", "ALIBABA_CLOUD_"))}
    env.update(dict.fromkeys(PROXIES, CLOSED))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "serve", "--port", "0", "--seed", "localcloud/demo_seed.yaml"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = first_line(process, GUARD)
        assert line.startswith(PREFIX), line
        endpoint = f"127.0.0.1:{int(line[len(PREFIX) :])}"

        config = Config(
            access_key_id=DEMO_KEY[0], access_key_secret=DEMO_KEY[1], endpoint=endpoint, protocol="http", region_id=HZ
        )
        EcsClient(config).modify_image_share_permission(
            ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id=GOLDEN, add_account=[PARTNER_A])
        )
        assert _debug(endpoint, "wait-idle", {"timeout": GUARD}) == {"idle": True}
        assert _debug(endpoint, "can-use", {"sharee": PARTNER_A, "resource": GOLDEN})["usable"] is True
        entries = _debug(endpoint, "requests")["entries"]
        by_function = [e for e in entries if e["caller"] == "role/sharetrust-fc" and e["account_uid"] == DEMO_SHARER]
        assert any(e["product"] == "Ram" and e["write"] and e["status"] == 200 for e in by_function), entries
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=GUARD)
    # A failed delivery is logged on stderr (`delivery ... failed`).
    assert process.returncode == 0 and "failed" not in stderr and "Traceback" not in stderr, stderr
