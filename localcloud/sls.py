"""Log Service (SLS) data plane as aliyun-log-python-sdk speaks it (sdk-wire.md §2).

PutLogs (lz4/deflate/raw protobuf bodies), GetCursor, GetCursorTime, PullLogs (protobuf
LogGroupList, lz4/deflate by Accept-Encoding) and ListShards, with AuthV1 signatures checked and
errors as `{"errorCode","errorMessage"}` + `x-log-requestid`. The project comes from the Host
header (`<project>.<endpoint>`); absolute-form (proxy) request targets work too. Errors stay 4xx
on every normal path: the SDK sleeps 1 s and retries 10 times on any 5xx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote

import lz4.block

from localcloud import logproto, logtriggers
from localcloud.context import Context
from localcloud.errors import ApiError, bad_request, not_found, throttled, unauthorized, unavailable
from localcloud.faults import FaultRule
from localcloud.pipeline import Protocol, Route
from localcloud.rpc import Caller, authenticate
from localcloud.rules.access import caller_allowed
from localcloud.signing import sls_signature
from localcloud.state import Logstore, Shard, SlsProject
from localcloud.wire import HttpRequest, HttpResponse

API_VERSION = "0.6.0"
MAX_CLOCK_SKEW = 15 * 60
MAX_PULL_COUNT = 1000
MAX_RAW_BODY = 10 * 1024 * 1024  # PutLogs: at most 10 MB per request before compression
HASH_SPACE = 1 << 128  # shards split the MD5 key space evenly

# RAM actions of the operations (SLS authorization docs).
_RAM_ACTIONS = {
    "PutLogs": "log:PostLogStoreLogs",
    "GetCursor": "log:GetCursorOrData",
    "GetCursorTime": "log:GetCursorOrData",
    "PullLogs": "log:GetCursorOrData",
    "ListShards": "log:ListShards",
    "GetLogStore": "log:GetLogStore",
    "GetProject": "log:GetProject",
}


def _param_invalid(name: str, value: str) -> ApiError:
    return bad_request("ParameterInvalid", f"{name} : {value} pair is invalid")


@dataclass(frozen=True)
class _Route:
    action: str
    logstore: str
    shard: str | None = None


def _route(method: str, path: str, query: dict[str, str]) -> _Route:
    parts = path.strip("/").split("/")
    if method == "GET" and parts == [""]:
        return _Route("GetProject", "")
    if method == "GET" and len(parts) == 2 and parts[0] == "logstores":
        return _Route("GetLogStore", parts[1])
    if len(parts) >= 3 and parts[0] == "logstores" and parts[2] == "shards":
        logstore = parts[1]
        if method == "POST" and len(parts) == 4 and parts[3] in ("lb", "route"):
            return _Route("PutLogs", logstore, parts[3])
        if method == "GET" and len(parts) == 3:
            return _Route("ListShards", logstore)
        if method == "GET" and len(parts) == 4:
            kind = query.get("type", "")
            action = {"cursor": "GetCursor", "log": "PullLogs", "cursor_time": "GetCursorTime"}.get(kind)
            if action is None:
                raise _param_invalid("type", kind)
            return _Route(action, logstore, parts[3])
    # UNCONFIRMED: the real service's answer for an unknown URI; 4xx keeps the SDK from retrying.
    raise bad_request("ParameterInvalid", f"localcloud does not emulate {method} {path}")


def _request_id() -> str:
    return uuid.uuid4().hex[:24].upper()


def _error(error: ApiError, request_id: str) -> HttpResponse:
    return HttpResponse.json(
        error.status, {"errorCode": error.code, "errorMessage": error.message}, {"x-log-requestid": request_id}
    )


def _check_headers(request: HttpRequest) -> None:
    headers = request.headers
    if headers.get("x-log-apiversion") != API_VERSION:
        raise bad_request("InvalidAPIVersion", f"x-log-apiversion {headers.get('x-log-apiversion')} is unsupported.")
    method = headers.get("x-log-signaturemethod")
    if method is None:
        raise bad_request("MissingSignatureMethod", "x-log-signaturemethod does not exist in http header.")
    if method != "hmac-sha1":
        raise bad_request("InvalidSignatureMethod", f"signature method {method} is unsupported.")
    date = headers.get("x-log-date") or headers.get("date")  # x-log-date wins when present
    if not headers.get("date") or not date:
        raise bad_request("MissingDate", "Date does not exist in http header.")
    try:
        sent = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        # SLS "Error codes" page (Oct 2023): 400 InvalidRequestTime; older pages said InvalidDateFormat.
        raise bad_request("InvalidRequestTime", f"Request time {date} not follow RFC822 spec.") from None
    if abs(sent - time.time()) > MAX_CLOCK_SKEW:
        raise bad_request(
            "RequestTimeExpired", f"Request time {date} has been expired while server time is {time.ctime()}."
        )


def _authenticate(ctx: Context, request: HttpRequest, path: str, query: dict[str, str]) -> Caller:
    authorization = request.headers.get("authorization", "")
    scheme, _, credential = authorization.partition(" ")
    access_key_id, _, signature = credential.partition(":")
    if scheme != "LOG" or not access_key_id or not signature:
        # AuthV4 (`SLS4-HMAC-SHA256`) is not verified by localcloud: refuse rather than trust it.
        raise bad_request("ParameterInvalid", f"Http extend authorization : {authorization} pair is invalid")
    _check_headers(request)
    try:
        caller, secret = authenticate(ctx.cloud, access_key_id, request.headers.get("x-acs-security-token"))
    except ApiError as error:
        if error.code == "InvalidAccessKeyId.NotFound":
            raise unauthorized("Unauthorized", f"AccessKeyId not found: {access_key_id}") from None
        if error.code == "InvalidSecurityToken.Expired":
            raise unauthorized("Unauthorized", "The security token you provided has expired.") from None
        raise unauthorized("Unauthorized", "The security token you provided is invalid.") from None
    expected = sls_signature(secret, request.method, path, query, request.headers)
    if not hmac.compare_digest(expected, signature):
        raise unauthorized("SignatureNotMatch", f"Signature {signature} is not matched.")
    return caller


def _project_name(request: HttpRequest) -> str:
    host = request.headers.get("host", "").rsplit(":", 1)[0] if request.headers.get("host") else ""
    if not host:
        raise bad_request("MissingHost", "Host does not exist in http header.")
    return host.split(".", 1)[0]


@dataclass(frozen=True)
class _Target:
    path: str  # unquoted
    query: dict[str, str]
    route: _Route | None  # None: not a Log Service request localcloud serves


class LogService(Protocol[_Target]):
    product = "Sls"
    signing = "SLS"

    def accepts(self, request: HttpRequest) -> bool:
        return "x-log-apiversion" in request.headers

    def request_id(self) -> str:
        return _request_id()

    def route(self, request: HttpRequest) -> Route[_Target]:
        path, query = unquote(request.path), dict(request.query_pairs)
        try:
            found = _route(request.method, path, query)
        except ApiError as error:
            return Route("Unknown", _Target(path, query, None), refusal=error)
        return Route(found.action, _Target(path, query, found), write=found.action == "PutLogs")

    def authenticate(self, ctx: Context, request: HttpRequest, route: Route[_Target]) -> None:
        route.caller = _authenticate(ctx, request, route.target.path, route.target.query)

    def fault(self, rule: FaultRule, route: Route[_Target]) -> ApiError:
        if rule.kind == "throttle":
            quota = "WriteQuotaExceed" if route.action == "PutLogs" else "ReadQuotaExceed"
            return throttled(403, quota, f"{quota.replace('QuotaExceed', '')} quota is exceeded.")
        # Note: the SDK retries 5xx ten times with 1 s sleeps.
        return unavailable("ServerBusy", "The server is busy, please try again later.")

    def answer(self, ctx: Context, request: HttpRequest, route: Route[_Target]) -> HttpResponse:
        target, caller = route.target, route.caller
        assert target.route is not None and caller is not None
        response = _dispatch(ctx, request, target.route, caller, target.query)
        response.headers["x-log-requestid"] = route.request_id
        return response

    def render_error(self, error: ApiError, route: Route[_Target]) -> HttpResponse:
        return _error(error, route.request_id)


LOG_SERVICE = LogService()


def _dispatch(ctx: Context, request: HttpRequest, route: _Route, caller: Caller, query: dict[str, str]) -> HttpResponse:
    name = _project_name(request)
    notify = False
    with ctx.cloud.lock:
        project = ctx.cloud.sls_projects.get(name)
        if project is None:
            # Docs spell it ProjectNotExists; the SDKs' own function tests expect ProjectNotExist.
            raise not_found("ProjectNotExist", f"The Project does not exist : {name}")
        resource = f"acs:log:{project.region}:{project.owner}:project/{name}"
        if route.action != "GetProject":
            resource += f"/logstore/{route.logstore}"
        ram_action = _RAM_ACTIONS[route.action]
        if caller.account_uid != project.owner or not caller_allowed(ctx.cloud, caller, ram_action, resource):
            # UNCONFIRMED: status of a RAM denial (401 Unauthorized, as for other auth failures).
            raise unauthorized("Unauthorized", f"denied by sts or ram, action: {ram_action}, resource: {resource}")
        if route.action == "GetProject":
            return _json(_project_meta(project))
        store = project.logstores.get(route.logstore)
        if store is None:
            raise not_found("LogStoreNotExist", f"logstore {route.logstore} does not exist")
        if route.action == "ListShards":
            return _list_shards(store)
        if route.action == "GetLogStore":
            return _json(_logstore_meta(store))
        if route.action == "PutLogs":
            response = _put_logs(request, store, route.shard == "route", query)
            notify = True
        else:
            shard = _shard(store, route.shard or "")
            if route.action == "GetCursor":
                response = _get_cursor(shard, query)
            elif route.action == "GetCursorTime":
                response = _get_cursor_time(shard, query)
            else:
                response = _pull_logs(request, shard, query)
    if notify:
        logtriggers.notify(ctx, name, route.logstore)
    return response


def _project_meta(project: SlsProject) -> dict[str, Any]:
    """GetProject's body, the fields aliyun-log's GetProjectResponse reads."""
    return {
        "projectName": project.name,
        "region": project.region,
        "owner": project.owner,
        "status": "Normal",
        "description": "",
        "createTime": "0",
        "lastModifyTime": "0",
    }


def _logstore_meta(store: Logstore) -> dict[str, Any]:
    """GetLogStore's body, the fields aliyun-log's GetLogStoreResponse reads."""
    return {
        "logstoreName": store.name,
        "ttl": store.ttl,
        "shardCount": len(store.shards),
        "enable_tracking": False,
        "appendMeta": False,
        "autoSplit": False,
        "maxSplitShard": len(store.shards),
        "createTime": 0,
        "lastModifyTime": 0,
    }


def _shard(store: Logstore, raw: str) -> Shard:
    if not raw.isdigit() or int(raw) >= len(store.shards):
        raise not_found("ShardNotExist", f"Shard {raw} does not exist")
    return store.shards[int(raw)]


def _json(payload: Any) -> HttpResponse:
    return HttpResponse(200, json.dumps(payload).encode(), {"content-type": "application/json"})


def _list_shards(store: Logstore) -> HttpResponse:
    count = len(store.shards)
    bounds = [HASH_SPACE * i // count for i in range(count + 1)]
    created = int(time.time())
    return _json(
        [
            {
                "shardID": i,
                "status": "readwrite",
                "inclusiveBeginKey": f"{bounds[i]:032x}",
                "exclusiveEndKey": f"{bounds[i + 1]:032x}" if i + 1 < count else "f" * 32,
                "createTime": created,
            }
            for i in range(count)
        ]
    )


def _bad_raw_size() -> ApiError:
    return bad_request("InvalidBodyRawSize", "x-log-bodyrawsize is invalid.")


def _decompress(request: HttpRequest) -> bytes:
    headers, body = request.headers, request.body
    content_type = headers.get("content-type", "")
    if not content_type:
        raise bad_request("MissingContentType", "Content-Type does not exist in http header when body is not empty.")
    if content_type.split(";")[0].strip() != "application/x-protobuf":
        # SLS common error codes: 415 InvalidContentType (production-facts.md "Signing and common errors").
        raise ApiError(415, "InvalidContentType", f"Content-Type {content_type} is unsupported.")
    md5 = headers.get("content-md5")
    if md5 is not None and md5.upper() != hashlib.md5(body).hexdigest().upper():
        # UNCONFIRMED: the code for a Content-MD5 mismatch.
        raise bad_request("InvalidContentMD5", "Content-MD5 does not match the body.")
    compress = headers.get("x-log-compresstype", "")
    raw_size_text = headers.get("x-log-bodyrawsize")
    if raw_size_text is None:
        if compress:
            raise bad_request("MissingBodyRawSize", "x-log-bodyrawsize does not exist in header when it is necessary.")
        raw_size = len(body)
    else:
        if not raw_size_text.isdigit() or int(raw_size_text) > MAX_RAW_BODY:
            raise _bad_raw_size()
        raw_size = int(raw_size_text)
    raw: bytes
    try:
        if compress == "lz4":
            raw = lz4.block.decompress(body, uncompressed_size=raw_size)
        elif compress == "deflate":
            raw = zlib.decompress(body)
        elif compress == "":
            raw = body
        else:
            raise bad_request("InvalidCompressType", f"x-log-compresstype {compress} is unsupported.")
    except (lz4.block.LZ4BlockError, zlib.error) as bad:
        # UNCONFIRMED: the code for an undecodable compressed body.
        raise bad_request("PostBodyUncompressError", f"the {compress} body cannot be decompressed: {bad}") from None
    if len(raw) != raw_size:
        raise _bad_raw_size()
    return raw


def _put_logs(request: HttpRequest, store: Logstore, routed: bool, query: dict[str, str]) -> HttpResponse:
    if not request.body:
        raise bad_request("PostBodyInvalid", "The request body is empty.")
    raw = _decompress(request)
    try:
        group = logproto.decode_log_group(raw)
    except logproto.ProtoError as bad:
        raise bad_request("PostBodyInvalid", f"The request body is not a valid LogGroup: {bad}") from None
    if routed:
        key = query.get("key", "")
        try:
            position = int(key.ljust(32, "0")[:32], 16)
        except ValueError:
            raise _param_invalid("key", key) from None
        shard = store.shards[position * len(store.shards) // HASH_SPACE]
    else:
        # Load balancing: round-robin by the number of groups already stored.
        shard = store.shards[sum(len(s.groups) for s in store.shards) % len(store.shards)]
    if group.logs:
        shard.groups.append((time.time(), raw))
    return HttpResponse(200, b"", {})


def _position(shard: Shard, cursor: str, name: str) -> int:
    try:
        position = logproto.decode_cursor(cursor)
    except ValueError:
        raise _param_invalid(name, cursor) from None
    if position > len(shard.groups):
        raise bad_request("InvalidCursor", f"{name} {cursor} is out of range")
    return max(position, 0)  # before the first retained group reads from the beginning


def _get_cursor(shard: Shard, query: dict[str, str]) -> HttpResponse:
    start = query.get("from", "")
    if start == "begin":
        position = 0
    elif start == "end":
        position = len(shard.groups)
    elif start.isdigit():
        at = int(start)
        position = next((i for i, (received, _) in enumerate(shard.groups) if received >= at), len(shard.groups))
    else:
        raise _param_invalid("from", start)
    return _json({"cursor": logproto.encode_cursor(position)})


def _get_cursor_time(shard: Shard, query: dict[str, str]) -> HttpResponse:
    position = _position(shard, query.get("cursor", ""), "cursor")
    if position < len(shard.groups):
        at = shard.groups[position][0]
    else:
        at = shard.groups[-1][0] if shard.groups else time.time()
    return _json({"cursor_time": int(at)})


def _pull_logs(request: HttpRequest, shard: Shard, query: dict[str, str]) -> HttpResponse:
    start = _position(shard, query.get("cursor", ""), "cursor")
    count_text = query.get("count", "")
    if not count_text.isdigit() or not 1 <= int(count_text) <= MAX_PULL_COUNT:
        raise _param_invalid("count", count_text)
    stop = min(start + int(count_text), len(shard.groups))
    end_cursor = query.get("end_cursor")
    if end_cursor:
        stop = min(stop, max(start, _position(shard, end_cursor, "end_cursor")))
    groups = [raw for _, raw in shard.groups[start:stop]]
    raw = logproto.encode_log_group_list(groups)
    headers = {
        "content-type": "application/x-protobuf",
        "x-log-cursor": logproto.encode_cursor(stop),
        "x-log-count": str(len(groups)),
        "x-log-bodyrawsize": str(len(raw)),
    }
    accepted = {e.strip().lower() for e in request.headers.get("accept-encoding", "").split(",")}
    body = raw
    if raw and "lz4" in accepted:
        body = lz4.block.compress(raw, store_size=False)
        headers["x-log-compresstype"] = "lz4"
    elif raw and accepted & {"deflate", "gzip"}:
        body = zlib.compress(raw)  # the SDK inflates deflate/gzip alike with zlib.decompress
        headers["x-log-compresstype"] = "deflate"
    # Never Content-Encoding: requests would decompress a second time.
    return HttpResponse(200, body, headers)


def append_logs(
    ctx: Context,
    project: str,
    logstore: str,
    logs: list[dict[str, str]],
    topic: str = "",
    source: str = "",
) -> None:
    """Stores one LogGroup (as a producer would PutLogs it) and notifies the logstore's triggers.

    Safe with the cloud lock held; raises KeyError when the project or logstore does not exist.
    """
    now = int(time.time())
    group = logproto.LogGroup([logproto.Log(now, list(log.items())) for log in logs], topic=topic, source=source)
    raw = logproto.encode_log_group(group)
    with ctx.cloud.lock:
        store = ctx.cloud.sls_projects[project].logstores[logstore]
        shard = store.shards[sum(len(s.groups) for s in store.shards) % len(store.shards)]
        shard.groups.append((time.time(), raw))
    logtriggers.notify(ctx, project, logstore)
