"""localcloud: a strict loopback emulator of the Alibaba Cloud APIs sharetrust touches.

Not deployed to Function Compute; the sharetrust library never imports it.
"""

from localcloud.server import LocalCloud

__all__ = ["LocalCloud"]
