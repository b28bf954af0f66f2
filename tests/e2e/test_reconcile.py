"""Reconcile: what events missed. Shares made with no event at all (two regions, images and snapshots,
account, directory and folder targets) are usable after one `apply`; `plan` then has nothing to do and a
second `apply` writes nothing; `--prune` removes only what no current share needs, and never a share
made between the scan and the write; the timer handler does the same in Function Compute."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from typing import Any

import fc2
import pytest
from alibabacloud_resourcesharing20200110 import models as rs_models

from localcloud import LocalCloud
from sharetrust.apply.role_lock import RoleLock
from sharetrust.entry import reconcile
from sharetrust.report import Summary
from tests.e2e.conftest import (
    SH_KEY,
    create_share,
    modify_share,
    sharer_environ,
    sharing,
    trusted_accounts,
    two_region_seed,
    usable,
)
from tests.localcloud.conftest import FOLDER, HZ, KEYS, MEMBER, OUTSIDER, RD, SH, SHAREE, SHARER


@pytest.fixture
def seed() -> dict[str, Any]:
    seed = two_region_seed()  # no event ever reaches sharetrust
    sharer = seed["accounts"][0]
    sharer["functions"].append(
        {
            "service": "sharetrust",
            "name": "reconcile",
            "runtime": "python3.10",
            "role": "sharetrust-fc",
            "handler": "functions.reconcile.handler",
        }
    )
    return seed


def environ(lc: LocalCloud, **extra: str) -> dict[str, str]:
    # Repeat the associations refused for want of the role.
    return sharer_environ(lc, **{"SHARETRUST_RETRY_FAILED_SHARES": "true", **extra})


def run_reconcile(lc: LocalCloud, *, prune: bool = False, dry_run: bool = False) -> Summary:
    return reconcile(prune=prune, dry_run=dry_run, environ=environ(lc), log_stream=io.StringIO())


def cli(lc: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "SHARETRUST_", "HTTP"))}
    env.update(environ(lc))
    return subprocess.run(
        [sys.executable, "-m", "sharetrust.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


@pytest.fixture
def estate(lc: LocalCloud) -> LocalCloud:
    """Shares made before sharetrust ran, in two regions, of every kind of target."""
    modify_share(lc, HZ, "m-cmk0001", add=SHAREE)
    modify_share(lc, SH, "m-sh00001", add=OUTSIDER)
    create_share(lc, "to-rd", [("Image", "m-cmk0002")], [RD])
    create_share(lc, "to-folder", [("Snapshot", "s-cmk0002")], [FOLDER])
    return lc


SHARES = [(SHAREE, "m-cmk0001"), (OUTSIDER, "m-sh00001"), (SHAREE, "m-cmk0002"), (MEMBER, "s-cmk0002")]


def all_usable(lc: LocalCloud, shares: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The shares whose sharee cannot use the resource now (associations settled first, as a reader sees)."""
    sharing(lc).list_resource_share_associations(
        rs_models.ListResourceShareAssociationsRequest(association_type="Target")
    )
    return [(sharee, resource) for sharee, resource in shares if not usable(lc, sharee, resource)]


def test_one_apply_makes_every_missed_share_usable_then_nothing_is_left(estate: LocalCloud) -> None:
    lc = estate
    assert all_usable(lc, SHARES) == SHARES
    planned = cli(lc, "plan")
    assert planned.returncode == 2, planned.stderr  # changes pending
    assert "AliyunECSShareEncryptImageDefaultRole (image): changes" in planned.stdout
    assert f"  + trust account:{OUTSIDER}" in planned.stdout and f"  + trust directory:{RD}" in planned.stdout
    assert lc.requests.counts(writes_only=True, account_uid=SHARER).get("Ram:UpdateRole", 0) == 0
    applied = cli(lc, "apply")
    assert applied.returncode == 0, applied.stderr
    assert all_usable(lc, SHARES) == []
    assert cli(lc, "plan").returncode == 0  # nothing to do
    mark = lc.requests.mark()
    assert cli(lc, "apply").returncode == 0
    assert lc.requests.counts(since=mark, writes_only=True) == {}  # a second apply writes nothing


def test_prune_removes_only_what_no_share_needs(estate: LocalCloud) -> None:
    lc = estate
    assert run_reconcile(lc).ok
    modify_share(lc, SH, "m-sh00001", remove=OUTSIDER)  # unshared: no event reaches sharetrust
    kept = run_reconcile(lc)
    assert kept.ok and OUTSIDER in trusted_accounts(lc)  # without --prune nothing is removed
    refused = cli(lc, "apply", "--prune")  # removals need a confirmation; no terminal to ask on
    assert refused.returncode == 2 and "not confirmed" in refused.stderr
    assert OUTSIDER in trusted_accounts(lc)
    pruned = cli(lc, "apply", "--prune", "--yes")
    assert pruned.returncode == 0, pruned.stderr
    summary = json.loads(pruned.stdout)
    assert summary["principals_removed"] == [f"account:{OUTSIDER}"]
    assert summary["keys_removed"] == [f"acs:kms:{SH}:{SHARER}:key/{SH_KEY}"]
    assert OUTSIDER not in trusted_accounts(lc)
    assert all_usable(lc, SHARES[:1] + SHARES[2:]) == []


def test_a_share_made_between_the_scan_and_the_write_survives(
    estate: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    lc = estate
    assert run_reconcile(lc).ok
    modify_share(lc, SH, "m-sh00001", remove=OUTSIDER)
    acquire = RoleLock._acquire

    def share_meanwhile(self: RoleLock, role_name: str, name: str, lease: Any) -> None:
        modify_share(lc, SH, "m-sh00001", add=MEMBER)  # after the scan, before the pruning write
        acquire(self, role_name, name, lease)

    monkeypatch.setattr(RoleLock, "_acquire", share_meanwhile)
    summary = run_reconcile(lc, prune=True)
    assert summary.ok, summary.errors
    assert OUTSIDER not in trusted_accounts(lc) and MEMBER in trusted_accounts(lc)
    assert usable(lc, MEMBER, "m-sh00001")


def test_a_failing_region_is_reported_and_its_access_never_pruned(estate: LocalCloud) -> None:
    from localcloud.faults import FaultRule

    lc = estate
    assert run_reconcile(lc).ok
    modify_share(lc, HZ, "m-cmk0001", remove=SHAREE)
    lc.faults.configure([FaultRule("throttle", "Ecs:DescribeImages", region=SH, retry_after_ms=1)])
    summary = run_reconcile(lc, prune=True)
    assert not summary.ok and any(f"reading {SH} failed" in e for e in summary.errors)
    assert SHAREE in trusted_accounts(lc) and OUTSIDER in trusted_accounts(lc)  # nothing pruned from a partial view
    assert usable(lc, OUTSIDER, "m-sh00001")


def test_the_timer_handler_reconciles_in_function_compute(estate: LocalCloud) -> None:
    lc = estate
    client = fc2.Client(endpoint=lc.url, accessKeyID=KEYS[SHARER][0], accessKeySecret=KEYS[SHARER][1], Timeout=120)
    response = client.invoke_function("sharetrust", "reconcile", payload=b"")
    assert not (response.headers.get("X-Fc-Error-Type") or response.headers.get("x-fc-error-type")), response.data
    assert json.loads(response.data)["ok"] is True
    assert usable(lc, SHAREE, "m-cmk0001") and usable(lc, OUTSIDER, "m-sh00001")


def test_report_says_who_can_use_what_and_the_missing_link_broken_shares_first(estate: LocalCloud) -> None:
    lc = estate
    create_share(lc, "whole-disks", [("Image", "m-twokeys1")], [SHAREE])  # refused for good: FullImage
    mark = lc.requests.mark()
    before = cli(lc, "report", "--json")
    assert before.returncode == 0, before.stderr
    rows = json.loads(before.stdout)["rows"]
    assert rows[0]["status"] == "broken" and rows[0]["missing"] == "OperationDeined.FullImage"
    assert (rows[0]["kind"], rows[0]["resource"]) == ("image", "m-twokeys1")  # the refused resource, its targets
    assert rows[0]["sharee"].startswith("every target of rs-"), rows[0]
    assert "share its snapshots instead" in rows[0]["remedy"]
    outsider = next(r for r in rows if r["sharee"] == OUTSIDER)
    assert outsider["status"] == "cannot use" and "does not trust" in outsider["missing"]
    assert lc.requests.counts(since=mark, writes_only=True) == {}  # a report writes nothing
    assert cli(lc, "apply").returncode == 0
    after = json.loads(cli(lc, "report", "--json").stdout)["rows"]
    assert [r["status"] for r in after].count("can use") == len(SHARES)
    assert {(r["sharee"], r["resource"]) for r in after if r["status"] == "can use"} >= {
        (OUTSIDER, "m-sh00001"),
        (SHAREE, "m-cmk0001"),
    }
    table = cli(lc, "report", "--csv").stdout.splitlines()
    assert table[0] == "status,kind,resource,region,keys,sharee,missing,remedy" and len(table) == len(after) + 1
    page = cli(lc, "report", "--html").stdout
    assert page.startswith("<!doctype html>") and f"account {SHARER}" in page
    assert "<script" not in page and "http" not in page  # one self-contained page
    assert page.count("<tr class='can-use'>") == len(SHARES) and page.count("<tr class='broken'>") == 1


def test_a_denied_sharee_is_never_trusted(estate: LocalCloud) -> None:
    lc = estate
    summary = reconcile(environ=environ(lc, SHARETRUST_DENY_SHAREES=OUTSIDER), log_stream=io.StringIO())
    assert summary.ok and OUTSIDER not in trusted_accounts(lc)
    assert any(f"not trusted, by the allow/deny settings: {OUTSIDER}" in w for w in summary.warnings)
    assert all_usable(lc, SHARES) == [(OUTSIDER, "m-sh00001")]
