"""One module per emulated RPC product; importing this package registers every operation."""

from localcloud.services import ecs  # noqa: F401
