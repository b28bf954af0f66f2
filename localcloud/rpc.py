"""The RPC (POP) operation registry and what a handler receives.

Service modules register handlers with `@operation(...)`; `localcloud.pop` routes each
signed request to one by `(version, action)`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from localcloud.context import Context
from localcloud.errors import bad_request, not_found
from localcloud.params import Params
from localcloud.state import Account, Cloud, Session


@dataclass(frozen=True)
class Product:
    name: str  # ActionTrail serviceName
    version: str
    host: str  # `{region}` is filled in
    code: str  # EventBridge product code: source `acs.<code>`, type `<code>:ActionTrail:ApiCall`
    regional: bool


PRODUCTS: dict[str, Product] = {
    p.version: p
    for p in (
        Product("Ecs", "2014-05-26", "ecs.{region}.aliyuncs.com", "ecs", True),
        Product("Ram", "2015-05-01", "ram.aliyuncs.com", "ram", False),
        Product("Kms", "2016-01-20", "kms.{region}.aliyuncs.com", "kms", True),
        Product("ResourceSharing", "2020-01-10", "resourcesharing.{region}.aliyuncs.com", "resourcesharing", True),
        Product("Sts", "2015-04-01", "sts.aliyuncs.com", "sts", False),
        Product("ResourceManager", "2020-03-31", "resourcemanager.aliyuncs.com", "resourcemanager", False),
        Product("Actiontrail", "2020-07-06", "actiontrail.{region}.aliyuncs.com", "actiontrail", True),
    )
}


@dataclass(frozen=True)
class Caller:
    """Who signed the request. Every request acts as the account that owns its AccessKey."""

    account_uid: str
    access_key_id: str
    kind: Literal["root-account", "ram-user", "assumed-role"]
    principal_id: str
    user_name: str
    session: Session | None = None


_REGIONAL_HOST = re.compile(r"^([a-z0-9]+)[.-]([a-z]+-[a-z0-9-]+)\.aliyuncs\.com$")


@dataclass
class Call:
    """What a handler receives: the running cloud, the product and action, the parameters, who asked."""

    context: Context
    product: Product
    action: str
    params: Params
    caller: Caller
    request_id: str
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    # The Host header; gives the region of regional calls without RegionId (KMS sends none).
    request_host: str = ""

    @property
    def cloud(self) -> Cloud:
        return self.context.cloud

    @property
    def account(self) -> Account:
        return self.cloud.accounts[self.caller.account_uid]

    @property
    def region(self) -> str:
        region = self.params.get("RegionId") or self._host_region() or self.cloud.settings.default_region
        if self.product.regional and region not in self.cloud.regions:
            raise bad_request("InvalidRegionId.NotFound", f"The specified RegionId {region!r} does not exist.")
        return region

    def _host_region(self) -> str | None:
        """`kms.cn-shanghai.aliyuncs.com` (or `ecs-cn-hangzhou...`) → `cn-shanghai`; None for loopback."""
        match = _REGIONAL_HOST.match(self.request_host.split(":", 1)[0].lower())
        if not self.product.regional or match is None or match.group(1) != self.product.code:
            return None
        return match.group(2)

    @property
    def host(self) -> str:
        return self.product.host.format(region=self.params.get("RegionId") or self.cloud.settings.default_region)


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    product: Product
    action: str
    handler: Handler
    write: bool


REGISTRY: dict[tuple[str, str], Operation] = {}


def operation(version: str, action: str, *, write: bool) -> Callable[[Handler], Handler]:
    """Registers a handler for `(version, action)`; `write` calls are recorded by ActionTrail."""

    def register(handler: Handler) -> Handler:
        REGISTRY[(version, action)] = Operation(PRODUCTS[version], action, handler, write)
        return handler

    return register


def authenticate(cloud: Cloud, access_key_id: str, security_token: str | None) -> tuple[Caller, str]:
    """Returns the caller and the secret to verify its signature with."""
    with cloud.lock:
        session = cloud.sessions.get(access_key_id)
        if session is not None:
            if not security_token:
                # production-facts.md "Signing and common errors" (and the POP common error codes).
                raise bad_request("MissingSecurityToken", "SecurityToken is mandatory for this action.")
            if security_token != session.token:
                raise bad_request("InvalidSecurityToken.MismatchWithAccessKey", "The security token does not match.")
            if session.expires_at < time.time():
                raise bad_request("InvalidSecurityToken.Expired", "The security token has expired.")
            caller = Caller(
                session.account_uid,
                access_key_id,
                "assumed-role",
                f"{session.role_id}:{session.session_name}",
                f"{session.role_name}:{session.session_name}",
                session,
            )
            return caller, session.secret
        for account in cloud.accounts.values():
            key = account.keys.get(access_key_id)
            if key is None:
                continue
            if security_token:
                # UNCONFIRMED: production's answer to a token sent with a long-term (non-STS) AccessKey is
                # not documented. Looked in production-facts.md, sdk-wire.md, the POP common error codes
                # (help.aliyun.com document 53438, as quoted by SDKs and Terraform's provider) and SDK
                # issues; the documented code that fits is "the token does not match the AccessKey".
                raise bad_request(
                    "InvalidSecurityToken.MismatchWithAccessKey",
                    "The security token does not match the AccessKey: a long-term AccessKey takes no token.",
                )
            if key.user is None:
                return Caller(account.uid, key.id, "root-account", account.uid, "root"), key.secret
            return Caller(account.uid, key.id, "ram-user", f"{account.uid}:{key.user}", key.user), key.secret
    raise not_found("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
