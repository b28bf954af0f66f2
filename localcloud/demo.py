"""`make demo`: share encrypted images and snapshots the way a user would, let sharetrust react, and
show for each share whether the sharee could use the resource before and after sharetrust ran.

The demo drives everything from outside, like a user: the official SDKs make the shares, the local
cloud's ActionTrail delivers the events to the real FC handlers in functions/ (ECS shares through
EventBridge and the Log Service trigger; Resource Sharing shares through the Log Service trigger only, as
EventBridge does not carry them), and the local cloud's oracle judges the outcome. Exits 1 if any outcome
differs from what is expected.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_resourcesharing20200110 import models as rs_models
from alibabacloud_resourcesharing20200110.client import Client as RsClient
from alibabacloud_tea_openapi.models import Config

from localcloud.oracle import Verdict, can_use
from localcloud.rules.sharing import settle
from localcloud.server import LocalCloud

SEED = Path(__file__).with_name("demo_seed.yaml")
LOG = Path(tempfile.gettempdir()) / "sharetrust-demo.log"
SHARER = "1234567890123456"
SHARER_KEY = ("LTAI5tDemoSharer0001", "demo-sharer-secret")
PARTNER_A, PARTNER_B = "2345678901234567", "3456789012345678"
PROD_MEMBER, ROOT_MEMBER = "4567890123456789", "5678901234567890"


@dataclass(frozen=True)
class Case:
    share: str
    resource: str
    encryption: str
    sharee: str
    expected: bool


def _config(lc: LocalCloud, product: str, region: str) -> Config:
    # The real regional host, with the local cloud as proxy: Resource Sharing calls carry no RegionId.
    return Config(
        access_key_id=SHARER_KEY[0],
        access_key_secret=SHARER_KEY[1],
        endpoint=f"{product}.{region}.aliyuncs.com",
        http_proxy=lc.url,
        protocol="http",
        region_id=region,
    )


def _modify_share(lc: LocalCloud, region: str, image: str, account: str) -> Callable[[], None]:
    def run() -> None:
        EcsClient(_config(lc, "ecs", region)).modify_image_share_permission(
            ecs_models.ModifyImageSharePermissionRequest(region_id=region, image_id=image, add_account=[account])
        )

    return run


def _resource_share(lc: LocalCloud, region: str, name: str, kind: str, rid: str, target: str) -> Callable[[], None]:
    def run() -> None:
        RsClient(_config(lc, "resourcesharing", region)).create_resource_share(
            rs_models.CreateResourceShareRequest(
                resource_share_name=name,
                resources=[rs_models.CreateResourceShareRequestResources(resource_id=rid, resource_type=kind)],
                targets=[target],
                allow_external_targets=True,
            )
        )

    return run


def _verdict_text(verdict: Verdict) -> str:
    return "yes" if verdict.usable else f"no ({verdict.missing_link})"


def main() -> int:
    for proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        os.environ.pop(proxy, None)  # darabonba ignores NO_PROXY
    lc = LocalCloud.from_seed(SEED)
    os.environ.update(
        SHARETRUST_ENDPOINT=lc.url,  # the one switch that points sharetrust at the local cloud
        SHARETRUST_RETRY_FAILED_SHARES="true",
        SHARETRUST_REGIONS="cn-hangzhou,cn-shanghai",
    )
    hz, sh = "cn-hangzhou", "cn-shanghai"
    shares: list[tuple[str, Callable[[], None], list[Case]]] = [
        (
            "ECS ModifyImageSharePermission",
            _modify_share(lc, hz, "m-bp1golden0000000001", PARTNER_A),
            [Case("image → account", "m-bp1golden0000000001", "CMK", PARTNER_A, True)],
        ),
        (
            "Resource Sharing, snapshot → account",
            _resource_share(lc, sh, "db-backups", "Snapshot", "s-uf6dbbackup0000001", PARTNER_B),
            [Case("snapshot → account", "s-uf6dbbackup0000001", "CMK", PARTNER_B, True)],
        ),
        (
            "Resource Sharing, image → resource directory",
            _resource_share(lc, hz, "golden-to-rd", "Image", "m-bp1golden0000000001", "rd-k3Acme0001"),
            [
                Case("image → directory", "m-bp1golden0000000001", "CMK", ROOT_MEMBER, True),
                Case("image → directory", "m-bp1golden0000000001", "CMK", PROD_MEMBER, True),
            ],
        ),
        (
            "Resource Sharing, image → folder prod",
            _resource_share(lc, sh, "web-to-prod", "Image", "m-uf6web0000000000001", "fd-Prod0001"),
            [
                Case("image → folder", "m-uf6web0000000000001", "CMK", PROD_MEMBER, True),
                Case("image → folder", "m-uf6web0000000000001", "CMK", ROOT_MEMBER, False),
            ],
        ),
        (
            "ECS ModifyImageSharePermission, plain",
            _modify_share(lc, hz, "m-bp1plain00000000001", PARTNER_B),
            [Case("image → account", "m-bp1plain00000000001", "none", PARTNER_B, True)],
        ),
        (
            "Resource Sharing, service-key snapshot",
            _resource_share(lc, hz, "legacy", "Snapshot", "s-bp1legacysvc000001", PARTNER_A),
            [Case("snapshot → account", "s-bp1legacysvc000001", "service key", PARTNER_A, False)],
        ),
    ]
    try:
        # Hold the triggers while the user shares: "before" is what the user gets without sharetrust.
        lc.deliveries.pause()
        refused: dict[str, str] = {}
        for title, act, _ in shares:
            try:
                act()
            except Exception as error:  # a refused share is part of the story, not a crash
                refused[title] = getattr(error, "code", None) or repr(error)
        settle(lc.context)
        before = {(c.resource, c.sharee): can_use(lc.cloud, c.sharee, c.resource) for _, _, cs in shares for c in cs}
        mark = lc.requests.mark()
        # The handlers run in this process and log their JSON decisions to stdout, as on FC: keep them in a file.
        with LOG.open("w") as log, contextlib.redirect_stdout(log):
            lc.deliveries.resume()
            idle = lc.wait_idle(120)
        if not idle:
            print("demo: trigger deliveries did not finish", file=sys.stderr)
            return 1
        settle(lc.context)
        after = {key: can_use(lc.cloud, key[1], key[0]) for key in before}
        writes = lc.requests.counts(since=mark, writes_only=True, account_uid=SHARER)
        lock_calls = Counter(
            e.name
            for e in lc.requests.entries()[mark:]
            if e.write and e.account_uid == SHARER and e.policy_name.startswith("sharetrust-lock-")
        )
        failures = lc.deliveries.failures
    finally:
        lc.close()

    print("sharetrust demo — can the sharee's ECS use the shared resource?\n")
    header = ("share", "resource", "encryption", "sharee", "before", "after", "expected", "")
    rows = []
    ok = not failures
    for _, _, cases in shares:
        for case in cases:
            got = after[(case.resource, case.sharee)]
            holds = got.usable == case.expected
            ok &= holds
            rows.append(
                (
                    case.share,
                    case.resource,
                    case.encryption,
                    case.sharee,
                    _verdict_text(before[(case.resource, case.sharee)]),
                    _verdict_text(got),
                    "yes" if case.expected else "no",
                    "ok" if holds else "UNEXPECTED",
                )
            )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    print()
    for title, code in refused.items():
        print(f"refused by the cloud: {title}: {code}")
    for (resource, sharee), verdict in after.items():
        if not verdict.usable:
            print(f"still no: {sharee} on {resource}: {verdict.reason}")
    print(f"\nwrite calls made by sharetrust and the repeated shares: {dict(sorted(writes.items()))}")
    print(f"  of which the role lock's own calls: {dict(sorted(lock_calls.items()))}")
    for failure in failures:
        print(f"trigger delivery failed: {failure}")
    print(f"sharetrust's decisions and summaries (JSON lines): {LOG}")
    print("\nall outcomes as expected" if ok else "\nSOME OUTCOMES DIFFER FROM WHAT IS EXPECTED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
