"""Cold start (issue 10): a share event imports only the SDK clients it needs, when it needs them.

A fresh interpreter imports the EventBridge handler, as Function Compute does, and hands it one ECS
ModifyImageSharePermission event with the account in the FC context. That event needs ECS (the image,
its snapshot, its sharees), KMS (its customer master key) and RAM (the share role); not Resource Sharing,
not STS (the account is known), not Log Service (no trigger batch, no audit logstore), not Function
Compute nor ResourceManager (no member fan-out). Importing the handler itself imports no SDK at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from localcloud import LocalCloud
from tests.e2e.conftest import e2e_seed, share_image, sharer_environ, usable
from tests.localcloud.conftest import HZ, SHAREE, SHARER, start

ROOT = Path(__file__).resolve().parents[2]
EVENT_TEMPLATE = ROOT / "tests" / "events" / "eventbridge_modify_image_share_permission.json"
IMAGE = "m-cmk0001"
SDK_PREFIXES = ("alibabacloud_", "aliyun", "fc2", "Tea", "darabonba")
NEEDED = {"alibabacloud_ecs20140526", "alibabacloud_kms20160120", "alibabacloud_ram20150501"}
NOT_NEEDED = {
    "alibabacloud_resourcesharing20200110",
    "alibabacloud_sts20150401",
    "alibabacloud_resourcemanager20200331",
    "alibabacloud_fc20230330",
    "alibabacloud_actiontrail20200706",
    "aliyun",  # aliyun-log (and aliyun-fc2's fc2 below)
    "fc2",
}
# sharetrust's own modules that only the member fan-out or the audit use.
NOT_NEEDED_HERE = {"sharetrust.cloud.fc", "sharetrust.fan_out", "sharetrust.audit"}

HANDLE_ONE_EVENT = r"""
import contextlib, io, json, os, sys
from types import SimpleNamespace

def packages(prefixes):
    return sorted({m.split(".")[0] for m in sys.modules if m.startswith(prefixes)})

import functions.on_share_event as index
at_import = packages(PREFIXES)
context = SimpleNamespace(
    account_id=os.environ["TEST_ACCOUNT"],
    credentials=SimpleNamespace(
        access_key_id=os.environ.pop("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        access_key_secret=os.environ.pop("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        security_token=os.environ.pop("ALIBABA_CLOUD_SECURITY_TOKEN"),
    ),
    function=SimpleNamespace(name="sharetrust-on-share-event", timeout=60),
    region="cn-hangzhou",
    request_id="test-cold-start",
)
with contextlib.redirect_stdout(io.StringIO()) as out:
    index.handler(sys.argv[1].encode(), context)
print(json.dumps({
    "at_import": at_import,
    "sdk_packages": packages(PREFIXES),
    "sharetrust_modules": sorted(m for m in sys.modules if m.startswith("sharetrust")),
    "summary": json.loads(out.getvalue().strip().splitlines()[-1]),
}))
"""


def share_event() -> str:
    event: dict[str, Any] = json.loads(EVENT_TEMPLATE.read_text())
    event["data"]["requestParameters"] = {"RegionId": HZ, "ImageId": IMAGE, "AddAccount.1": SHAREE}
    event["data"]["userIdentity"]["accountId"] = SHARER
    event["aliyunaccountid"] = SHARER
    return json.dumps(event)


def handle_in_fresh_interpreter(lc: LocalCloud) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "SHARETRUST_"))}
    for proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        env.pop(proxy, None)
    env.update(sharer_environ(lc), TEST_ACCOUNT=SHARER)  # the role's STS credentials, passed in the FC context
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    script = f"PREFIXES = {SDK_PREFIXES!r}\n{HANDLE_ONE_EVENT}"
    done = subprocess.run(
        [sys.executable, "-c", script, share_event()],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_an_ecs_share_event_imports_only_the_ecs_kms_and_ram_clients() -> None:
    lc = start(e2e_seed(eventbridge=False, trail_logs=False))
    try:
        share_image(lc, IMAGE, SHAREE)
        assert not usable(lc, SHAREE, IMAGE)

        result = handle_in_fresh_interpreter(lc)

        assert result["summary"]["ok"] is True, result["summary"]
        assert usable(lc, SHAREE, IMAGE)
    finally:
        lc.close()
    assert result["at_import"] == [], "importing the handler imported SDKs"
    imported = set(result["sdk_packages"])
    assert imported >= NEEDED, imported
    assert not imported & NOT_NEEDED, sorted(imported & NOT_NEEDED)
    assert not set(result["sharetrust_modules"]) & NOT_NEEDED_HERE, sorted(
        set(result["sharetrust_modules"]) & NOT_NEEDED_HERE
    )
