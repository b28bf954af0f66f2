"""The logic of the suite-wide guards that tests/conftest.py wires into pytest: kept apart so tests can
exercise it with fabricated input, and so subprocesses can load it without importing the project.

Imports only the standard library at run time: tests/netguard_site/sitecustomize.py loads this file
by path at interpreter start-up in every Python subprocess of the suite.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.requestlog import LoggedRequest
    from localcloud.state import Cloud

OUTSIDE = "outside any test"

# --- network: no connection to, and no name lookup of, anything but loopback ---------------------

_ADDRESSED = ("socket.connect", "socket.sendto", "socket.sendmsg")
_NAMED = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr")


def is_local(host: object) -> bool:
    """Loopback, the unspecified address (which connects to this machine), or "localhost" (/etc/hosts).
    Any other name counts as remote: resolving it may already send a DNS query off the machine."""
    if host is None:
        return True  # getaddrinfo(None, port): a passive (bind) lookup
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower()  # "[::1]", "fe80::1%eth0"
    if name in ("", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def destination(event: str, args: tuple[Any, ...]) -> tuple[object, str] | None:
    """(host, how to show it) for a socket audit event that names a remote end, else None.

    `socket.connect` covers UDP too: the aliyun-log SDK connects a UDP socket to (endpoint host, 80) to
    learn its source address (sdk-wire.md §2.1; no datagram is sent). Pointed at the local cloud that host
    is 127.0.0.1, which passes; a name there (the public endpoint, or `<project>.127.0.0.1` that
    `put_logs` tries without a `source`) is resolved first, so it is recorded like any other lookup.
    """
    if event in _ADDRESSED:
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return None  # AF_UNIX and friends never leave the machine
        if not isinstance(address, tuple) or not address:
            return None
        kind = "udp" if getattr(sock, "type", None) == socket.SOCK_DGRAM else "tcp"
        port = f":{address[1]}" if len(address) > 1 else ""
        return address[0], f"{event} ({kind}) {address[0]}{port}"
    if event in _NAMED:
        return args[0], f"{event} {args[0]!r}"
    if event == "socket.getnameinfo":
        sockaddr = args[0]
        if isinstance(sockaddr, tuple) and sockaddr:
            return sockaddr[0], f"{event} {sockaddr[0]!r}"
    return None


@dataclass
class NetworkGuard:
    """Collects every non-loopback destination or lookup seen by the audit hook, with the test running."""

    current: str = OUTSIDE
    seen: list[str] = field(default_factory=list)

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        # Called for every audit event of the process (imports, open, ...): return fast.
        if not event.startswith("socket."):
            return
        found = destination(event, args)
        if found is not None and not is_local(found[0]):
            self.seen.append(f"{self.current}: {found[1]}")  # list.append is atomic: any thread may call

    def mark(self) -> int:
        return len(self.seen)

    def take(self, since: int) -> list[str]:
        """Removes and returns what was recorded after `mark()` (for a test of the guard itself)."""
        taken = self.seen[since:]
        del self.seen[since:]
        return taken


# --- secrets: none in any captured output or exception ---------------------------------------------

MIN_SECRET_CHARS = 8  # shorter values would match ordinary words; every seeded and minted secret is longer


def cloud_secrets(cloud: Cloud) -> dict[str, str]:
    """Every secret a local cloud knows, mapped to a description that does not contain it."""
    found: dict[str, str] = {}
    with cloud.lock:
        for account in cloud.accounts.values():
            for key in account.keys.values():
                found[key.secret] = f"the AccessKey secret of {key.id} (account {account.uid})"
        for session in cloud.sessions.values():
            found[session.secret] = f"the STS AccessKeySecret of a {session.role_name} session"
            found[session.token] = f"the STS SecurityToken of a {session.role_name} session"
    return {secret: kind for secret, kind in found.items() if len(secret) >= MIN_SECRET_CHARS}


def secrets_in(text: str, secrets: Mapping[str, str]) -> list[str]:
    """The descriptions of the secrets that occur in `text`."""
    if not text:
        return []
    return sorted({kind for secret, kind in secrets.items() if secret in text})


def redact(text: str, secrets: Mapping[str, str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):  # a longer secret may contain a shorter one
        if secret in text:
            text = text.replace(secret, "<redacted secret>")
    return text


# --- scope: sharetrust's RAM writes touch only the share roles and its own policies ----------------

SHARETRUST_AGENT = "sharetrust/"  # in the User-Agent of every POP request sharetrust sends
SHARE_ROLES = frozenset({"aliyunecsshareencryptimagedefaultrole", "aliyunecsshareencryptsnapshotdefaultrole"})
OWN_POLICIES = frozenset({"sharetrust-image-share-keys", "sharetrust-snapshot-share-keys"})
LOCK_POLICY_PREFIX = "sharetrust-lock-"
SERVICE_KEY_POLICY = "AliyunKMSFullAccess"  # a System policy sharetrust may attach to a share role


def is_sharetrust_ram_write(entry: LoggedRequest) -> bool:
    return entry.product == "Ram" and entry.write and SHARETRUST_AGENT in entry.user_agent


def out_of_scope(entry: LoggedRequest) -> str | None:
    """Why a RAM write is outside sharetrust's scope, or None when it is inside."""
    if not entry.role_name and not entry.policy_name:
        return "it names neither a role nor a policy"
    if entry.role_name and entry.role_name.lower() not in SHARE_ROLES:
        return f"role {entry.role_name!r} is not a share role"
    if entry.policy_type == "System":
        if entry.policy_name == SERVICE_KEY_POLICY and entry.action == "AttachPolicyToRole" and entry.role_name:
            return None
        return f"System policy {entry.policy_name!r} may only be attached, and only {SERVICE_KEY_POLICY}"
    name = entry.policy_name
    if name and name not in OWN_POLICIES and not name.startswith(LOCK_POLICY_PREFIX):
        return f"policy {name!r} is not sharetrust's own"
    return None


@dataclass
class ScopeTally:
    """sharetrust's RAM writes over the whole suite: how many, and those out of scope."""

    writes: int = 0
    violations: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, entry: LoggedRequest, test: str) -> None:
        if not is_sharetrust_ram_write(entry):
            return
        reason = out_of_scope(entry)
        with self._lock:
            self.writes += 1
            if reason is not None:
                names = (
                    f"RoleName={entry.role_name!r} PolicyName={entry.policy_name!r} PolicyType={entry.policy_type!r}"
                )
                self.violations.append(f"{test}: {entry.name} {names} (status {entry.status}): {reason}")
