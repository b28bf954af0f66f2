"""Unsigned debug endpoints under /_localcloud/ for tests, the demo and operators on loopback."""

from __future__ import annotations

import json
from typing import Any

from localcloud.context import Context
from localcloud.faults import FaultRule
from localcloud.oracle import can_use
from localcloud.seed import dump_cloud
from localcloud.wire import HttpRequest, HttpResponse


def _body(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    parsed = json.loads(request.body)
    if not isinstance(parsed, dict):
        raise ValueError("the body must be a JSON object")
    return parsed


def handle(ctx: Context, request: HttpRequest) -> HttpResponse:
    route = (request.method, request.path.removeprefix("/_localcloud"))
    try:
        if route == ("GET", "/health"):
            return HttpResponse.json(200, {"ok": True})
        if route == ("GET", "/state"):
            return HttpResponse.json(200, dump_cloud(ctx.cloud))
        if route == ("GET", "/requests"):
            return HttpResponse.json(200, ctx.requests.as_json())
        if route == ("DELETE", "/requests"):
            ctx.requests.clear()
            return HttpResponse.json(200, {"ok": True})
        if route == ("GET", "/faults"):
            return HttpResponse.json(200, {"rules": [vars(r) for r in ctx.faults.rules()]})
        if route == ("PUT", "/faults"):
            body = _body(request)
            rules = [FaultRule.from_dict(r) for r in body.get("rules", [])]
            ctx.faults.configure(rules, body.get("seed"))
            return HttpResponse.json(200, {"rules": len(rules)})
        if route == ("POST", "/wait-idle"):
            return HttpResponse.json(200, {"idle": ctx.deliveries.wait_idle(float(_body(request).get("timeout", 30)))})
        if route == ("POST", "/can-use"):
            body = _body(request)
            sharee, resource = body.get("sharee"), body.get("resource")
            if not isinstance(sharee, str) or not isinstance(resource, str):
                raise ValueError('the body needs string fields "sharee" and "resource"')
            return HttpResponse.json(200, can_use(ctx.cloud, sharee, resource).as_json())
    except (ValueError, KeyError) as bad:
        return HttpResponse.json(400, {"error": str(bad)})
    return HttpResponse.json(404, {"error": f"no debug endpoint {request.method} {request.path}"})
