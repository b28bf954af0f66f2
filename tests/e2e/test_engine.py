"""The engine built directly (no environment), as a library user would: its steps against the local cloud."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.oracle import can_use
from sharetrust.cloud.credentials import Credentials
from sharetrust.cloud.endpoints import Endpoints
from sharetrust.cloud.session import CloudSession
from sharetrust.deadline import Deadline
from sharetrust.engine import Engine
from sharetrust.report import DecisionLog
from sharetrust.settings import Settings
from tests.e2e.conftest import e2e_seed, share_image
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import HZ, KEYS, SH, SHAREE, SHARER


@pytest.fixture
def seed() -> dict[str, Any]:
    return e2e_seed(eventbridge=False, trail_logs=False)


def engine(lc: LocalCloud, **settings: Any) -> Engine:
    session = CloudSession(
        Credentials(*KEYS[SHARER]),
        Endpoints.from_environment({"SHARETRUST_ENDPOINT": lc.url}),
        deadline=Deadline.after(30),
    )
    return Engine(session, Settings(regions=(HZ, SH), account_uid=SHARER, **settings), DecisionLog(io.StringIO()))


def test_handle_reconcile_and_audit_from_one_engine(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    event = {**FORGED, "requestParameters": {**FORGED["requestParameters"], "AddAccount.1": SHAREE}}
    planned = engine(lc, dry_run=True).handle([json.dumps(event)])
    assert (
        planned.ok
        and planned.principals_added == [f"account:{SHAREE}"]
        and not can_use(lc.cloud, SHAREE, "m-cmk0001").usable
    )
    done = engine(lc).handle([json.dumps(event)])
    assert done.ok and can_use(lc.cloud, SHAREE, "m-cmk0001").usable
    assert engine(lc).reconcile(prune=False).roles[0]["changed"] is False  # nothing left to do
    account, rows, summary = engine(lc).audit()
    assert summary.ok and account == SHARER
    assert [(r.status, r.sharee, r.resource) for r in rows] == [("can use", SHAREE, "m-cmk0001")]
    assert "Sts:GetCallerIdentity" not in done.api_calls  # the account was given: no call to learn it
