"""Killed after any write step (lock taken, policy created, role created, policy attached, policy
version created, trust updated), sharetrust's next run converges and repeats no completed write.

The crashed run is the real CLI in a subprocess, SIGKILLed by a harness the moment the chosen call
returns: the local cloud has applied the write, and nothing after it happens. Its lease is short
(its deadline is short), so the rerun takes the dead holder's lock over within seconds, logging the
wait. A rerun with nothing left to write takes no lock, so the dead holder's lease stays until the next
writer takes it over. The crash points run side by side, each against its own local cloud.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud import LocalCloud
from localcloud.oracle import can_use
from tests.e2e.conftest import e2e_seed, share_image
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import KEYS, OUTSIDER, SHAREE, SHARER, start

# Runs the CLI and kills the process right after the N-th successful call of one action.
CRASHING_CLI = """
import os, signal, sys
from sharetrust.cloud import session
action, nth = os.environ["CRASH_AFTER"].rsplit("#", 1)
done = 0
original = session.CloudSession.call
def call(self, name, fn):
    global done
    result = original(self, name, fn)
    if name == action:
        done += 1
        if done == int(nth):
            os.kill(os.getpid(), signal.SIGKILL)
    return result
session.CloudSession.call = call
from sharetrust.cli import main
sys.exit(main(sys.argv[1:]))
"""
LOCK_PREFIX = "sharetrust-lock-"
# The crashed run's deadline, which bounds its lease: long enough to reach its crash point while the
# other scenarios run beside it, short enough that the rerun's wait for the dead holder stays short.
CRASHED_DEADLINE = 10
SIDE_BY_SIDE = 6


@dataclass(frozen=True)
class Scenario:
    name: str
    crash_after: str  # "Product:Action#n"
    steps: tuple[str, ...]  # the writes of an uninterrupted run, lock calls left out
    done: int  # how many of `steps` the crashed run completed


# A new role (nothing exists yet), then a role that exists and gains a sharee with a second key.
NEW = ("Ram:CreatePolicy", "Ram:CreateRole", "Ram:AttachPolicyToRole")
GROW = ("Ram:CreatePolicyVersion", "Ram:UpdateRole")
SCENARIOS = [
    Scenario("lock taken", "Ram:CreatePolicy#1", NEW, 0),
    Scenario("policy created", "Ram:CreatePolicy#2", NEW, 1),
    Scenario("role created", "Ram:CreateRole#1", NEW, 2),
    Scenario("policy attached", "Ram:AttachPolicyToRole#1", NEW, 3),
    Scenario("policy version created", "Ram:CreatePolicyVersion#1", GROW, 1),
    Scenario("trust updated", "Ram:UpdateRole#1", GROW, 2),
]


def event(n: int, image: str, sharee: str, *, refused: bool = False) -> dict[str, Any]:
    params = {**FORGED["requestParameters"], "ImageId": image, "AddAccount.1": sharee}
    failure = {"errorCode": "AssumeRoleError", "errorMessage": "Requires a RAM role"} if refused else {}
    return {**FORGED, "eventId": f"00000000-0000-4000-8000-{n:012d}", "requestParameters": params, **failure}


def sharetrust(lc: LocalCloud, event_file: Path, *, crash_after: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "SHARETRUST_", "HTTP"))}
    env.update(
        SHARETRUST_ENDPOINT=lc.url,
        SHARETRUST_REGIONS="cn-hangzhou,cn-shanghai",
        ALIBABA_CLOUD_ACCESS_KEY_ID=KEYS[SHARER][0],
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=KEYS[SHARER][1],
    )
    if crash_after:
        env.update(CRASH_AFTER=crash_after, SHARETRUST_DEADLINE_SECONDS=str(CRASHED_DEADLINE))
        command = [sys.executable, "-c", CRASHING_CLI]
    else:
        command = [sys.executable, "-m", "sharetrust.cli"]
    return subprocess.run(
        [*command, "handle", "--log", "-", str(event_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        check=False,
    )


def writes(lc: LocalCloud, since: int) -> list[str]:
    """sharetrust's successful writes after `since`, the lock's own calls left out."""
    return [
        e.name
        for e in lc.requests.entries()[since:]
        if e.write and not e.code and not e.policy_name.startswith(LOCK_PREFIX)
    ]


def crash_and_rerun(scenario: Scenario, tmp: Path) -> str | None:
    """None when the scenario behaves, else what went wrong."""
    seed = copy.deepcopy(e2e_seed(eventbridge=False, trail_logs=False, image_role=False))
    lc = start(seed)
    try:
        # The first share is refused (no role yet): sharetrust prepares the role for it.
        first, second = tmp / "first.json", tmp / "second.json"
        first.write_text(json.dumps(event(1, "m-cmk0001", SHAREE, refused=True)))
        second.write_text(json.dumps(event(2, "m-cmk0002", OUTSIDER)))
        target, sharee, resource = first, SHAREE, "m-cmk0001"
        if scenario.steps == GROW:
            ready = sharetrust(lc, first)
            if ready.returncode != 0:
                return f"setting up: {ready.stderr}"
            share_image(lc, "m-cmk0001", SHAREE)
            share_image(lc, "m-cmk0002", OUTSIDER)
            target, sharee, resource = second, OUTSIDER, "m-cmk0002"
        mark = lc.requests.mark()
        crashed = sharetrust(lc, target, crash_after=scenario.crash_after)
        if crashed.returncode != -9:
            return f"the crashed run was not killed ({crashed.returncode}): {crashed.stderr}"
        if writes(lc, mark) != list(scenario.steps[: scenario.done]):
            return f"the crashed run wrote {writes(lc, mark)}"
        mark = lc.requests.mark()
        rerun = sharetrust(lc, target)
        if rerun.returncode != 0:
            return f"the rerun failed ({rerun.returncode}): {rerun.stderr}"
        repeated = writes(lc, mark)
        if repeated != list(scenario.steps[scenario.done :]):
            return f"the rerun wrote {repeated}, expected {list(scenario.steps[scenario.done :])}"
        if target == first:
            share_image(lc, resource, sharee)  # the user repeats the refused share: it works now
        if not can_use(lc.cloud, sharee, resource).usable:
            return f"not usable after the rerun: {can_use(lc.cloud, sharee, resource).reason}"
        locks = [name for name in lc.cloud.ram_of(SHARER).policies if name.startswith(LOCK_PREFIX)]
        if repeated and locks:
            return f"the rerun left a lock behind: {locks}"
        if repeated and "taking over the expired lock" not in rerun.stderr:
            return f"the rerun did not say it took the dead holder's lock over: {rerun.stderr}"
        return None
    finally:
        lc.close()


def test_every_crash_point_converges_on_the_rerun_without_repeating_a_write(tmp_path: Path) -> None:
    folders = []
    for scenario in SCENARIOS:
        folder = tmp_path / scenario.name.replace(" ", "-")
        folder.mkdir()
        folders.append(folder)
    with ThreadPoolExecutor(SIDE_BY_SIDE) as pool:
        problems = list(pool.map(crash_and_rerun, SCENARIOS, folders))
    failures = {s.name: p for s, p in zip(SCENARIOS, problems, strict=True) if p is not None}
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())
