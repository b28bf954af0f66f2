"""POP's front door as production has it, through the official SDK: clock skew, replayed nonces, tokens.

The SDK always signs with the current time and a fresh nonce, so the skewed and replayed cases patch
its two generators (`alibabacloud_tea_openapi.utils.Utils.get_timestamp` / `get_nonce`), which both
signing styles call for every attempt; everything else is the unmodified client on the wire.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_tea_openapi.utils import Utils

from localcloud import LocalCloud
from localcloud.faults import FaultRule
from localcloud.services.sts import mint_session
from localcloud.signing import NonceLedger
from localcloud.state import Role
from sharetrust.cloud.credentials import Credentials
from sharetrust.cloud.endpoints import Endpoints
from sharetrust.cloud.session import CloudSession, RetryPolicy
from tests.localcloud.conftest import KEYS, SHARER, config, fails

STYLES = pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])


def regions(client: EcsClient) -> object:
    return client.describe_regions(ecs_models.DescribeRegionsRequest())


def skewed(minutes: float) -> Callable[[], str]:
    def timestamp() -> str:
        return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    return timestamp


@pytest.fixture
def nonces(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every nonce the SDK generates, in order (the generator itself is left as it is)."""
    seen: list[str] = []
    original = Utils.get_nonce

    def spy() -> str:
        seen.append(original())
        return seen[-1]

    monkeypatch.setattr(Utils, "get_nonce", staticmethod(spy))
    yield seen


# ---- timestamps ------------------------------------------------------------------------------------


@STYLES
@pytest.mark.parametrize("minutes", [-16, 16, -60 * 24])
def test_a_timestamp_more_than_15_minutes_off_is_expired(
    lc: LocalCloud, monkeypatch: pytest.MonkeyPatch, v1: bool, minutes: int
) -> None:
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(skewed(minutes)))
    fails("InvalidTimeStamp.Expired", 400, lambda: regions(EcsClient(config(lc, v1=v1))))
    assert lc.requests.entries()[-1].code == "InvalidTimeStamp.Expired"


@STYLES
@pytest.mark.parametrize("minutes", [-14, 14])
def test_a_timestamp_within_15_minutes_is_accepted(
    lc: LocalCloud, monkeypatch: pytest.MonkeyPatch, v1: bool, minutes: int
) -> None:
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(skewed(minutes)))
    regions(EcsClient(config(lc, v1=v1)))


@STYLES
def test_a_malformed_timestamp_is_refused(lc: LocalCloud, monkeypatch: pytest.MonkeyPatch, v1: bool) -> None:
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: "Tue, 01 Dec 2026 10:00:00 GMT"))
    fails("InvalidTimeStamp.Format", 400, lambda: regions(EcsClient(config(lc, v1=v1))))


# ---- nonces ----------------------------------------------------------------------------------------


@STYLES
def test_a_reused_nonce_is_refused(lc: LocalCloud, monkeypatch: pytest.MonkeyPatch, v1: bool) -> None:
    monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: "5b1c0e7f9a2d4c6e8f0a1b2c3d4e5f60"))
    client = EcsClient(config(lc, v1=v1))
    regions(client)
    fails("SignatureNonceUsed", 400, lambda: regions(client))
    # A different key's request may carry the same nonce: a replay is the same signed request.
    regions(EcsClient(config(lc, "2222222222222222", v1=v1)))
    assert [e.code for e in lc.requests.entries()] == ["", "SignatureNonceUsed", ""]


@STYLES
def test_every_sdk_call_brings_a_fresh_nonce(lc: LocalCloud, nonces: list[str], v1: bool) -> None:
    client = EcsClient(config(lc, v1=v1))
    for _ in range(5):
        regions(client)
    assert len(nonces) == len(set(nonces)) == 5


@STYLES
def test_sharetrust_retries_are_resigned_with_fresh_nonces(lc: LocalCloud, nonces: list[str], v1: bool) -> None:
    """CloudSession.call calls the SDK method again per attempt; each attempt is a new signed request."""
    lc.faults.configure([FaultRule("unavailable", "Ecs:DescribeRegions", times=1), FaultRule("lose", times=1)])
    session = CloudSession(
        Credentials(*KEYS[SHARER]),
        Endpoints.from_environment({"SHARETRUST_ENDPOINT": lc.url}),
        retry=RetryPolicy(attempts=4, base_delay=0.0, max_delay=0.0),
    )
    client = EcsClient(config(lc, v1=v1))
    session.call("DescribeRegions", lambda: regions(client))
    assert [e.code for e in lc.requests.entries()] == ["ServiceUnavailable", "AnswerLost", ""]
    assert len(nonces) == len(set(nonces)) == 3


def test_the_nonce_memory_forgets_outside_the_window_and_stays_bounded() -> None:
    now = [1_000_000.0]
    ledger = NonceLedger(window=900, limit=100, clock=lambda: now[0])
    ledger.claim("AK", "n1", now[0])
    with pytest.raises(Exception, match="SignatureNonceUsed"):
        ledger.claim("AK", "n1", now[0])
    now[0] += 901  # the request's timestamp has left the window: a replay is refused as expired instead
    ledger.claim("AK", "n1", now[0])
    for n in range(1000):
        ledger.claim("AK", f"flood-{n}", now[0])
    assert len(ledger) <= 100
    ledger.claim("AK", "later", now[0] + 600)  # signed in the future: remembered until it cannot be replayed
    now[0] += 1000
    ledger.claim("AK", "tail", now[0])
    assert len(ledger) == 2  # "later" (forgotten at +1500) and "tail"


# ---- security tokens -------------------------------------------------------------------------------


@STYLES
def test_an_sts_key_without_its_token_is_missing_security_token(lc: LocalCloud, v1: bool) -> None:
    role = Role("reader", "300000000000000001", SHARER, "{}")
    session = mint_session(lc.cloud, role, "s")
    client = EcsClient(config(lc, v1=v1, access_key=(session.access_key_id, session.secret)))
    error = fails("MissingSecurityToken", 400, lambda: regions(client))
    assert error.data["Message"] == "SecurityToken is mandatory for this action."


@STYLES
def test_a_token_with_a_long_term_key_is_refused(lc: LocalCloud, v1: bool) -> None:
    role = Role("reader", "300000000000000001", SHARER, "{}")
    session = mint_session(lc.cloud, role, "s")
    for token in ("CAISforged", session.token):
        client = EcsClient(config(lc, v1=v1, token=token))
        fails("InvalidSecurityToken.MismatchWithAccessKey", 400, functools.partial(regions, client))
