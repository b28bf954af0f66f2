"""Function Compute gateways for the operator's tools (`sharetrust invoke`, `sharetrust doctor`).

FC 3.0 (alibabacloud_fc20230330, what s.yaml deploys: functions without a service) and FC 2.0 (aliyun-fc2,
functions under a service). The FC 3.0 SDK is a runtime dependency too: a central deployment's timer
reconcile invokes its own function once per member account (sharetrust.fan_out). aliyun-fc2 is the
`operator` extra only; a missing SDK is an `OperatorSdkMissing` saying what to install.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from sharetrust.cloud.errors import NotFound
from sharetrust.cloud.session import USER_AGENT, CloudSession

T = TypeVar("T")

OPERATOR_EXTRA = "pip install 'sharetrust[operator]'"
# A sync invocation may run as long as the function's timeout; the probe is quick, but a cold start
# with every SDK to import takes seconds. Each attempt may wait this long, within the deadline.
INVOKE_READ_TIMEOUT_S = 120.0


class OperatorSdkMissing(RuntimeError):
    """An SDK of the `operator` extra is not installed; the message says how to install it."""


def _require(module: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise OperatorSdkMissing(f"{module} is not installed: {OPERATOR_EXTRA}") from None


@dataclass(frozen=True)
class Invocation:
    """A synchronous invocation's answer. `error_type` is set when the function raised (x-fc-error-type):
    then `body` is FC's JSON {errorType, errorMessage, stackTrace}."""

    body: bytes
    request_id: str
    error_type: str | None = None
    log_tail: str = ""

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    @property
    def error(self) -> str:
        """`errorType: errorMessage` of a failed invocation ("" when it did not fail)."""
        if self.error_type is None:
            return ""
        found = self.json()
        if isinstance(found, dict):
            return f"{found.get('errorType', self.error_type)}: {found.get('errorMessage', '')}"
        return f"{self.error_type}: {self.body[:300].decode('utf-8', 'replace')}"


@dataclass(frozen=True)
class FunctionRecord:
    name: str
    handler: str
    runtime: str
    role_arn: str


@dataclass(frozen=True)
class TriggerRecord:
    name: str
    type: str  # eventbridge | log | timer | ...
    source_arn: str
    invocation_role: str
    config: dict[str, Any]


class _SdkError(Exception):
    """An FC 2.0 error in the shape `session.error_code` reads (aliyun-fc2 names its code `err_code`)."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status_code = status
        self.message = message


def _decoded_tail(raw: str | None) -> str:
    if not raw:
        return ""
    try:
        return base64.b64decode(raw).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


class FunctionComputeGateway:
    """FC 3.0: invoke a function, describe it, list its triggers."""

    def __init__(self, session: CloudSession, region: str) -> None:
        _require("alibabacloud_fc20230330")
        self._session = session
        self._region = region

    def _client(self) -> Any:
        from alibabacloud_fc20230330.client import Client

        def build(config: Any) -> Any:
            # The SDK's own endpoint map decides the host (fcv3.<region>.aliyuncs.com for most regions);
            # with SHARETRUST_ENDPOINT that host still names the region, through the proxy.
            config.endpoint = None
            return Client(config)

        return self._session.client("fc3", self._region, build)

    def invoke(self, name: str, payload: bytes, qualifier: str = "LATEST") -> Invocation:
        from alibabacloud_fc20230330 import models

        client = self._client()

        def attempt() -> Any:
            request = models.InvokeFunctionRequest(body=io.BytesIO(payload), qualifier=qualifier)
            headers = models.InvokeFunctionHeaders(x_fc_invocation_type="Sync", x_fc_log_type="Tail")
            return client.invoke_function_with_options(name, request, headers, self._invoke_runtime())

        response = self._session.call("Fc:InvokeFunction", attempt)
        found = {k.lower(): v for k, v in (response.headers or {}).items()}
        body = response.body.read() if response.body is not None else b""
        return Invocation(
            body,
            found.get("x-fc-request-id", ""),
            found.get("x-fc-error-type"),
            _decoded_tail(found.get("x-fc-log-result")),
        )

    def invoke_async(self, name: str, payload: bytes, qualifier: str = "LATEST") -> str:
        """Queue an asynchronous invocation (FC answers 202 at once: the function runs later, with its own
        timeout and the function's async retries); returns FC's request id."""
        from alibabacloud_fc20230330 import models

        client = self._client()

        def attempt() -> Any:
            request = models.InvokeFunctionRequest(body=io.BytesIO(payload), qualifier=qualifier)
            headers = models.InvokeFunctionHeaders(x_fc_invocation_type="Async")
            return client.invoke_function_with_options(name, request, headers, self._session.runtime())

        response = self._session.call("Fc:InvokeFunction", attempt)
        return str({k.lower(): v for k, v in (response.headers or {}).items()}.get("x-fc-request-id", ""))

    def _invoke_runtime(self) -> Any:
        runtime = self._session.runtime()
        runtime.read_timeout = max(1, int(min(INVOKE_READ_TIMEOUT_S, self._session.deadline.remaining()) * 1000))
        return runtime

    def function(self, name: str) -> FunctionRecord | None:
        from alibabacloud_fc20230330 import models

        client = self._client()
        try:
            body = self._session.call(
                "Fc:GetFunction",
                lambda: client.get_function_with_options(
                    name, models.GetFunctionRequest(), {}, self._session.runtime()
                ),
            ).body
        except NotFound:
            return None
        return FunctionRecord(
            str(body.function_name), str(body.handler or ""), str(body.runtime or ""), str(body.role or "")
        )

    def triggers(self, name: str) -> list[TriggerRecord]:
        from alibabacloud_fc20230330 import models

        client = self._client()
        found: list[TriggerRecord] = []
        token: str | None = None
        while True:
            request = models.ListTriggersRequest(limit=100, next_token=token)
            body = self._session.call("Fc:ListTriggers", partial(self._list_triggers, client, name, request)).body
            for trigger in body.triggers or []:
                try:
                    config = json.loads(trigger.trigger_config or "{}")
                except ValueError:
                    config = {}
                found.append(
                    TriggerRecord(
                        str(trigger.trigger_name),
                        str(trigger.trigger_type),
                        str(trigger.source_arn or ""),
                        str(trigger.invocation_role or ""),
                        config if isinstance(config, dict) else {},
                    )
                )
            token = body.next_token or None
            if token is None:
                return found

    def _list_triggers(self, client: Any, name: str, request: Any) -> Any:
        return client.list_triggers_with_options(name, request, {}, self._session.runtime())


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """aliyun-fc2 logs every error answer, headers included, on the root logger; the typed error says it in a line."""
    root = logging.getLogger()
    was, root.disabled = root.disabled, True
    try:
        yield
    finally:
        root.disabled = was


class FunctionCompute2Gateway:
    """FC 2.0 (aliyun-fc2): invoke a function deployed under a service."""

    def __init__(self, session: CloudSession, region: str, account_uid: str) -> None:
        _require("fc2")
        self._session = session
        self._region = region
        self._account = account_uid
        self._client_instance: Any = None

    def _client(self) -> Any:
        if self._client_instance is None:
            import fc2

            override = self._session.endpoints.override
            # FC 2.0's endpoint names the account: https://<account>.<region>.fc.aliyuncs.com.
            endpoint = f"http://{override}" if override else f"https://{self._account}.{self._region}.fc.aliyuncs.com"
            creds = self._session.credentials
            client = fc2.Client(
                endpoint=endpoint,
                accessKeyID=creds.access_key_id,
                accessKeySecret=creds.access_key_secret,
                securityToken=creds.security_token or "",
                Timeout=min(INVOKE_READ_TIMEOUT_S, max(1.0, self._session.deadline.remaining())),
            )
            client.user_agent = USER_AGENT
            self._client_instance = client
        return self._client_instance

    def invoke(self, service: str, name: str, payload: bytes, qualifier: str = "LATEST") -> Invocation:
        client = self._client()

        def attempt() -> Invocation:
            import fc2

            headers = {"x-fc-invocation-type": "Sync", "x-fc-log-type": "Tail"}
            try:
                with _quiet_root_logger():
                    response = client.invoke_function(
                        service, name, payload=payload, headers=headers, qualifier=qualifier
                    )
            except fc2.FcError as failed:
                if failed.status_code == 200:  # the function raised: FC's body is the error
                    return Invocation(failed.message.encode(), failed.request_id, "UnhandledInvocationError")
                detail = _fc2_message(failed.message)
                raise _SdkError(failed.err_code or "FcError", int(failed.status_code), detail) from None
            found = {k.lower(): v for k, v in response.headers.items()}
            return Invocation(
                response.data, found.get("x-fc-request-id", ""), None, _decoded_tail(found.get("x-fc-log-result"))
            )

        return self._session.call("Fc:InvokeFunction", _transport_errors(attempt))


def _fc2_message(raw: str) -> str:
    try:
        found = json.loads(raw)
    except ValueError:
        return raw
    return str(found.get("ErrorMessage") or raw) if isinstance(found, dict) else raw


def _transport_errors(fn: Callable[[], T]) -> Callable[[], T]:
    """requests' connection errors as a transport failure the session retries and names in one line."""

    def wrapped() -> T:
        import requests

        try:
            return fn()
        except requests.RequestException as failed:
            raise _Unanswered(f"{type(failed).__name__}: the Function Compute endpoint did not answer") from None

    return wrapped


class _Unanswered(RuntimeError):
    """No answer from FC 2.0; `session.error_code` reads it as a transport failure (it has no code)."""
