"""One module per emulated RPC product; importing this package registers every operation."""

from localcloud.services import actiontrail, ecs, kms, ram, resourcemanager, resourcesharing, sts  # noqa: F401
