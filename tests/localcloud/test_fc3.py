"""Function Compute 3.0 (2023-03-30) through the unmodified alibabacloud_fc20230330 client."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alibabacloud_fc20230330 import models
from alibabacloud_fc20230330.client import Client
from alibabacloud_tea_openapi.models import Config
from alibabacloud_tea_util.models import RuntimeOptions
from Tea.exceptions import TeaException

from localcloud import LocalCloud
from tests.localcloud import handlers
from tests.localcloud.conftest import KEYS, SHAREE, SHARER, TRUST_ACCOUNT, TRUST_FC, H, base_seed


@pytest.fixture(autouse=True)
def _reset_handlers() -> Iterator[None]:
    handlers.reset()
    yield
    handlers.reset()


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    sharer = s["accounts"][0]
    sharer["sls_projects"] = [{"name": "trail-project", "logstores": [{"name": "trigger-logs"}]}]
    sharer["policies"] = [
        {
            "name": "invoke-chatty",
            "document": {
                "Version": "1",
                "Statement": [
                    {"Action": "fc:InvokeFunction", "Resource": "acs:fc:*:*:functions/chatty", "Effect": "Allow"}
                ],
            },
        }
    ]
    sharer["roles"] = [
        {"name": "fc-role", "trust_policy": TRUST_FC},
        {"name": "invoker", "trust_policy": TRUST_ACCOUNT, "policies": [{"name": "invoke-chatty"}]},
    ]
    sharer["functions"] = [
        {"name": "chatty", "handler": f"{H}.chatty", "role": "fc-role", "runtime": "python3.12", "timeout": 30},
        {"name": "fail", "handler": f"{H}.fail"},
        {"service": "svc", "name": "chatty", "handler": f"{H}.chatty"},
    ]
    sharer["triggers"] = [
        {
            "type": "log",
            "name": "trail-logs",
            "function": "chatty",
            "project": "trail-project",
            "logstore": "actiontrail_sharetrust-trail",
        },
        {"type": "eventbridge", "name": "share-events", "function": "chatty", "pattern": {"source": ["acs.ecs"]}},
        {"type": "timer", "name": "every-hour", "function": "chatty", "cron": "@every 60m"},
        {"type": "timer", "name": "fc2-timer", "function": ["svc", "chatty"]},
    ]
    return s


def client(
    lc: LocalCloud,
    uid: str = SHARER,
    *,
    secret: str | None = None,
    token: str | None = None,
    key_id: str | None = None,
    region: str | None = None,
) -> Client:
    """The FC 3.0 client: straight at the loopback endpoint, or (region) at the SDK's own regional
    endpoint with the local cloud as its proxy."""
    ak, sk = KEYS[uid]
    config = Config(
        access_key_id=key_id or ak,
        access_key_secret=secret or sk,
        security_token=token,
        protocol="http",
        region_id=region or "cn-hangzhou",
    )
    if region:
        config.http_proxy = lc.url
    else:
        config.endpoint = lc.endpoint
    return Client(config)


def invoke(fc: Client, name: str, body: bytes = b"{}", **headers: str) -> Any:
    return fc.invoke_function_with_options(
        name,
        models.InvokeFunctionRequest(body=io.BytesIO(body), qualifier=headers.pop("qualifier", None)),
        models.InvokeFunctionHeaders(**headers),
        RuntimeOptions(),
    )


def fails(code: str, status: int, call: Callable[[], object]) -> TeaException:
    with pytest.raises(TeaException) as raised:
        call()
    assert (raised.value.code, raised.value.status_code) == (code, status), raised.value.message
    return raised.value


def test_sync_invocation_with_the_log_tail(lc: LocalCloud) -> None:
    response = invoke(
        client(lc), "chatty", b'{"sharetrust": "probe"}', x_fc_invocation_type="Sync", x_fc_log_type="Tail"
    )
    assert response.status_code == 200
    assert response.body.read() == b'{"sharetrust": "probe"}'
    request_id = response.headers["x-fc-request-id"]
    tail = base64.b64decode(response.headers["x-fc-log-result"]).decode()
    assert 'chatty got {"sharetrust": "probe"}' in tail
    assert f"FC Invoke Start RequestId: {request_id}" in tail and f"FC Invoke End RequestId: {request_id}" in tail
    entry = lc.requests.entries()[-1]
    assert (entry.product, entry.action, entry.status, entry.signing) == ("Fc", "InvokeFunction", 200, "ACS3")


def test_no_tail_unless_asked(lc: LocalCloud) -> None:
    response = invoke(client(lc), "chatty", b"x", qualifier="LATEST")
    assert "x-fc-log-result" not in response.headers and response.body.read() == b"x"


def test_regional_endpoint_through_the_proxy_finds_functions_of_that_region_only(lc: LocalCloud) -> None:
    function = client(lc, region="cn-hangzhou").get_function("chatty", models.GetFunctionRequest()).body
    assert function.function_arn == f"acs:fc:cn-hangzhou:{SHARER}:functions/chatty"
    elsewhere = client(lc, region="cn-shanghai")
    fails("FunctionNotFound", 404, lambda: elsewhere.get_function("chatty", models.GetFunctionRequest()))
    fails("FunctionNotFound", 404, lambda: invoke(elsewhere, "chatty"))


def test_async_invocation_runs_later(lc: LocalCloud) -> None:
    response = invoke(client(lc), "chatty", b"later", x_fc_invocation_type="Async")
    assert response.status_code == 202
    assert lc.wait_idle()
    assert handlers.received("chatty") == [b"later"]


def test_function_error_is_200_with_error_type(lc: LocalCloud) -> None:
    response = invoke(client(lc), "fail", b"bad input", x_fc_log_type="Tail")
    assert response.status_code == 200 and response.headers["x-fc-error-type"] == "UnhandledInvocationError"
    body = json.loads(response.body.read())
    assert (body["errorType"], body["errorMessage"]) == ("ValueError", "boom: bad input")
    assert "ValueError: boom: bad input" in base64.b64decode(response.headers["x-fc-log-result"]).decode()


def test_get_function_describes_it(lc: LocalCloud) -> None:
    function = client(lc).get_function("chatty", models.GetFunctionRequest()).body
    assert (function.function_name, function.handler, function.runtime, function.timeout) == (
        "chatty",
        f"{H}.chatty",
        "python3.12",
        30,
    )
    assert function.role == f"acs:ram::{SHARER}:role/fc-role" and function.state == "Active"


def test_list_triggers_names_each_with_its_type(lc: LocalCloud) -> None:
    triggers = client(lc).list_triggers("chatty", models.ListTriggersRequest()).body.triggers
    found = {t.trigger_name: t for t in triggers}
    assert {n: t.trigger_type for n, t in found.items()} == {
        "trail-logs": "log",
        "share-events": "eventbridge",
        "every-hour": "timer",
    }
    log = found["trail-logs"]
    assert json.loads(log.trigger_config)["sourceConfig"]["logstore"] == "actiontrail_sharetrust-trail"
    assert log.source_arn == f"acs:log:cn-hangzhou:{SHARER}:project/trail-project"
    assert client(lc).list_triggers("fail", models.ListTriggersRequest()).body.triggers == []


@pytest.mark.parametrize("name", ["nope", "svc"])
def test_unknown_function_is_404_function_not_found(lc: LocalCloud, name: str) -> None:
    error = fails("FunctionNotFound", 404, lambda: invoke(client(lc), name))
    assert error.data["RequestId"] and error.data["Message"]
    fails("FunctionNotFound", 404, lambda: client(lc).get_function(name, models.GetFunctionRequest()))
    fails("FunctionNotFound", 404, lambda: client(lc).list_triggers(name, models.ListTriggersRequest()))


def test_fc2_functions_are_not_fc3_functions_and_other_accounts_see_nothing(lc: LocalCloud) -> None:
    fails("FunctionNotFound", 404, lambda: invoke(client(lc, SHAREE), "chatty"))


def test_only_latest_exists(lc: LocalCloud) -> None:
    fails("AliasNotFound", 404, lambda: invoke(client(lc), "chatty", qualifier="prod"))
    fails("VersionNotFound", 404, lambda: invoke(client(lc), "chatty", qualifier="2"))


def test_a_wrong_secret_is_refused(lc: LocalCloud) -> None:
    fails("SignatureDoesNotMatch", 400, lambda: invoke(client(lc, secret="wrong"), "chatty"))
    fails("InvalidAccessKeyId.NotFound", 404, lambda: invoke(client(lc, key_id="AKNOBODY"), "chatty"))
    assert handlers.received("chatty") == []


def test_a_role_session_is_held_to_its_policy(lc: LocalCloud) -> None:
    from localcloud.services.sts import mint_session

    role = lc.cloud.ram_of(SHARER).roles["invoker"]
    session = mint_session(lc.cloud, role, "tester", 3600)
    fc = client(lc, key_id=session.access_key_id, secret=session.secret, token=session.token)
    assert invoke(fc, "chatty", b"ok").status_code == 200
    fails("AccessDenied", 403, lambda: invoke(fc, "fail"))
    fails("AccessDenied", 403, lambda: fc.get_function("chatty", models.GetFunctionRequest()))
