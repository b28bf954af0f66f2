"""ECS 2014-05-26: regions, images, snapshots and image share permissions."""

from __future__ import annotations

from typing import Any

from localcloud.rpc import Call, operation

VERSION = "2014-05-26"


@operation(VERSION, "DescribeRegions", write=False)
def describe_regions(call: Call) -> dict[str, Any]:
    return {
        "Regions": {
            "Region": [
                {"RegionId": r, "LocalName": r, "RegionEndpoint": f"ecs.{r}.aliyuncs.com", "Status": "available"}
                for r in call.cloud.regions
            ]
        }
    }
