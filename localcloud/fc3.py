"""Function Compute 3.0 (`2023-03-30`, what alibabacloud_fc20230330 speaks): InvokeFunction, GetFunction, ListTriggers.

FC 3.0 functions have no service: they are `state.Function` records with service "" (the seed names them
without one). The SDK calls them ROA-style through tea-openapi's `do_request`: routed by path, signed
ACS3-HMAC-SHA256 over the path as sent (the function name percent-encoded), with x-acs-action,
x-acs-version, x-acs-date and x-acs-signature-nonce signed, like every POP call. Errors are FC 3.0's
JSON shape `{"Code", "Message", "RequestId"}`. Invocations run in-process through `localcloud.fc.invoke`.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from localcloud import fc
from localcloud.context import Context
from localcloud.errors import ApiError, bad_request, forbidden, not_found, throttled, unavailable
from localcloud.faults import FaultRule
from localcloud.pipeline import Protocol, Route
from localcloud.rpc import Caller, authenticate
from localcloud.rules.access import caller_allowed
from localcloud.signing import check_timestamp, parse_acs3_authorization, verify_acs3
from localcloud.state import Cloud, Function
from localcloud.wire import HttpRequest, HttpResponse

API_VERSION = "2023-03-30"
_CREATED = "2025-01-01T00:00:00Z"  # not modelled: functions exist from the seed on

_PATHS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^/2023-03-30/functions/([^/]+)/invocations$"), "InvokeFunction"),
    ("GET", re.compile(r"^/2023-03-30/functions/([^/]+)$"), "GetFunction"),
    ("GET", re.compile(r"^/2023-03-30/functions/([^/]+)/triggers$"), "ListTriggers"),
)
# The SDK's endpoints: fcv3.<region>.aliyuncs.com (its endpoint map) or <account>.<region>.fc.aliyuncs.com.
_REGIONAL_HOST = re.compile(r"^(?:fcv3\.([a-z]+-[a-z0-9-]+)|[0-9]+\.([a-z]+-[a-z0-9-]+)\.fc)\.aliyuncs\.com$")


@dataclass(frozen=True)
class _Call:
    function: str  # the name, unquoted


def _error(error: ApiError, request_id: str) -> HttpResponse:
    body = {"Code": error.code, "Message": error.message, "RequestId": request_id}
    headers = {"x-fc-request-id": request_id}
    if error.retry_after_ms is not None:
        headers["x-acs-retry-after"] = str(error.retry_after_ms)
    return HttpResponse.json(error.status, body, headers)


def _region(ctx: Context, request: HttpRequest) -> str:
    match = _REGIONAL_HOST.match(request.host.split(":", 1)[0].lower())
    return (match.group(1) or match.group(2)) if match else ctx.cloud.settings.default_region


def _function(cloud: Cloud, caller: Caller, name: str, region: str) -> Function:
    found = cloud.functions.get((caller.account_uid, "", name))
    if found is None or (found.region or cloud.settings.default_region) != region:
        raise not_found("FunctionNotFound", f"function '{name}' does not exist")
    return found


def _authorize(cloud: Cloud, caller: Caller, action: str, region: str, name: str) -> None:
    resource = f"acs:fc:{region}:{caller.account_uid}:functions/{name}"
    if not caller_allowed(cloud, caller, action, resource):
        raise forbidden("AccessDenied", f"the caller is not authorized to perform '{action}' on '{resource}'")


class FunctionCompute3(Protocol[_Call]):
    product = "Fc"
    signing = "ACS3"

    def accepts(self, request: HttpRequest) -> bool:
        return request.path.startswith(f"/{API_VERSION}/")

    def request_id(self) -> str:
        return str(uuid.uuid4()).upper()

    def route(self, request: HttpRequest) -> Route[_Call]:
        path = request.path
        for method, pattern, action in _PATHS:
            match = pattern.match(path)
            if match is not None and request.method == method:
                return Route(action, _Call(unquote(match.group(1))), write=False)
        # UNCONFIRMED: FC 3.0's answer for an API localcloud does not serve; a 4xx keeps the SDK from retrying.
        refusal = not_found("PathNotSupported", f"localcloud does not serve {request.method} {path}")
        return Route("Unsupported", _Call(""), refusal=refusal)

    def authenticate(self, ctx: Context, request: HttpRequest, route: Route[_Call]) -> None:
        headers = request.headers
        if "authorization" not in headers:
            raise bad_request("MissingSecurityHeader", "The Authorization header is missing.")
        access_key_id, _, _ = parse_acs3_authorization(headers["authorization"])
        caller, secret = authenticate(ctx.cloud, access_key_id, headers.get("x-acs-security-token"))
        route.caller = caller
        if headers.get("x-acs-version") != API_VERSION:
            raise bad_request("InvalidVersion", f"x-acs-version must be {API_VERSION}")
        # The path as sent: the SDK signs the percent-encoded function name.
        verify_acs3(secret, request.method, request.path, request.query_pairs, headers, request.body)
        sent = check_timestamp(headers.get("x-acs-date"), "Timestamp")
        ctx.cloud.nonces.claim(caller.access_key_id, headers.get("x-acs-signature-nonce", ""), sent)
        route.region = _region(ctx, request)

    def fault(self, rule: FaultRule, route: Route[_Call]) -> ApiError:
        if rule.kind == "throttle":
            return throttled(429, "TooManyRequests", "Rate exceeded", retry_after_ms=rule.retry_after_ms)
        return unavailable("ServiceUnavailable", "The service is temporarily unavailable.")

    def answer(self, ctx: Context, request: HttpRequest, route: Route[_Call]) -> HttpResponse:
        caller, name = route.caller, route.target.function
        assert caller is not None
        region = route.region or ctx.cloud.settings.default_region
        action = route.action
        qualifier = dict(request.query_pairs).get("qualifier") or "LATEST"
        with ctx.cloud.lock:
            function = _function(ctx.cloud, caller, name, region)
            _authorize(ctx.cloud, caller, f"fc:{action}", region, name)
            if action != "ListTriggers" and qualifier != "LATEST":
                # Versions and aliases are not modelled: only LATEST exists.
                code = "VersionNotFound" if qualifier.isdigit() else "AliasNotFound"
                raise not_found(code, f"qualifier '{qualifier}' of function '{name}' does not exist")
            if action == "GetFunction":
                return HttpResponse.json(200, _describe(function, region), {"x-fc-request-id": route.request_id})
            if action == "ListTriggers":
                body = {"triggers": _triggers(ctx.cloud, function, region), "nextToken": ""}
                return HttpResponse.json(200, body, {"x-fc-request-id": route.request_id})
        return _invoke(ctx, request, function, route.request_id)

    def render_error(self, error: ApiError, route: Route[_Call]) -> HttpResponse:
        return _error(error, route.request_id)


FUNCTION_COMPUTE_3 = FunctionCompute3()


def _describe(function: Function, region: str) -> dict[str, Any]:
    uid = function.account_uid
    return {
        "functionName": function.name,
        "functionId": f"{uid}-{function.name}",
        "functionArn": f"acs:fc:{region}:{uid}:functions/{function.name}",
        "handler": function.handler,
        "runtime": function.runtime,
        "role": f"acs:ram::{uid}:role/{function.role.lower()}" if function.role else "",
        "timeout": function.timeout,
        "memorySize": fc.FUNCTION_MEMORY_MB,
        "environmentVariables": dict(function.environment),
        "state": "Active",
        "lastUpdateStatus": "Successful",
        "createdTime": _CREATED,
        "lastModifiedTime": _CREATED,
        "description": "",
    }


def _triggers(cloud: Cloud, function: Function, region: str) -> list[dict[str, Any]]:
    key = (function.account_uid, function.service, function.name)
    uid = function.account_uid
    target = f"acs:fc:{region}:{uid}:functions/{function.name}"
    found: list[dict[str, Any]] = []

    def add(name: str, kind: str, config: dict[str, Any], source: str = "", role: str = "") -> None:
        found.append(
            {
                "triggerName": name,
                "triggerId": f"{function.name}-{name}",
                "triggerType": kind,
                "triggerConfig": json.dumps(config),  # a JSON string, as FC 3.0 returns it
                "sourceArn": source,
                "invocationRole": role,
                "qualifier": "LATEST",
                "status": "Ready",
                "targetArn": target,
                "createdTime": _CREATED,
                "lastModifiedTime": _CREATED,
            }
        )

    for eb in cloud.eventbridge_triggers:
        if eb.function == key:
            add(eb.name, "eventbridge", {"triggerEnable": True, "eventRuleFilterPattern": json.dumps(eb.pattern)})
    for log in cloud.sls_triggers:
        if log.function == key:
            project = cloud.sls_projects.get(log.project)
            config = {
                "sourceConfig": {"logstore": log.logstore},
                "jobConfig": {"maxRetryTime": log.max_retry, "triggerInterval": 60},
                "functionParameter": log.parameter,
                "enable": True,
            }
            source = f"acs:log:{project.region if project else region}:{uid}:project/{log.project}"
            add(log.name, "log", config, source, f"acs:ram::{uid}:role/aliyunlogetlrole")
    for timer in cloud.timer_triggers:
        if timer.function == key:
            add(timer.name, "timer", {"cronExpression": timer.cron, "enable": True, "payload": ""})
    return found


def _invoke(ctx: Context, request: HttpRequest, function: Function, request_id: str) -> HttpResponse:
    key = (function.account_uid, function.service, function.name)
    return fc.answer_invocation(ctx, request, key, request_id, {"x-fc-request-id": request_id}, function.name)
