"""A lease lock per share role, so concurrent invocations do not overwrite each other's trust.

RAM has no conditional writes and UpdateRole replaces the whole trust document, so two
invocations that read the same role and write different sharees lose one of them. CreatePolicy
is atomic (EntityAlreadyExists.Policy), so a never-attached custom policy named after the role
serves as a mutex; its description carries the lease expiry so a crashed holder cannot block
others for longer than the lease. Taken only when a write is planned: a converged role costs
no lock and no write.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sharetrust.cloud.ram import RamGateway

LEASE_SECONDS = 60


class LockTimeout(RuntimeError):
    pass


class RoleLock:
    def __init__(
        self,
        ram: RamGateway,
        *,
        wait_seconds: float = 120.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ram = ram
        self._wait = wait_seconds
        self._clock = clock
        self._sleep = sleep
        self._random = random.Random()

    @staticmethod
    def policy_name(role_name: str) -> str:
        return f"sharetrust-lock-{role_name.lower().replace('.', '-')}"[:128]

    @contextmanager
    def hold(self, role_name: str) -> Iterator[None]:
        name = self.policy_name(role_name)
        holder = uuid.uuid4().hex
        deadline = self._clock() + self._wait
        delay = 0.05
        while True:
            expires = self._clock() + LEASE_SECONDS
            if self._ram.create_lock(name, f"sharetrust lock holder={holder} until={expires:.0f}"):
                break
            if self._expired(self._ram.policy_description(name)):
                self._ram.delete_policy(name)  # a crashed holder's lease ran out
                continue
            if self._clock() > deadline:
                raise LockTimeout(f"could not lock {role_name} within {self._wait:.0f}s (lock policy {name})")
            self._sleep(self._random.uniform(delay / 2, delay))
            delay = min(delay * 2, 1.0)
        try:
            yield
        finally:
            if f"holder={holder}" in (self._ram.policy_description(name) or ""):
                self._ram.delete_policy(name)

    def _expired(self, description: str | None) -> bool:
        if description is None:
            return False  # released meanwhile: just try again
        for part in description.split():
            if part.startswith("until="):
                try:
                    return float(part[len("until=") :]) < self._clock()
                except ValueError:
                    return True
        return True
