"""POP, the RPC protocol: route by (version, action), verify the signature, answer like POP.

Both signing styles of the official SDKs are accepted: ACS3-HMAC-SHA256 (the default) and
RPC V1 HMAC-SHA1 (`Config(signature_algorithm="v2")`), told apart by a `Signature` query key.
Faults, error rendering order and the request log are `localcloud.pipeline`'s; handlers are the
`@operation`s of `localcloud.services`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from localcloud import actiontrail
from localcloud.authorization import AccessDenied, authorize_pop, caller_name
from localcloud.context import Context
from localcloud.errors import ApiError, bad_request, throttled, unavailable
from localcloud.faults import FaultRule
from localcloud.params import Params
from localcloud.pipeline import Protocol, Route
from localcloud.rpc import PRODUCTS, REGISTRY, Call, Caller, Operation, Product, authenticate
from localcloud.signing import check_timestamp, parse_acs3_authorization, verify_acs3, verify_rpc_v1
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
    if isinstance(error, AccessDenied):
        body["AccessDeniedDetail"] = error.detail
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
    return {
        "caller": caller_name(caller) if caller is not None else "",
        "user_agent": request.headers.get("user-agent", ""),
        "role_name": params.get("RoleName", ""),
        "policy_name": params.get("PolicyName", ""),
        "policy_type": params.get("PolicyType", ""),
    }


@dataclass
class Rpc:
    """A POP request as routed: the product and operation asked for, and the parameters it names."""

    product: Product | None
    operation: Operation | None
    is_v1: bool
    named: dict[str, str]  # query and form parameters, for the request log
    call: Call | None = None  # once authenticated


class Pop(Protocol[Rpc]):
    product = "Unknown"  # every routed request names its product
    signing = "ACS3"
    processes_lost_answers = True

    def accepts(self, request: HttpRequest) -> bool:
        return True  # what no other protocol claims

    def route(self, request: HttpRequest) -> Route[Rpc]:
        query = dict(request.query_pairs)
        is_v1 = "Signature" in query
        if is_v1:
            version, action = query.get("Version", ""), query.get("Action", "")
        else:
            version, action = request.headers.get("x-acs-version", ""), request.headers.get("x-acs-action", "")
        product, op = PRODUCTS.get(version), REGISTRY.get((version, action))
        try:
            named = {**query, **dict(_form_params(request))}
        except UnicodeDecodeError:
            named = query
        route = Route(
            action,
            Rpc(product, op, is_v1, named),
            write=bool(op and op.write),
            product=product.name if product else "Unknown",
            signing="V1" if is_v1 else "ACS3",
        )
        if op is None:
            route.refusal = bad_request(
                "InvalidAction.NotFound",
                f"Specified api {action!r} of version {version!r} is not found.",
            )
        return route

    def authenticate(self, ctx: Context, request: HttpRequest, route: Route[Rpc]) -> None:
        query = request.query_pairs
        query_map = dict(query)
        form = _form_params(request)
        if route.target.is_v1:
            all_params = {**query_map, **dict(form)}
            caller, secret = authenticate(ctx.cloud, all_params.get("AccessKeyId", ""), all_params.get("SecurityToken"))
            route.caller = caller
            verify_rpc_v1(secret, request.method, all_params)
            sent = check_timestamp(all_params.get("Timestamp"), "Timestamp")
            ctx.cloud.nonces.claim(caller.access_key_id, all_params.get("SignatureNonce", ""), sent)
            business = {k: v for k, v in all_params.items() if k not in _V1_COMMON}
        else:
            if "authorization" not in request.headers:
                raise bad_request("MissingSecurityHeader", "The Authorization header is missing.")
            access_key_id, _, _ = parse_acs3_authorization(request.headers["authorization"])
            caller, secret = authenticate(ctx.cloud, access_key_id, request.headers.get("x-acs-security-token"))
            route.caller = caller
            # verify_acs3 makes sure x-acs-date and x-acs-signature-nonce are signed, hence present.
            verify_acs3(secret, request.method, request.path, query, request.headers, request.body)
            sent = check_timestamp(request.headers.get("x-acs-date"), "Timestamp")
            ctx.cloud.nonces.claim(caller.access_key_id, request.headers.get("x-acs-signature-nonce", ""), sent)
            business = {**query_map, **dict(form)}
        op = route.target.operation
        assert op is not None
        call = Call(
            ctx,
            op.product,
            op.action,
            Params(business),
            caller,
            route.request_id,
            request.client_ip,
            request.headers.get("user-agent", ""),
            request.host,
        )
        route.target.call = call
        try:
            route.region = call.region if op.product.regional else None
        except ApiError:
            route.region = None  # the handler answers InvalidRegionId itself

    def authorize(self, ctx: Context, request: HttpRequest, route: Route[Rpc]) -> None:
        call = route.target.call
        assert call is not None
        authorize_pop(call)

    def fault(self, rule: FaultRule, route: Route[Rpc]) -> ApiError:
        if rule.kind == "throttle":
            return throttled(
                400,
                "Throttling.User",
                "Request was denied due to user flow control.",
                retry_after_ms=rule.retry_after_ms,
            )
        return unavailable("ServiceUnavailable", "The request has failed due to a temporary failure of the server.")

    def answer(self, ctx: Context, request: HttpRequest, route: Route[Rpc]) -> HttpResponse:
        op, call = route.target.operation, route.target.call
        assert op is not None and call is not None
        with ctx.cloud.lock:
            try:
                result = op.handler(call)
            except ApiError as error:
                if op.write:
                    actiontrail.record(ctx, call, None, error)
                raise
            if op.write:
                actiontrail.record(ctx, call, result, None)
        request_id = route.request_id
        return HttpResponse.json(200, {"RequestId": request_id, **result}, {"x-acs-request-id": request_id})

    def render_error(self, error: ApiError, route: Route[Rpc]) -> HttpResponse:
        product = route.target.product
        return _error_response(error, route.request_id, product.host if product and product.name == "Ram" else None)

    def log_fields(self, request: HttpRequest, route: Route[Rpc]) -> dict[str, str]:
        return _who_and_what(route.caller, request, route.target.named)


POP = Pop()
