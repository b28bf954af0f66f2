"""`python -m localcloud serve` as a separate process: the address line, health, a real SDK call, SIGTERM,
and a bad seed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_tea_openapi.models import Config
from Tea.exceptions import TeaException

from tests.localcloud.conftest import HZ, KEYS, SH, SHARER, base_seed, first_line

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "localcloud listening on http://127.0.0.1:"
GUARD = 60.0  # seconds; only so that a hung server fails the test instead of hanging the suite


def _serve(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "localcloud", "serve", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(base_seed(), sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def server(seed_file: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = _serve("--port", "0", "--seed", str(seed_file))
    try:
        line = first_line(process, GUARD)
        assert line.startswith(PREFIX) and line.endswith("\n"), line
        port = int(line[len(PREFIX) :])
        assert 0 < port < 65536
        yield process, f"127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=GUARD)


def test_serves_health_and_sdk_calls_then_stops_on_sigterm(server: tuple[subprocess.Popen[str], str]) -> None:
    process, endpoint = server
    with urllib.request.urlopen(f"http://{endpoint}/_localcloud/health", timeout=GUARD) as response:
        assert (response.status, json.loads(response.read())) == (200, {"ok": True})

    ak, secret = KEYS[SHARER]
    config = Config(access_key_id=ak, access_key_secret=secret, endpoint=endpoint, protocol="http", region_id=HZ)
    regions = EcsClient(config).describe_regions(ecs_models.DescribeRegionsRequest()).body.regions.region
    assert [r.region_id for r in regions] == [HZ, SH]
    # The seeded key is checked: a wrong secret is refused by the separate process too.
    config.access_key_secret = "wrong"
    with pytest.raises(TeaException) as raised:
        EcsClient(config).describe_regions(ecs_models.DescribeRegionsRequest())
    assert raised.value.code == "SignatureDoesNotMatch"

    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=GUARD)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_it_says_which_keys_to_use_and_that_it_blocks(seed_file: Path) -> None:
    process = _serve("--port", "0", "--seed", str(seed_file))
    lines: list[str] = []

    def read_until_serving() -> None:
        for line in process.stdout or []:
            lines.append(line.rstrip("\n"))
            if line.startswith("serving until"):
                return

    try:
        reader = threading.Thread(target=read_until_serving)
        reader.start()
        reader.join(GUARD)
    finally:
        process.terminate()
        process.communicate(timeout=GUARD)
    ak, secret = KEYS[SHARER]
    assert lines[0].startswith(PREFIX)
    assert f"  {SHARER} sharer: {ak} / {secret}" in lines  # the seed's root keys, to sign requests with
    assert lines[-1] == "serving until Ctrl-C or SIGTERM; this terminal stays busy, use another one"


def test_without_a_seed_it_serves_an_empty_cloud() -> None:
    process = _serve("--port", "0")
    try:
        assert first_line(process, GUARD).startswith(PREFIX)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=GUARD)
    assert process.returncode == 0 and "Traceback" not in stderr


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("unknown-key.yaml", "accounts:\n  - {uid: '1', colour: blue}\n", "seed.accounts[0]: unknown keys colour"),
        ("bad-check.json", '{"settings": {"share_check": "strict"}}', "settings.share_check must be"),
        ("broken.json", '{"accounts": [', "broken.json: not valid JSON"),
        ("wrong-type.yaml", "accounts:\n  - {uid: '1', snapshots: [{id: s-1, size_gb: big}]}\n", "malformed value"),
    ],
)
def test_a_bad_seed_exits_2_without_a_traceback(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    process = _serve("--port", "0", "--seed", str(path))
    stdout, stderr = process.communicate(timeout=GUARD)
    assert process.returncode == 2
    assert stdout == ""
    assert stderr.startswith("localcloud: ") and message in stderr, stderr
    assert "Traceback" not in stderr


def test_a_missing_seed_file_exits_2(tmp_path: Path) -> None:
    process = _serve("--seed", str(tmp_path / "nothere.yaml"))
    _, stderr = process.communicate(timeout=GUARD)
    assert process.returncode == 2
    assert "nothere.yaml" in stderr and "Traceback" not in stderr
