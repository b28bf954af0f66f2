"""A lease lock per share role, so concurrent invocations do not overwrite each other's trust.

RAM has no conditional writes and UpdateRole replaces the whole trust document, so two
invocations that read the same role and write different sharees lose one of them. CreatePolicy
is atomic (EntityAlreadyExists.Policy), so a never-attached custom policy named after the role
serves as a mutex. Its description is the lease: `holder=<id> until=<unix time>`, where `until`
is the holder's own invocation deadline (at most LEASE_SECONDS away, plus a margin) — past it the
holder has given up, so an expired lease is taken over at once. A holder recognises its own lease (a CreatePolicy whose
answer was lost and whose retry says "already exists") and releases it in every outcome.

The lock only avoids lost updates under contention; correctness does not rest on it, because
every write is re-read, verified and merged again on a lost update (converge.py).
Uncontended it costs two calls: CreatePolicy and DeletePolicy.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sharetrust.cloud.errors import CloudError
from sharetrust.cloud.ram import RamGateway
from sharetrust.deadline import Deadline

LEASE_SECONDS = 60.0  # the longest a holder keeps others out; its own deadline ends it sooner
LEASE_MARGIN_SECONDS = 2.0  # a write in flight at the holder's deadline lands within its (cut) timeout
WORK_RESERVE_SECONDS = 10.0
FIRST_WAIT, LONGEST_WAIT = 0.1, 2.0


class LockTimeout(RuntimeError):
    pass


@dataclass(frozen=True)
class Lease:
    holder: str
    until: float  # Unix time

    def describe(self) -> str:
        return f"sharetrust lock holder={self.holder} until={self.until:.0f}"

    @staticmethod
    def parse(description: str) -> Lease | None:
        fields = dict(part.split("=", 1) for part in description.split() if "=" in part)
        try:
            return Lease(fields["holder"], float(fields["until"]))
        except (KeyError, ValueError):
            return None  # not a lease sharetrust wrote: treated as expired


class RoleLock:
    def __init__(
        self,
        ram: RamGateway,
        deadline: Deadline,
        *,
        note: Callable[[str], None] = lambda _: None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ram = ram
        self._deadline = deadline
        self._note = note  # where waiting is reported (the decision log)
        self._clock = clock
        self._sleep = sleep
        self._random = random.Random()

    @staticmethod
    def policy_name(role_name: str) -> str:
        return f"sharetrust-lock-{role_name.lower().replace('.', '-')}"[:128]

    @contextmanager
    def hold(self, role_name: str) -> Iterator[None]:
        name = self.policy_name(role_name)
        lease = min(self._deadline.remaining(), LEASE_SECONDS) + LEASE_MARGIN_SECONDS
        mine = Lease(uuid.uuid4().hex, self._clock() + lease)
        acquired = False
        try:
            self._acquire(role_name, name, mine)
            acquired = True
            yield
        finally:
            # Also after a failed acquire: a CreatePolicy that landed unanswered may have made it ours.
            self._release(name, mine, certain=acquired)

    def _acquire(self, role_name: str, name: str, mine: Lease) -> None:
        wait = FIRST_WAIT
        reported: Lease | None = None
        while True:
            if self._ram.create_lock(name, mine.describe()):
                return
            description = self._ram.policy_description(name)
            if description is None:
                continue  # released between our two calls: try again at once
            held = Lease.parse(description)
            if held is not None and held.holder == mine.holder:
                return  # our CreatePolicy landed but its answer was lost; the retry saw our own lease
            now = self._clock()
            if held is None or held.until <= now:
                self._note(f"{role_name}: taking over the expired lock {name} ({description})")
                self._ram.delete_policy(name)
                continue
            # Stop waiting while there is still time to do the work the lock is for, and to report.
            left = self._deadline.remaining() - min(WORK_RESERVE_SECONDS, self._deadline.seconds / 4)
            if left <= 0:
                raise LockTimeout(
                    f"{role_name} is locked by holder {held.holder} until {_clock_time(held.until)} "
                    f"(lock policy {name}) and this invocation's deadline is near; a retry will find it released"
                )
            if held != reported:
                self._note(f"{role_name}: waiting for holder {held.holder}, lease until {_clock_time(held.until)}")
                reported = held
            self._sleep(min(self._random.uniform(wait / 2, wait), left, held.until - now))
            wait = min(wait * 2, LONGEST_WAIT)

    def _release(self, name: str, mine: Lease, *, certain: bool) -> None:
        """Deletes our lease; never someone else's. A failure here is reported, never raised over the outcome."""
        try:
            if not certain or self._clock() >= mine.until - 1:
                # Not known to be ours, or past our lease (another may have taken over): check first.
                current = Lease.parse(self._ram.policy_description(name) or "")
                if current is None or current.holder != mine.holder:
                    return
            self._ram.delete_policy(name)
        except CloudError as failed:
            self._note(f"could not release lock {name} ({failed}); it expires at {_clock_time(mine.until)}")


def _clock_time(unix: float) -> str:
    return time.strftime("%H:%M:%SZ", time.gmtime(unix))
