"""One HTTP/TLS setup per process (issue 10): every SDK client shares one adapter and one TLS context.

darabonba builds a new SSLContext for every host it talks to (`DaraCore.get_adapter`), plain http
included; sharetrust replaces that with one shared adapter (sharetrust/cloud/transport.py). These tests
run sharetrust in a fresh interpreter, so no earlier test's SDK sessions hide what a cold process does,
and fail if the SDK changes so that the replacement no longer takes effect.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.conftest import sharer_environ, two_region_seed
from tests.localcloud.conftest import HZ, SH, start

ROOT = Path(__file__).resolve().parents[2]

# Counts the SSLContexts made once the SDK modules are imported (aiohttp makes two of its own on import,
# which no client can avoid), while sharetrust reconciles.
COUNTING_RECONCILE = r"""
import io, json, os, ssl, sys
import alibabacloud_ecs20140526.client, alibabacloud_kms20160120.client, alibabacloud_ram20150501.client
import alibabacloud_resourcesharing20200110.client, alibabacloud_sts20150401.client
from darabonba.core import DaraCore
from sharetrust.entry import reconcile

made = []
sdk_new = ssl.SSLContext.__new__
def counted_new(cls, *args, **kwargs):
    made.append(cls.__name__)
    return sdk_new(cls, *args, **kwargs)
ssl.SSLContext.__new__ = counted_new
sdk_get_adapter = DaraCore.__dict__["get_adapter"]
summary = reconcile(environ=dict(os.environ), log_stream=io.StringIO())
print(json.dumps({
    "contexts": len(made),
    "ok": summary.ok,
    "errors": summary.errors,
    "calls": dict(summary.api_calls),
    "sdk_get_adapter_replaced": DaraCore.__dict__["get_adapter"] is not sdk_get_adapter,
}))
"""


def fresh_interpreter(script: str, environ: dict[str, str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "SHARETRUST_"))}
    for proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        env.pop(proxy, None)
    env.update(environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_reconcile_over_many_hosts_builds_no_tls_context_per_host() -> None:
    lc = start(two_region_seed())
    try:
        result = fresh_interpreter(COUNTING_RECONCILE, sharer_environ(lc, SHARETRUST_REGIONS=f"{HZ},{SH}"))
    finally:
        lc.close()
    assert result["ok"], result["errors"]
    hosts = {action.split(":")[0] for action in result["calls"]}
    assert {"Ecs", "Kms", "Ram", "ResourceSharing"} <= hosts, result["calls"]  # 7 hosts over two regions
    assert result["sdk_get_adapter_replaced"]
    # Plain http to the local cloud needs no TLS context at all; the SDK's own adapters build one per host.
    assert result["contexts"] == 0, result
