"""Function Compute through the real aliyun-fc2 client, and Log Service trigger delivery end to end."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import fc2
import pytest
from aliyun.log import LogClient, LogItem, PutLogsRequest

from localcloud import LocalCloud
from localcloud.services.sts import mint_session
from tests.localcloud import handlers
from tests.localcloud.conftest import HZ, KEYS, SHAREE, SHARER, TRUST_ACCOUNT, TRUST_FC, H, base_seed

PROJECT = "app-logs"
STORE = "events"
TRUST_ECS = {
    "Version": "1",
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}],
}


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    sharer = s["accounts"][0]
    sharer["sls_projects"] = [{"name": PROJECT, "logstores": [{"name": STORE, "shards": 2}]}]
    sharer["policies"] = [
        {
            "name": "read-app-logs",
            "document": {
                "Version": "1",
                "Statement": [
                    {"Action": "log:GetCursorOrData", "Resource": f"acs:log:*:*:project/{PROJECT}/*", "Effect": "Allow"}
                ],
            },
        },
        {
            "name": "invoke-echo",
            "document": {
                "Version": "1",
                "Statement": [
                    {
                        "Action": "fc:InvokeFunction",
                        "Resource": "acs:fc:*:*:services/svc.*/functions/echo",
                        "Effect": "Allow",
                    }
                ],
            },
        },
    ]
    sharer["roles"] = [
        {"name": "fc-role", "trust_policy": TRUST_FC, "policies": [{"name": "read-app-logs"}]},
        {"name": "ecs-only", "trust_policy": TRUST_ECS},
        {"name": "invoker", "trust_policy": TRUST_ACCOUNT, "policies": [{"name": "invoke-echo"}]},
    ]
    sharer["functions"] = [
        {"service": "svc", "name": "echo", "handler": f"{H}.echo", "role": "fc-role", "timeout": 30},
        {"service": "svc", "name": "norole", "handler": f"{H}.echo"},
        {"service": "svc", "name": "fail", "handler": f"{H}.fail"},
        {
            "service": "svc",
            "name": "env312",
            "handler": f"{H}.env_probe",
            "runtime": "python3.12",
            "role": "fc-role",
            "environment": {"APP_SETTING": "on"},
        },
        {"service": "svc", "name": "untrusted", "handler": f"{H}.echo", "role": "ecs-only"},
        {"service": "svc", "name": "ghost", "handler": f"{H}.echo", "role": "no-such-role"},
        {"service": "svc", "name": "missing-code", "handler": "tests.localcloud.no_such_module.handler"},
        {"service": "triggers", "name": "reader", "handler": f"{H}.sls_reader", "role": "fc-role"},
    ]
    sharer["triggers"] = [
        {
            "type": "log",
            "name": "events-reader",
            "function": ["triggers", "reader"],
            "project": PROJECT,
            "logstore": STORE,
            "parameter": {"mode": "test"},
            "max_retry": 2,
        }
    ]
    return s


@pytest.fixture(autouse=True)
def _reset_handlers() -> Iterator[None]:
    handlers.reset()
    yield
    handlers.reset()


def fc_client(lc: LocalCloud, uid: str = SHARER, *, secret: str | None = None, token: str = "", ak: str = "") -> Any:
    key_id, key_secret = KEYS[uid]
    return fc2.Client(
        endpoint=lc.url, accessKeyID=ak or key_id, accessKeySecret=secret or key_secret, securityToken=token
    )


def test_sync_invocation_runs_the_handler_with_a_context(lc: LocalCloud) -> None:
    response = fc_client(lc).invoke_function("svc", "echo", payload=b'{"hello": 1}')
    result = json.loads(response.data)
    assert result["event"] == '{"hello": 1}'
    assert result["request_id"] == response.headers["X-Fc-Request-Id"]
    assert result["account_id"] == SHARER and result["region"] == HZ
    assert result["function"] == ["echo", f"{H}.echo", 30]
    assert result["service"] == ["svc", "LATEST"]
    # python3.10: temporary credentials of the function role, minted by STS.
    session = lc.cloud.sessions[result["access_key_id"]]
    assert session.role_name == "fc-role" and result["has_token"]
    entry = lc.requests.entries()[-1]
    assert (entry.product, entry.action, entry.status, entry.signing) == ("Fc", "InvokeFunction", 200, "FC")


def test_function_without_role_gets_empty_credentials(lc: LocalCloud) -> None:
    result = json.loads(fc_client(lc).invoke_function("svc", "norole", payload=b"x").data)
    assert result["access_key_id"] == "" and not result["has_token"]


def test_python312_gets_credentials_and_variables_from_the_environment(lc: LocalCloud) -> None:
    result = json.loads(fc_client(lc).invoke_function("svc", "env312", payload=b"{}").data)
    assert result["has_credentials_attribute"] is False
    env = result["env"]
    assert env["APP_SETTING"] == "on"
    assert lc.cloud.sessions[env["ALIBABA_CLOUD_ACCESS_KEY_ID"]].role_name == "fc-role"
    assert env["ALIBABA_CLOUD_SECURITY_TOKEN"] == lc.cloud.sessions[env["ALIBABA_CLOUD_ACCESS_KEY_ID"]].token
    import os

    assert "APP_SETTING" not in os.environ  # restored after the call


def test_async_invocation_is_accepted_and_run_later(lc: LocalCloud) -> None:
    response = fc_client(lc).invoke_function("svc", "echo", payload=b"later", headers={"x-fc-invocation-type": "Async"})
    assert response.data == b""
    assert lc.wait_idle()
    assert handlers.received("echo") == [b"later"]


def test_async_failures_are_retried(lc: LocalCloud) -> None:
    fc_client(lc).invoke_function("svc", "fail", payload=b"a", headers={"x-fc-invocation-type": "Async"})
    assert lc.wait_idle()
    assert handlers.received("fail") == [b"a"] * 4  # the first try and three retries
    assert any("ValueError" in failure for failure in lc.deliveries.failures)


def _fc_error(call: Any, *args: Any, **kw: Any) -> Any:
    with pytest.raises(fc2.FcError) as raised:
        call(*args, **kw)
    return raised.value


def test_function_error_is_200_with_error_type(lc: LocalCloud) -> None:
    error = _fc_error(fc_client(lc).invoke_function, "svc", "fail", payload=b"bad input")
    assert error.status_code == 200
    body = json.loads(error.message)
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "boom: bad input"
    assert isinstance(body["stackTrace"], list) and body["stackTrace"]
    assert lc.requests.entries()[-1].code == "UnhandledInvocationError"
    missing = json.loads(_fc_error(fc_client(lc).invoke_function, "svc", "missing-code", payload=b"").message)
    assert missing["errorType"] == "ImportModuleError"


@pytest.mark.parametrize(
    ("service", "function", "qualifier", "code"),
    [
        ("svc", "nope", None, "FunctionNotFound"),
        ("nosvc", "echo", None, "ServiceNotFound"),
        ("svc", "echo", "prod", "AliasNotFound"),
        ("svc", "echo", "3", "VersionNotFound"),
    ],
)
def test_unknown_targets_are_404(lc: LocalCloud, service: str, function: str, qualifier: str | None, code: str) -> None:
    error = _fc_error(fc_client(lc).invoke_function, service, function, payload=b"", qualifier=qualifier)
    assert (error.status_code, error.err_code) == (404, code)
    assert error.request_id and error.request_id != "unknown"


def test_latest_qualifier_works(lc: LocalCloud) -> None:
    assert json.loads(fc_client(lc).invoke_function("svc", "echo", payload=b"q", qualifier="LATEST").data)


def test_functions_belong_to_their_account(lc: LocalCloud) -> None:
    error = _fc_error(fc_client(lc, SHAREE).invoke_function, "svc", "echo", payload=b"")
    assert (error.status_code, error.err_code) == (404, "ServiceNotFound")


def test_bad_credentials_are_403(lc: LocalCloud) -> None:
    error = _fc_error(fc_client(lc, secret="wrong").invoke_function, "svc", "echo", payload=b"")
    assert (error.status_code, error.err_code) == (403, "SignatureNotMatch")
    error = _fc_error(fc_client(lc, ak="AKNOBODY").invoke_function, "svc", "echo", payload=b"")
    assert (error.status_code, error.err_code) == (403, "InvalidAccessKeyID")


def test_sts_callers_need_fc_invoke_permission(lc: LocalCloud) -> None:
    role = lc.cloud.ram_of(SHARER).roles["invoker"]
    session = mint_session(lc.cloud, role, "ops")
    caller = fc_client(lc, ak=session.access_key_id, secret=session.secret, token=session.token)
    assert json.loads(caller.invoke_function("svc", "echo", payload=b"sts").data)["event"] == "sts"
    error = _fc_error(caller.invoke_function, "svc", "norole", payload=b"")
    assert (error.status_code, error.err_code) == (403, "AccessDenied")
    forged = fc_client(lc, ak=session.access_key_id, secret=session.secret, token="CAISforged")
    assert _fc_error(forged.invoke_function, "svc", "echo", payload=b"").status_code == 403


@pytest.mark.parametrize("function", ["untrusted", "ghost"])
def test_function_role_must_exist_and_trust_fc(lc: LocalCloud, function: str) -> None:
    error = _fc_error(fc_client(lc).invoke_function, "svc", function, payload=b"")
    assert (error.status_code, error.err_code) == (403, "AccessDenied")
    assert "fc.aliyuncs.com" in error.message or "does not exist" in error.message
    assert handlers.received("echo") == []


# --- Log Service trigger -------------------------------------------------------------------------


def _log_client(lc: LocalCloud) -> LogClient:
    ak, secret = KEYS[SHARER]
    c = LogClient(lc.endpoint, ak, secret, source="producer")
    c._isRowIp = True  # type: ignore[attr-defined]
    return c


def _put(c: LogClient, shard_key: str, *values: str) -> None:
    items = []
    for value in values:
        item = LogItem(timestamp=int(time.time()))
        item.set_contents([("value", value)])
        items.append(item)
    c.put_logs(PutLogsRequest(PROJECT, STORE, "t", "", items, hashKey=shard_key))


SHARD0, SHARD1 = "0" * 32, "8" + "0" * 31


def test_log_trigger_hands_each_shard_its_cursor_range(lc: LocalCloud) -> None:
    c = _log_client(lc)
    _put(c, SHARD0, "a", "b")
    _put(c, SHARD1, "c")
    assert lc.wait_idle()
    calls = sorted(handlers.received("sls_reader"), key=lambda call: call["payload"]["source"]["shardId"])
    assert [[log["value"] for log in call["logs"]] for call in calls] == [["a", "b"], ["c"]]
    first = calls[0]["payload"]
    assert first["parameter"] == {"mode": "test"}
    assert first["source"]["endpoint"] == lc.url
    assert (first["source"]["projectName"], first["source"]["logstoreName"]) == (PROJECT, STORE)
    assert first["source"]["beginCursor"] == c.get_cursor(PROJECT, STORE, 0, "begin").get_cursor()
    assert first["source"]["endCursor"] == calls[0]["final_cursor"]
    assert len(first["jobName"]) == 40 and first["taskId"]
    assert abs(first["cursorTime"] - time.time()) < 600

    # New logs: only the new range is delivered, starting at the previous end.
    _put(c, SHARD0, "d")
    assert lc.wait_idle()
    latest = handlers.received("sls_reader")[-1]
    assert [log["value"] for log in latest["logs"]] == ["d"]
    assert latest["payload"]["source"]["beginCursor"] == first["source"]["endCursor"]
    assert lc.deliveries.failures == []


def test_log_trigger_retries_the_same_range(lc: LocalCloud) -> None:
    handlers.FAIL_TIMES["sls_reader"] = 2  # max_retry is 2: the third try succeeds
    _put(_log_client(lc), SHARD0, "x")
    assert lc.wait_idle()
    attempts = handlers.received("sls_reader_attempts")
    assert len(attempts) == 3 and len(set(attempts)) == 1
    assert [log["value"] for log in handlers.received("sls_reader")[0]["logs"]] == ["x"]
    assert lc.deliveries.failures == []


def test_log_trigger_keeps_its_checkpoint_when_retries_run_out(lc: LocalCloud) -> None:
    handlers.FAIL_TIMES["sls_reader"] = 3
    c = _log_client(lc)
    _put(c, SHARD0, "x")
    assert lc.wait_idle()
    assert handlers.received("sls_reader") == []
    assert len(handlers.received("sls_reader_attempts")) == 3
    assert lc.deliveries.failures and "shard 0" in lc.deliveries.failures[0]
    # The next delivery starts again from the old checkpoint and covers both batches.
    _put(c, SHARD0, "y")
    assert lc.wait_idle()
    (call,) = handlers.received("sls_reader")
    assert [log["value"] for log in call["logs"]] == ["x", "y"]
    assert call["payload"]["source"]["beginCursor"] == handlers.received("sls_reader_attempts")[0][1]
