"""The RPC core: verify the signature, route by (version, action), apply faults, answer like POP.

Both signing styles of the official SDKs are accepted: ACS3-HMAC-SHA256 (the default) and
RPC V1 HMAC-SHA1 (`Config(signature_algorithm="v2")`), told apart by a `Signature` query key.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from localcloud import actiontrail
from localcloud.context import Context
from localcloud.errors import ApiError
from localcloud.params import Params
from localcloud.rpc import PRODUCTS, REGISTRY, Call, Caller, Operation, authenticate
from localcloud.signing import check_timestamp, parse_acs3_authorization, verify_acs3, verify_rpc_v1
from localcloud.state import new_request_id
from localcloud.wire import HttpRequest, HttpResponse

# Common parameters of RPC V1 that are not business parameters.
_V1_COMMON = {
    "Action",
    "Version",
    "Format",
    "Timestamp",
    "SignatureNonce",
    "SignatureMethod",
    "SignatureVersion",
    "AccessKeyId",
    "Signature",
    "SecurityToken",
}


def _error_response(error: ApiError, request_id: str, product_host: str | None) -> HttpResponse:
    body: dict[str, Any] = {"Code": error.code, "Message": error.message, "RequestId": request_id}
    if product_host is not None:
        body["HostId"] = product_host
    headers = {"x-acs-request-id": request_id}
    if error.retry_after_ms is not None:
        headers["x-acs-retry-after"] = str(error.retry_after_ms)
    return HttpResponse.json(error.status, body, headers)


def _form_params(request: HttpRequest) -> list[tuple[str, str]]:
    if request.body and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return parse_qsl(request.body.decode(), keep_blank_values=True)
    return []


def _who_and_what(caller: Caller | None, request: HttpRequest, params: Mapping[str, str]) -> dict[str, str]:
    """The request log's caller, User-Agent and RAM target fields (what a scope check keys on)."""
    if caller is None:
        who = ""
    elif caller.session is not None:
        who = f"role/{caller.session.role_name}"
    elif caller.kind == "ram-user":
        who = f"user/{caller.user_name}"
    else:
        who = "root"
    return {
        "caller": who,
        "user_agent": request.headers.get("user-agent", ""),
        "role_name": params.get("RoleName", ""),
        "policy_name": params.get("PolicyName", ""),
        "policy_type": params.get("PolicyType", ""),
    }


def handle(ctx: Context, request: HttpRequest) -> HttpResponse:
    request_id = new_request_id()
    query = request.query_pairs
    query_map = dict(query)
    is_v1 = "Signature" in query_map
    signing = "V1" if is_v1 else "ACS3"
    if is_v1:
        version, action = query_map.get("Version", ""), query_map.get("Action", "")
    else:
        version, action = request.headers.get("x-acs-version", ""), request.headers.get("x-acs-action", "")
    product = PRODUCTS.get(version)
    op = REGISTRY.get((version, action))
    product_name = product.name if product else "Unknown"
    caller: Caller | None = None
    try:
        if op is None:
            raise ApiError(
                400,
                "InvalidAction.NotFound",
                f"Specified api {action!r} of version {version!r} is not found.",
            )
        form = _form_params(request)
        if is_v1:
            all_params = {**query_map, **dict(form)}
            caller, secret = authenticate(ctx.cloud, all_params.get("AccessKeyId", ""), all_params.get("SecurityToken"))
            verify_rpc_v1(secret, request.method, all_params)
            sent = check_timestamp(all_params.get("Timestamp"), "Timestamp")
            ctx.cloud.nonces.claim(caller.access_key_id, all_params.get("SignatureNonce", ""), sent)
            business = {k: v for k, v in all_params.items() if k not in _V1_COMMON}
        else:
            if "authorization" not in request.headers:
                raise ApiError(400, "MissingSecurityHeader", "The Authorization header is missing.")
            access_key_id, _, _ = parse_acs3_authorization(request.headers["authorization"])
            caller, secret = authenticate(ctx.cloud, access_key_id, request.headers.get("x-acs-security-token"))
            # verify_acs3 makes sure x-acs-date and x-acs-signature-nonce are signed, hence present.
            verify_acs3(secret, request.method, request.path, query, request.headers, request.body)
            sent = check_timestamp(request.headers.get("x-acs-date"), "Timestamp")
            ctx.cloud.nonces.claim(caller.access_key_id, request.headers.get("x-acs-signature-nonce", ""), sent)
            business = {**query_map, **dict(form)}
    except ApiError as error:
        try:
            named = {**query_map, **dict(_form_params(request))}
        except UnicodeDecodeError:
            named = query_map
        ctx.requests.add(
            product=product_name,
            action=action,
            account_uid=caller.account_uid if caller else "",
            status=error.status,
            code=error.code,
            write=bool(op and op.write),
            signing=signing,
            **_who_and_what(caller, request, named),
        )
        return _error_response(error, request_id, product.host if product and product.name == "Ram" else None)
    assert op is not None and caller is not None
    return _dispatch(ctx, op, Params(business), caller, request, request_id, signing)


def _dispatch(
    ctx: Context,
    op: Operation,
    params: Params,
    caller: Caller,
    request: HttpRequest,
    request_id: str,
    signing: str,
) -> HttpResponse:
    call = Call(
        ctx,
        op.product,
        op.action,
        params,
        caller,
        request_id,
        request.client_ip,
        request.headers.get("user-agent", ""),
        request.host,
    )
    try:
        region: str | None = call.region if op.product.regional else None
    except ApiError:
        region = None  # the handler answers InvalidRegionId itself
    decision = ctx.faults.decide(op.product.name, op.action, region)
    if decision.latency_ms:
        time.sleep(decision.latency_ms / 1000)
    host_id = op.product.host if op.product.name == "Ram" else None
    failure = decision.failure
    if failure is not None and failure.kind == "drop":
        ctx.requests.add(
            product=op.product.name,
            action=op.action,
            account_uid=caller.account_uid,
            status=0,
            code="ConnectionDropped",
            write=op.write,
            signing=signing,
            **_who_and_what(caller, request, params.as_dict()),
        )
        return HttpResponse(0, drop=True)
    error: ApiError | None = None
    result: dict[str, Any] | None = None
    if failure is not None and failure.kind == "throttle":
        error = ApiError(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
            retry_after_ms=failure.retry_after_ms,
        )
    elif failure is not None and failure.kind == "unavailable":
        error = ApiError(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
    else:
        try:
            with ctx.cloud.lock:
                result = op.handler(call)
                if op.write:
                    actiontrail.record(ctx, call, result, None)
        except ApiError as raised:
            error = raised
            if op.write:
                actiontrail.record(ctx, call, None, error)
    lost = failure is not None and failure.kind == "lose"
    ctx.requests.add(
        product=op.product.name,
        action=op.action,
        account_uid=caller.account_uid,
        status=0 if lost else error.status if error else 200,
        code="AnswerLost" if lost else error.code if error else "",
        write=op.write,
        signing=signing,
        **_who_and_what(caller, request, params.as_dict()),
    )
    if lost:
        return HttpResponse(0, drop=True)
    if error is not None:
        return _error_response(error, request_id, host_id)
    assert result is not None
    return HttpResponse.json(200, {"RequestId": request_id, **result}, {"x-acs-request-id": request_id})
