"""Function Compute 2.0 (`2016-08-15`, what aliyun-fc2 speaks): InvokeFunction and trigger delivery.

A function's code is a Python handler importable in this process (`package.module.function`),
called as `handler(event: bytes, context)` like the FC Python runtime does (events.md §5).
Log Service triggers (`localcloud.logtriggers`) and EventBridge triggers (`localcloud.eventbridge`)
invoke functions through the context's hook, on its deliveries, so `LocalCloud.wait_idle()` waits for them.
"""

from __future__ import annotations

import base64
import hmac
import importlib
import io
import json
import os
import re
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TextIO
from urllib.parse import unquote

from localcloud import policy
from localcloud.context import Context, FunctionKey
from localcloud.errors import ApiError, bad_request, forbidden, not_found, throttled, unavailable
from localcloud.faults import FaultRule
from localcloud.pipeline import Protocol, Route
from localcloud.rpc import Caller, authenticate
from localcloud.rules.access import caller_allowed
from localcloud.services.sts import mint_session
from localcloud.signing import fc_signature
from localcloud.state import Cloud, Function
from localcloud.wire import HttpRequest, HttpResponse

API_VERSION = "2016-08-15"
FC_SERVICE = "fc.aliyuncs.com"
SYNC_PAYLOAD_LIMIT = 32 * 1024 * 1024  # FC 2.0 sync invocation request payload
ASYNC_PAYLOAD_LIMIT = 128 * 1024  # FC 2.0 async invocation request payload
ASYNC_RETRIES = 3  # maxAsyncRetryAttempts default (events.md §6)
FUNCTION_MEMORY_MB = 512  # not modelled per function
LOG_TAIL_BYTES = 4096  # x-fc-log-result carries the last 4 KB of the invocation's log

_INVOKE_PATH = re.compile(r"^/2016-08-15/services/([^/]+)/functions/([^/]+)/invocations$")
_ENV_KEYS = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN")
# A function never follows the caller's proxies: sharetrust's own calls must reach this cloud (sdk-wire.md §1.1).
PROXY_KEYS = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


class FunctionError(Exception):
    """The handler raised (or could not be loaded): FC answers 200 + x-fc-error-type."""

    def __init__(self, error_type: str, message: str, stack: list[str]) -> None:
        super().__init__(f"{error_type}: {message}")
        self.body = {"errorMessage": message, "errorType": error_type, "stackTrace": stack}


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str
    security_token: str


@dataclass(frozen=True)
class FunctionMeta:
    name: str
    handler: str
    memory: int
    timeout: int


@dataclass(frozen=True)
class ServiceMeta:
    name: str
    log_project: str
    log_store: str
    qualifier: str
    version_id: str


class RuntimeContext:
    """What the FC Python runtime passes as `context`. On python3.12 there is no `credentials`
    attribute at all (events.md §5): handlers read the ALIBABA_CLOUD_* variables instead."""

    credentials: Credentials

    def __init__(
        self,
        request_id: str,
        region: str,
        account_id: str,
        function: FunctionMeta,
        service: ServiceMeta,
        credentials: Credentials | None,
    ) -> None:
        self.request_id = request_id
        self.region = region
        self.account_id = account_id
        self.function = function
        self.service = service
        if credentials is not None:
            self.credentials = credentials


# --- invoking a function in-process ------------------------------------------------------------


def _credentials_for(cloud: Cloud, function: Function, request_id: str) -> Credentials | None:
    if not function.role:
        return None
    with cloud.lock:
        role = cloud.ram_of(function.account_uid).roles.get(function.role.lower())
        if role is None:
            raise forbidden(
                "AccessDenied",
                f"FC cannot assume role acs:ram::{function.account_uid}:role/{function.role.lower()} "
                f"of function {function.label}: the role does not exist.",
            )
        if policy.evaluate_trust(role.trust_policy, "Service", FC_SERVICE, {}) != "allow":
            raise forbidden(
                "AccessDenied",
                f"FC cannot assume role {role.arn} of function {function.label}: "
                f"its trust policy does not trust Service {FC_SERVICE}.",
            )
    session = mint_session(cloud, role, f"fc-{request_id[:28]}", 3600)
    return Credentials(session.access_key_id, session.secret, session.token)


class _EnvironmentLock:
    """os.environ is process-wide. Invocations that find it already as they need it share it and run
    concurrently; one that must change it waits until none runs, then runs alone. Readers are not
    held back by a waiting writer, so a handler that invokes another function in-process cannot
    deadlock on a shared hold."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._writing = False

    def acquire_shared(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._writing)
            self._readers += 1

    def release_shared(self) -> None:
        with self._changed:
            self._readers -= 1
            self._changed.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._writing and self._readers == 0)
            self._writing = True
        try:
            yield
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()


_ENV_LOCK = _EnvironmentLock()


@contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    """Sets (value) or removes (None) variables for the duration of one call, then restores them.

    When os.environ already holds exactly these values (the usual case in the tests, which point
    sharetrust at the cloud themselves), nothing is written and invocations stay concurrent."""
    _ENV_LOCK.acquire_shared()
    try:
        # Checked under the shared hold: no writer can change os.environ until it is released.
        unchanged = all(os.environ.get(name) == value for name, value in values.items())
        if unchanged:
            yield
    finally:
        _ENV_LOCK.release_shared()
    if unchanged:
        return
    with _ENV_LOCK.exclusive():
        saved = {name: os.environ.get(name) for name in values}
        try:
            for name, value in values.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            yield
        finally:
            for name, old in saved.items():
                if old is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = old


class _Tee(io.TextIOBase):
    """Stands in for sys.stdout/sys.stderr: what a thread running a synchronous invocation writes is
    that invocation's log (FC keeps a function's output, it is nobody's console), kept for its tail; other
    threads' writes pass through. Process-wide streams cannot be swapped per thread, so this is how
    concurrent invocations each get their own log."""

    def __init__(self, inner: TextIO, buffers: dict[int, io.StringIO]) -> None:
        self.inner = inner
        self._buffers = buffers

    def write(self, text: str) -> int:
        buffer = self._buffers.get(threading.get_ident())
        if buffer is not None:
            return buffer.write(text)
        return self.inner.write(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return False


_TAILS: dict[int, io.StringIO] = {}
_TAILS_LOCK = threading.Lock()


@contextmanager
def log_tail() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    with _TAILS_LOCK:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not isinstance(stream, _Tee):
                setattr(sys, name, _Tee(stream, _TAILS))
        _TAILS[threading.get_ident()] = buffer
    try:
        yield buffer
    finally:
        with _TAILS_LOCK:
            _TAILS.pop(threading.get_ident(), None)


def tail_header(text: str) -> str:
    """x-fc-log-result: the last 4 KB of an invocation's log, base64."""
    data = text.encode()[-LOG_TAIL_BYTES:]
    return base64.b64encode(data).decode()


def _load_handler(spec: str) -> Callable[[bytes, RuntimeContext], Any]:
    module_name, _, attribute = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise FunctionError("ImportModuleError", f"Unable to import module '{module_name}': {error}", []) from error
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise FunctionError("HandlerNotFound", f"Handler '{attribute}' is missing on module '{module_name}'", [])
    return handler  # type: ignore[no-any-return]


def _as_bytes(result: Any) -> bytes:
    if result is None:
        return b""
    if isinstance(result, bytes):
        return result
    if isinstance(result, str):
        return result.encode()
    # UNCONFIRMED: how the runtime serializes other return values; we send JSON.
    return json.dumps(result).encode()


def _function_not_found(service: str, name: str) -> ApiError:
    return not_found("FunctionNotFound", f"function '{name}' does not exist in service '{service}'")


def invoke(ctx: Context, key: FunctionKey, payload: bytes, request_id: str | None = None) -> bytes:
    """Runs a function synchronously in this thread and returns its response bytes.

    Raises FunctionError when the handler fails and ApiError when FC cannot run it. Must not be
    called with the cloud lock held (the handler may call back into the local cloud).
    """
    request_id = request_id or str(uuid.uuid4())
    with ctx.cloud.lock:
        function = ctx.cloud.functions.get(key)
        if function is None:
            raise _function_not_found(key[1], key[2])
        region = function.region or ctx.cloud.settings.default_region
    credentials = _credentials_for(ctx.cloud, function, request_id)
    handler = _load_handler(function.handler)
    modern = function.runtime == "python3.12"
    context = RuntimeContext(
        request_id,
        region,
        function.account_uid,
        FunctionMeta(function.name, function.handler, FUNCTION_MEMORY_MB, function.timeout),
        ServiceMeta(function.service, "", "", "LATEST", ""),
        None if modern else (credentials or Credentials("", "", "")),
    )
    env: dict[str, str | None] = dict(function.environment)
    if modern:
        values = (
            (credentials.access_key_id, credentials.access_key_secret, credentials.security_token)
            if credentials
            else (None, None, None)
        )
        env.update(zip(_ENV_KEYS, values, strict=True))
    # Whatever the seed or the caller's environment says, the function talks to this cloud only.
    env["SHARETRUST_ENDPOINT"] = ctx.url
    env.update(dict.fromkeys(PROXY_KEYS))
    # The function's timeout is not enforced: a Python thread cannot be stopped from outside.
    try:
        with _environment(env):
            result = handler(payload, context)
    except Exception as error:
        raise FunctionError(type(error).__name__, str(error), traceback.format_tb(error.__traceback__)) from error
    return _as_bytes(result)


# --- the HTTP API --------------------------------------------------------------------------------


def _error(error: ApiError, request_id: str) -> HttpResponse:
    return HttpResponse.json(
        error.status, {"ErrorCode": error.code, "ErrorMessage": error.message}, {"X-Fc-Request-Id": request_id}
    )


def _authenticate(ctx: Context, request: HttpRequest, path: str) -> Caller:
    for header in ("authorization", "date"):
        if not request.headers.get(header):
            raise bad_request("MissingRequiredHeader", f"required HTTP header {header} was not specified")
    scheme, _, credential = request.headers["authorization"].partition(" ")
    access_key_id, _, signature = credential.partition(":")
    if scheme != "FC" or not access_key_id or not signature:
        raise forbidden("SignatureNotMatch", "The Authorization header is not of the form 'FC <AK>:<sig>'.")
    try:
        caller, secret = authenticate(ctx.cloud, access_key_id, request.headers.get("x-fc-security-token"))
    except ApiError as error:
        if error.code == "InvalidAccessKeyId.NotFound":
            raise forbidden("InvalidAccessKeyID", f"invalid access key ID '{access_key_id}'") from None
        # UNCONFIRMED: FC's code for a bad STS token; AccessDenied is its generic 403.
        raise forbidden("AccessDenied", f"invalid security token: {error.message}") from None
    expected = fc_signature(secret, request.method, path, request.headers)
    if not hmac.compare_digest(expected, signature):
        raise forbidden(
            "SignatureNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your access key and signing method",
        )
    return caller


@dataclass(frozen=True)
class _Invocation:
    service: str  # `<service>[.<qualifier>]` as in the path
    function: str


class FunctionCompute(Protocol["_Invocation | None"]):
    product = "Fc"
    signing = "FC"

    def accepts(self, request: HttpRequest) -> bool:
        return request.path.startswith(f"/{API_VERSION}/")

    def request_id(self) -> str:
        return str(uuid.uuid4())

    def route(self, request: HttpRequest) -> Route[_Invocation | None]:
        path = unquote(request.path)
        match = _INVOKE_PATH.match(path)
        if match is None or request.method != "POST":
            refusal = bad_request("PathNotSupported", f"'{path}' against '{request.method}' is not supported")
            return Route("Unsupported", None, refusal=refusal)
        return Route("InvokeFunction", _Invocation(match.group(1), match.group(2)))

    def authenticate(self, ctx: Context, request: HttpRequest, route: Route[_Invocation | None]) -> None:
        route.caller = _authenticate(ctx, request, unquote(request.path))

    def fault(self, rule: FaultRule, route: Route[_Invocation | None]) -> ApiError:
        if rule.kind == "throttle":
            return throttled(429, "ResourceExhausted", "Rate exceeded")
        return unavailable("ResourceThrottled", "Reserve resource exceeded limit")

    def answer(self, ctx: Context, request: HttpRequest, route: Route[_Invocation | None]) -> HttpResponse:
        invocation, caller = route.target, route.caller
        assert invocation is not None and caller is not None
        return _invoke_http(ctx, request, caller, invocation.service, invocation.function, route.request_id)

    def render_error(self, error: ApiError, route: Route[_Invocation | None]) -> HttpResponse:
        return _error(error, route.request_id)


FUNCTION_COMPUTE = FunctionCompute()


def _invoke_http(
    ctx: Context, request: HttpRequest, caller: Caller, service_part: str, name: str, request_id: str
) -> HttpResponse:
    service, _, qualifier = service_part.partition(".")
    qualifier = qualifier or "LATEST"
    uid = caller.account_uid
    with ctx.cloud.lock:
        if not any(k[0] == uid and k[1] == service for k in ctx.cloud.functions):
            raise not_found("ServiceNotFound", f"service '{service}' does not exist")
        if qualifier != "LATEST":
            # Versions and aliases are not modelled: only LATEST exists.
            if qualifier.isdigit():
                raise not_found("VersionNotFound", f"version '{qualifier}' of service '{service}' does not exist")
            raise not_found("AliasNotFound", f"alias '{qualifier}' of service '{service}' does not exist")
        if (uid, service, name) not in ctx.cloud.functions:
            raise _function_not_found(service, name)
        resource = f"acs:fc:{ctx.cloud.settings.default_region}:{uid}:services/{service}.{qualifier}/functions/{name}"
        if not caller_allowed(ctx.cloud, caller, "fc:InvokeFunction", resource):
            raise forbidden(
                "AccessDenied", f"the caller is not authorized to perform 'fc:InvokeFunction' on '{resource}'"
            )
    headers = {"X-Fc-Request-Id": request_id}
    return answer_invocation(ctx, request, (uid, service, name), request_id, headers, f"{service}/{name}")


def answer_invocation(
    ctx: Context, request: HttpRequest, key: FunctionKey, request_id: str, headers: dict[str, str], label: str
) -> HttpResponse:
    """Run an authorised invocation as FC 2.0 and 3.0 both answer it: Async queues it (202); Sync runs it,
    with the log tail on `x-fc-log-type: Tail`, and an unhandled error as a 200 with `x-fc-error-type`."""
    kind = request.headers.get("x-fc-invocation-type", "Sync")
    if kind not in ("Sync", "Async"):
        raise bad_request("InvalidArgument", f"x-fc-invocation-type {kind!r} must be Sync or Async")
    limit = ASYNC_PAYLOAD_LIMIT if kind == "Async" else SYNC_PAYLOAD_LIMIT
    if len(request.body) > limit:
        raise bad_request("EntityTooLarge", f"payload size exceeds maximum allowed size ({limit} bytes)")
    if kind == "Async":
        ctx.deliveries.submit(partial(_invoke_async, ctx, key, request.body, request_id), f"async invocation {label}")
        return HttpResponse(202, b"", headers)
    failure: FunctionError | None = None
    body = b""
    with log_tail() as log:
        print(f"FC Invoke Start RequestId: {request_id}")
        try:
            body = invoke(ctx, key, request.body, request_id)
        except FunctionError as failed:
            failure = failed
            print(f"{failed.body['errorType']}: {failed.body['errorMessage']}")
        print(f"FC Invoke End RequestId: {request_id}")
    if request.headers.get("x-fc-log-type") == "Tail":
        headers["x-fc-log-result"] = tail_header(log.getvalue())
    if failure is not None:
        headers["x-fc-error-type"] = "UnhandledInvocationError"
        response = HttpResponse.json(200, failure.body, headers)
        response.code = headers["x-fc-error-type"]
        return response
    return HttpResponse(200, body, {"content-type": "application/octet-stream", **headers})


def _invoke_async(ctx: Context, key: FunctionKey, payload: bytes, request_id: str) -> None:
    # Async invocations are retried on errors (default 3 retries), so side effects may repeat.
    failure: Exception | None = None
    for _ in range(ASYNC_RETRIES + 1):
        try:
            invoke(ctx, key, payload, request_id)
            return
        except Exception as error:
            failure = error
    assert failure is not None
    raise failure
