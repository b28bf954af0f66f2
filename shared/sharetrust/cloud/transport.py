"""One HTTP/TLS setup per process, shared by every POP SDK client and the Log Service client.

darabonba-core, the transport of every POP SDK here, keeps one `requests.Session` per host and gives
each a fresh adapter from `DaraCore.get_adapter`, which builds a new `SSLContext` every time
(`ssl.create_default_context()`, which loads the system CA store, then certifi's bundle on top: 25–50 ms
of CPU per host, and for plain http too, where it is never used). An event touches ECS, KMS and RAM, a
reconcile every region's ECS, KMS and Resource Sharing endpoint: one context per host, per process.
On top of that, requests hands urllib3 the CA bundle's path on every request, and urllib3 re-reads it
into the context for each new TLS connection.

`SharedAdapter` is one `requests` adapter per process: one connection pool per host for all clients, and
one `SSLContext`, built the same way the SDK builds it, the first time an https connection needs it (so
the local cloud's plain http builds none). It uses only the hooks requests documents for subclassing.
The SDK offers no hook to pass a session or adapter, so `share_sdk_connections` replaces
`DaraCore.get_adapter` (a public static method that darabonba calls only to equip a new per-host
session) with one returning the shared adapter; what the SDK would do differently with a minimum TLS
version is left to the SDK's own method. If the SDK no longer has that method, nothing is replaced and
every client works as before, only slower; tests/e2e/test_transport.py fails in that case.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

POOL_HOSTS = 64  # hosts kept open at once: every region's ECS, KMS and Resource Sharing, plus RAM, STS, SLS
# Connections kept per host (darabonba's default is 40). Through SHARETRUST_ENDPOINT every call shares the one
# proxy's pool, so this bounds all calls in flight at once; past it urllib3 opens extra connections and
# warns "Connection pool is full" as it drops them.
POOL_PER_HOST = 64

_lock = threading.Lock()
_adapter: Any = None
_context: ssl.SSLContext | None = None
_sdk_shared = False


def tls_context() -> ssl.SSLContext:
    """The process's one client TLS context: the system's CAs and certifi's, as darabonba builds its own."""
    global _context
    with _lock:
        if _context is None:
            import ssl

            import certifi

            context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
            context.load_verify_locations(certifi.where())
            _context = context
        return _context


def shared_adapter() -> Any:
    """The process's one `requests` adapter (a `SharedAdapter`), made on first use."""
    global _adapter
    with _lock:
        if _adapter is None:
            _adapter = _adapter_class()(pool_connections=POOL_HOSTS, pool_maxsize=POOL_PER_HOST)
        return _adapter


def share_sdk_connections() -> bool:
    """Make darabonba (every POP SDK client) equip its sessions with the shared adapter; idempotent.

    Returns whether the SDK is sharing it (False if this darabonba has no `DaraCore.get_adapter`)."""
    global _sdk_shared
    if _sdk_shared:
        return True
    from darabonba.core import DaraCore

    with _lock:
        if _sdk_shared:
            return True
        original = DaraCore.__dict__.get("get_adapter")
        if not isinstance(original, staticmethod):
            return False
        sdk_get_adapter = original.__func__

        def get_adapter(prefix: str, tls_min_version: str | None = None, pool_size: int | None = None) -> Any:
            if tls_min_version is not None:  # never set by sharetrust: the SDK's own context then
                return sdk_get_adapter(prefix, tls_min_version, pool_size=pool_size)
            return shared_adapter()

        DaraCore.get_adapter = staticmethod(get_adapter)
        _sdk_shared = True
    return True


def _adapter_class() -> Any:
    from requests.adapters import HTTPAdapter

    class SharedAdapter(HTTPAdapter):
        """An adapter whose https connections all use `tls_context()`, loaded once."""

        def build_connection_pool_key_attributes(
            self, request: Any, verify: Any, cert: Any = None
        ) -> tuple[dict[str, Any], dict[str, Any]]:
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
            if host_params.get("scheme") == "https" and verify is True and cert is None:
                pool_kwargs["ssl_context"] = tls_context()  # part of urllib3's pool key: one pool per host
            return host_params, pool_kwargs

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, verify, cert)
            if verify is True and cert is None and url.lower().startswith("https"):
                # The shared context already holds the CA bundle; given its path, urllib3 would load it
                # into the context again for every new connection. Verification stays CERT_REQUIRED.
                conn.ca_certs = None
                conn.ca_cert_dir = None

    return SharedAdapter
