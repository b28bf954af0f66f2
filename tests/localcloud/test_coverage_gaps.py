"""What the per-product tests left out (audit of issue 2): a wrong secret for every RPC product in both
signing styles, STS AssumeRole credentials on the Log Service and Function Compute protocols, expired
tokens, unknown actions, latency faults and the debug endpoints for faults, requests and idling."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import fc2
import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_resourcemanager20200331.client import Client as RmClient
from alibabacloud_resourcesharing20200110 import models as rs_models
from alibabacloud_resourcesharing20200110.client import Client as RsClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi import models as openapi_models
from alibabacloud_tea_util.models import RuntimeOptions
from aliyun.log import LogClient, LogException, LogItem, PutLogsRequest
from Tea.exceptions import TeaException

from localcloud import LocalCloud
from localcloud.faults import FaultRule
from tests.localcloud.conftest import HZ, KEYS, SHAREE, SHARER, base_seed, config

PROJECT = "app-logs"
STORE = "events"
ROLE = "cross-account-ops"
H = "tests.localcloud.handlers"


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    sharer = s["accounts"][0]
    sharer["sls_projects"] = [{"name": PROJECT, "logstores": [{"name": STORE, "shards": 1}]}]
    sharer["policies"] = [
        {
            "name": "ops",
            "document": {
                "Version": "1",
                "Statement": [
                    {
                        "Action": "log:GetCursorOrData",
                        "Resource": f"acs:log:*:*:project/{PROJECT}/*",
                        "Effect": "Allow",
                    },
                    {"Action": "fc:InvokeFunction", "Resource": "*", "Effect": "Allow"},
                ],
            },
        }
    ]
    # The sharee's account may assume a role of the sharer (the multi-account mode).
    sharer["roles"] = [
        {
            "name": ROLE,
            "trust_policy": {
                "Version": "1",
                "Statement": [
                    {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"RAM": [f"acs:ram::{SHAREE}:root"]}}
                ],
            },
            "policies": [{"name": "ops"}],
        }
    ]
    sharer["functions"] = [{"service": "svc", "name": "echo", "handler": f"{H}.echo"}]
    return s


def proxied(lc: LocalCloud, host: str, *, v1: bool, secret: str | None = None) -> openapi_models.Config:
    """KMS and Resource Sharing carry no RegionId: the real regional host, the local cloud as proxy."""
    cfg = config(lc, v1=v1, access_key=(KEYS[SHARER][0], secret) if secret else None)
    cfg.endpoint, cfg.http_proxy = host, lc.url
    return cfg


# ---- a wrong secret, every RPC product, both signing styles ----------------------------------------

Call = Callable[[LocalCloud, bool, str | None], object]
PRODUCT_CALLS: dict[str, Call] = {
    "ecs": lambda lc, v1, secret: EcsClient(
        config(lc, v1=v1, access_key=(KEYS[SHARER][0], secret) if secret else None)
    ).describe_regions(ecs_models.DescribeRegionsRequest()),
    "ram": lambda lc, v1, secret: RamClient(
        config(lc, v1=v1, access_key=(KEYS[SHARER][0], secret) if secret else None)
    ).list_roles(ram_models.ListRolesRequest()),
    "kms": lambda lc, v1, secret: KmsClient(proxied(lc, f"kms.{HZ}.aliyuncs.com", v1=v1, secret=secret)).list_keys(
        kms_models.ListKeysRequest()
    ),
    "resourcesharing": lambda lc, v1, secret: RsClient(
        proxied(lc, f"resourcesharing.{HZ}.aliyuncs.com", v1=v1, secret=secret)
    ).list_resource_shares(rs_models.ListResourceSharesRequest(resource_owner="Self")),
    "resourcemanager": lambda lc, v1, secret: RmClient(
        config(lc, v1=v1, access_key=(KEYS[SHARER][0], secret) if secret else None)
    ).get_resource_directory(),
    "sts": lambda lc, v1, secret: StsClient(
        config(lc, v1=v1, access_key=(KEYS[SHARER][0], secret) if secret else None)
    ).get_caller_identity(),
}


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
@pytest.mark.parametrize("product", sorted(PRODUCT_CALLS))
def test_every_rpc_product_checks_the_secret_in_both_signing_styles(lc: LocalCloud, product: str, v1: bool) -> None:
    call = PRODUCT_CALLS[product]
    call(lc, v1, None)  # the right secret works
    assert lc.requests.entries()[-1].signing == ("V1" if v1 else "ACS3")
    with pytest.raises(TeaException) as raised:
        call(lc, v1, "not-the-secret")
    assert type(raised.value).__name__ == "ClientException"
    assert (raised.value.code, raised.value.data["statusCode"]) == ("SignatureDoesNotMatch", 400)


# ---- STS AssumeRole credentials on the other protocols ---------------------------------------------


def assume(lc: LocalCloud, *, v1: bool = False) -> Any:
    request = sts_models.AssumeRoleRequest(role_arn=f"acs:ram::{SHARER}:role/{ROLE}", role_session_name="ops")
    return StsClient(config(lc, SHAREE, v1=v1)).assume_role(request).body.credentials


def log_client(lc: LocalCloud, ak: str, secret: str, token: str | None = None) -> LogClient:
    made = LogClient(lc.endpoint, ak, secret, token, source="gaps")
    made._isRowIp = True  # type: ignore[attr-defined]
    return made


def put_rows(values: list[str], lc: LocalCloud) -> None:
    items = []
    for value in values:
        item = LogItem(timestamp=int(time.time()))
        item.set_contents([("value", value)])
        items.append(item)
    log_client(lc, *KEYS[SHARER]).put_logs(PutLogsRequest(PROJECT, STORE, "t", "", items))


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_assumed_role_credentials_read_the_log_service(lc: LocalCloud, v1: bool) -> None:
    put_rows(["a", "b"], lc)
    creds = assume(lc, v1=v1)
    reader = log_client(lc, creds.access_key_id, creds.access_key_secret, creds.security_token)
    cursor = reader.get_cursor(PROJECT, STORE, 0, "begin").get_cursor()
    pulled = reader.pull_logs(PROJECT, STORE, 0, cursor)
    assert [row["value"] for row in pulled.get_flatten_logs_json()] == ["a", "b"]
    entry = lc.requests.entries()[-1]
    assert (entry.action, entry.account_uid, entry.signing) == ("PullLogs", SHARER, "SLS")
    # Without its token, the temporary key is refused.
    with pytest.raises(LogException) as raised:
        log_client(lc, creds.access_key_id, creds.access_key_secret).get_cursor(PROJECT, STORE, 0, "begin")
    assert (raised.value.get_error_code(), raised.value.get_resp_status()) == ("Unauthorized", 401)


def test_assumed_role_credentials_invoke_functions(lc: LocalCloud) -> None:
    creds = assume(lc)
    client = fc2.Client(
        endpoint=lc.url,
        accessKeyID=creds.access_key_id,
        accessKeySecret=creds.access_key_secret,
        securityToken=creds.security_token,
    )
    result = json.loads(client.invoke_function("svc", "echo", payload=b"from-sts").data)
    assert (result["event"], result["account_id"]) == ("from-sts", SHARER)
    wrong = fc2.Client(
        endpoint=lc.url,
        accessKeyID=creds.access_key_id,
        accessKeySecret="wrong",
        securityToken=creds.security_token,
    )
    with pytest.raises(fc2.FcError) as raised:
        wrong.invoke_function("svc", "echo", payload=b"")
    assert (raised.value.status_code, raised.value.err_code) == (403, "SignatureNotMatch")


def test_expired_tokens_are_refused_everywhere(lc: LocalCloud) -> None:
    creds = assume(lc)
    with lc.cloud.lock:
        lc.cloud.sessions[creds.access_key_id].expires_at = time.time() - 1
    ecs = EcsClient(config(lc, access_key=(creds.access_key_id, creds.access_key_secret), token=creds.security_token))
    with pytest.raises(TeaException) as rpc:
        ecs.describe_regions(ecs_models.DescribeRegionsRequest())
    assert (rpc.value.code, rpc.value.data["statusCode"]) == ("InvalidSecurityToken.Expired", 400)
    reader = log_client(lc, creds.access_key_id, creds.access_key_secret, creds.security_token)
    with pytest.raises(LogException) as sls:
        reader.get_cursor(PROJECT, STORE, 0, "begin")
    assert (sls.value.get_error_code(), sls.value.get_resp_status()) == ("Unauthorized", 401)
    assert "expired" in sls.value.get_error_message()
    fc = fc2.Client(
        endpoint=lc.url,
        accessKeyID=creds.access_key_id,
        accessKeySecret=creds.access_key_secret,
        securityToken=creds.security_token,
    )
    with pytest.raises(fc2.FcError) as invoke:
        fc.invoke_function("svc", "echo", payload=b"")
    assert invoke.value.status_code == 403


# ---- unknown actions -------------------------------------------------------------------------------


def test_an_unknown_action_is_invalid_action_not_found(lc: LocalCloud) -> None:
    params = openapi_models.Params(
        action="DescribeEverything",
        version="2014-05-26",
        protocol="HTTP",
        pathname="/",
        method="POST",
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    request = openapi_models.OpenApiRequest(query={"RegionId": HZ})
    with pytest.raises(TeaException) as raised:
        EcsClient(config(lc)).call_api(params, request, RuntimeOptions())
    assert (raised.value.code, raised.value.data["statusCode"]) == ("InvalidAction.NotFound", 400)


# ---- faults and the debug endpoints -----------------------------------------------------------------


def debug(lc: LocalCloud, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{lc.url}/_localcloud{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_latency_faults_delay_but_do_not_fail(lc: LocalCloud) -> None:
    # A 1 ms latency rule that may fire twice: the calls succeed and the rule is used up.
    status, answer = debug(
        lc,
        "PUT",
        "/faults",
        {"seed": 5, "rules": [{"kind": "latency", "action": "Ecs:DescribeRegions", "latency_ms": 1, "times": 2}]},
    )
    assert (status, answer) == (200, {"rules": 1})
    client = EcsClient(config(lc))
    for _ in range(3):
        assert client.describe_regions(ecs_models.DescribeRegionsRequest()).body.regions is not None
    status, listed = debug(lc, "GET", "/faults")
    assert status == 200
    assert [(r["kind"], r["action"], r["latency_ms"], r["times"]) for r in listed["rules"]] == [
        ("latency", "Ecs:DescribeRegions", 1, 0)
    ]
    assert [e.code for e in lc.requests.entries()] == ["", "", ""]


def test_faults_set_through_the_debug_endpoint_apply_per_action(lc: LocalCloud) -> None:
    assert debug(lc, "PUT", "/faults", {"rules": [{"kind": "unavailable", "action": "Ram:ListRoles"}]})[0] == 200
    assert EcsClient(config(lc)).describe_regions(ecs_models.DescribeRegionsRequest()).body.regions is not None
    with pytest.raises(TeaException) as raised:
        RamClient(config(lc)).list_roles(ram_models.ListRolesRequest())
    assert (raised.value.code, raised.value.data["statusCode"]) == ("ServiceUnavailable", 503)
    assert debug(lc, "PUT", "/faults", {"rules": []})[0] == 200
    assert RamClient(config(lc)).list_roles(ram_models.ListRolesRequest()).body.roles is not None
    status, error = debug(lc, "PUT", "/faults", {"rules": [{"kind": "explode"}]})
    assert status == 400 and "fault kind" in error["error"]


def test_request_log_and_idle_endpoints(lc: LocalCloud) -> None:
    EcsClient(config(lc)).modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-plain001", add_account=[SHAREE])
    )
    RamClient(config(lc)).list_roles(ram_models.ListRolesRequest())
    status, log = debug(lc, "GET", "/requests")
    assert status == 200
    assert log["total"] == 2
    assert log["counts"] == {"Ecs:ModifyImageSharePermission": 1, "Ram:ListRoles": 1}
    assert log["writes"] == {"Ecs:ModifyImageSharePermission": 1}
    assert [(e["account_uid"], e["status"], e["signing"]) for e in log["entries"]] == [
        (SHARER, 200, "ACS3"),
        (SHARER, 200, "ACS3"),
    ]
    assert debug(lc, "DELETE", "/requests") == (200, {"ok": True})
    assert debug(lc, "GET", "/requests")[1]["total"] == 0
    assert debug(lc, "POST", "/wait-idle", {"timeout": 30}) == (200, {"idle": True})
    assert debug(lc, "GET", "/nothing")[0] == 404


def test_faults_reach_the_log_service_and_function_compute(lc: LocalCloud) -> None:
    put_rows(["a"], lc)
    reader = log_client(lc, *KEYS[SHARER])
    cursor = reader.get_cursor(PROJECT, STORE, 0, "begin").get_cursor()
    lc.faults.configure(
        [FaultRule("throttle", "Sls:PullLogs", times=1), FaultRule("throttle", "Fc:InvokeFunction", times=1)]
    )
    with pytest.raises(LogException) as sls:
        reader.pull_logs(PROJECT, STORE, 0, cursor)
    assert (sls.value.get_error_code(), sls.value.get_resp_status()) == ("ReadQuotaExceed", 403)
    assert [row["value"] for row in reader.pull_logs(PROJECT, STORE, 0, cursor).get_flatten_logs_json()] == ["a"]

    fc = fc2.Client(endpoint=lc.url, accessKeyID=KEYS[SHARER][0], accessKeySecret=KEYS[SHARER][1])
    with pytest.raises(fc2.FcError) as invoke:
        fc.invoke_function("svc", "echo", payload=b"x")
    assert (invoke.value.status_code, invoke.value.err_code) == (429, "ResourceExhausted")
    assert json.loads(fc.invoke_function("svc", "echo", payload=b"x").data)["event"] == "x"
    assert [e.code for e in lc.requests.entries() if e.code] == ["ReadQuotaExceed", "ResourceExhausted"]
