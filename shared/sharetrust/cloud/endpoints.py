"""Service endpoints, and the one switch that sends every call to the local cloud.

`SHARETRUST_ENDPOINT=http://127.0.0.1:PORT` makes every service's calls go to that endpoint over
plain http; without it, the public endpoints of alibaba-apis.md §8 are used over https. The
endpoint is used as an HTTP proxy, so each request keeps its real host name (`kms.cn-shanghai...`):
KMS calls carry no RegionId, and the host is how the region reaches the service.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

ENDPOINT_VARIABLE = "SHARETRUST_ENDPOINT"

_HOSTS = {
    "ecs": "ecs.{region}.aliyuncs.com",
    "ram": "ram.aliyuncs.com",
    "kms": "kms.{region}.aliyuncs.com",
    "resourcesharing": "resourcesharing.{region}.aliyuncs.com",
    "resourcemanager": "resourcemanager.aliyuncs.com",
    "sts": "sts.{region}.aliyuncs.com",
    # The operator's tools: FC 3.0 (its SDK's endpoint map: fcv3.<region> for most regions) and ActionTrail.
    "fc3": "fcv3.{region}.aliyuncs.com",
    "actiontrail": "actiontrail.{region}.aliyuncs.com",
}


class EndpointError(ValueError):
    pass


@dataclass(frozen=True)
class Endpoints:
    override: str | None = None  # "host:port", plain http

    @staticmethod
    def from_environment(environ: Mapping[str, str] | None = None) -> Endpoints:
        raw = (os.environ if environ is None else environ).get(ENDPOINT_VARIABLE, "").strip()
        if not raw:
            return Endpoints()
        parts = urlsplit(raw if "://" in raw else f"http://{raw}")
        if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
            raise EndpointError(f"{ENDPOINT_VARIABLE} must look like http://127.0.0.1:PORT, got {raw!r}")
        return Endpoints(parts.netloc)

    def host(self, product: str, region: str) -> str:
        if region == "cn-hangzhou" and product == "ecs":
            return "ecs-cn-hangzhou.aliyuncs.com"  # the SDK's own endpoint map entry
        return _HOSTS[product].format(region=region)

    @property
    def protocol(self) -> str:
        return "http" if self.override else "https"

    @property
    def proxy(self) -> str | None:
        return f"http://{self.override}" if self.override else None

    def sls_endpoint(self, region_or_endpoint: str) -> str:
        """The trigger's own endpoint, or the region's public one."""
        if "." in region_or_endpoint:
            return region_or_endpoint
        return f"{region_or_endpoint}.log.aliyuncs.com"
