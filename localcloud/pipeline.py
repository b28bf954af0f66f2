"""The one request path every protocol plugs into: route, authenticate, authorize, faults, answer, errors, request log.

A protocol (POP in `localcloud.pop`, Log Service in `localcloud.sls`, Function Compute in `localcloud.fc`)
says how its requests are routed and signed, which errors an injected fault becomes, how it answers and
how it renders an error. `serve` runs those steps in the same order for all of them and writes exactly one
request-log entry per request.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Generic, TypeVar

from localcloud.context import Context
from localcloud.errors import ApiError
from localcloud.faults import FaultRule
from localcloud.rpc import Caller
from localcloud.state import new_request_id
from localcloud.wire import HttpRequest, HttpResponse

T = TypeVar("T")


@dataclass
class Route(Generic[T]):
    """What a request asks for, as far as its protocol could tell before authenticating it."""

    action: str  # as the request log names it, also when the request is not served
    target: T  # what the protocol's own steps need (the operation, the parsed path, ...)
    refusal: ApiError | None = None  # why the request is not served: answered before authentication
    write: bool = False
    product: str | None = None  # the request log's product when it is not the protocol's (POP)
    signing: str | None = None  # the request log's signing when it is not the protocol's (POP)
    region: str | None = None  # the region the call acts in: region-scoped fault rules match on it
    caller: Caller | None = None  # set by `authenticate` once the key is known
    request_id: str = ""  # set by `serve`


class Protocol(ABC, Generic[T]):
    """One wire protocol. Subclasses fill in the steps; `serve` runs them."""

    product: str  # the request log's product (and the fault rules' `Product:` prefix)
    signing: str  # the request log's signing
    # `lose` runs the call, then closes the connection instead of answering. A protocol without it
    # (False) answers nothing at all, as for `drop`.
    processes_lost_answers = False

    @abstractmethod
    def accepts(self, request: HttpRequest) -> bool:
        """Whether this protocol serves the request (the server asks each protocol in turn)."""

    @abstractmethod
    def route(self, request: HttpRequest) -> Route[T]:
        """The action asked for; never raises (a request not served has `refusal` set)."""

    @abstractmethod
    def authenticate(self, ctx: Context, request: HttpRequest, route: Route[T]) -> None:
        """Checks the signature and sets `route.caller` (raises ApiError when it is refused)."""

    def authorize(self, ctx: Context, request: HttpRequest, route: Route[T]) -> None:
        """Raises the protocol's denial unless RAM allows the caller this request (`localcloud.authorization`).

        None by default: a protocol that can only tell what a request touches while answering it (Log Service,
        Function Compute: the project or function must be looked up) calls `authorization.enforce` there."""

    @abstractmethod
    def fault(self, rule: FaultRule, route: Route[T]) -> ApiError:
        """The error an injected `throttle` or `unavailable` fault answers."""

    @abstractmethod
    def answer(self, ctx: Context, request: HttpRequest, route: Route[T]) -> HttpResponse:
        """Runs the call (raises ApiError for an error answer)."""

    @abstractmethod
    def render_error(self, error: ApiError, route: Route[T]) -> HttpResponse: ...

    def request_id(self) -> str:
        return new_request_id()

    def log_fields(self, request: HttpRequest, route: Route[T]) -> dict[str, str]:
        """Extra request-log fields (who asked, what a RAM call names); none by default."""
        return {}


def serve(ctx: Context, protocol: Protocol[T], request: HttpRequest) -> HttpResponse:
    """Answers one request of `protocol` and records it in `ctx.requests`."""
    route = protocol.route(request)
    route.request_id = protocol.request_id()

    def logged(status: int, code: str) -> None:
        ctx.requests.add(
            product=route.product or protocol.product,
            action=route.action,
            account_uid=route.caller.account_uid if route.caller else "",
            status=status,
            code=code,
            write=route.write,
            signing=route.signing or protocol.signing,
            **protocol.log_fields(request, route),
        )

    dropped = HttpResponse(0, drop=True)
    try:
        if route.refusal is not None:
            raise route.refusal
        protocol.authenticate(ctx, request, route)
        protocol.authorize(ctx, request, route)
        decision = ctx.faults.decide(route.product or protocol.product, route.action, route.region)
        if decision.latency_ms:
            time.sleep(decision.latency_ms / 1000)
        failure = decision.failure
        kind = failure.kind if failure is not None else None
        if kind == "drop" or (kind == "lose" and not protocol.processes_lost_answers):
            logged(0, "ConnectionDropped")
            return dropped
        if failure is not None and kind in ("throttle", "unavailable"):
            raise protocol.fault(failure, route)
        try:
            response = protocol.answer(ctx, request, route)
        except ApiError:
            if kind != "lose":
                raise
            response = dropped
        if kind == "lose":  # the call ran; its answer is lost
            logged(0, "AnswerLost")
            return dropped
    except ApiError as error:
        logged(error.status, error.code)
        return protocol.render_error(error, route)
    logged(response.status, response.code)
    return response
