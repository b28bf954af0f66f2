"""One HTTP/TLS setup per process (issue 10): every SDK client shares one adapter and one TLS context.

darabonba builds a new SSLContext for every host it talks to (`DaraCore.get_adapter`), plain http
included; sharetrust replaces that with one shared adapter (sharetrust/cloud/transport.py). These tests
run sharetrust in a fresh interpreter, so no earlier test's SDK sessions hide what a cold process does,
and fail if the SDK changes so that the replacement no longer takes effect: against the local cloud
(plain http, so no context at all), and over https against a loopback TLS server (one context, which
still verifies certificates, for the POP clients and the Log Service session alike).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.e2e.conftest import sharer_environ, two_region_seed
from tests.localcloud.conftest import HZ, SH, start

ROOT = Path(__file__).resolve().parents[2]

# Counts the SSLContexts made once the SDK modules are imported (aiohttp makes two of its own on import,
# which no client can avoid), while sharetrust reconciles.
COUNTING_RECONCILE = r"""
import io, json, os, ssl, sys
import alibabacloud_ecs20140526.client, alibabacloud_kms20160120.client, alibabacloud_ram20150501.client
import alibabacloud_resourcesharing20200110.client, alibabacloud_sts20150401.client
from darabonba.core import DaraCore
from sharetrust.entry import reconcile

made = []
sdk_new = ssl.SSLContext.__new__
def counted_new(cls, *args, **kwargs):
    made.append(cls.__name__)
    return sdk_new(cls, *args, **kwargs)
ssl.SSLContext.__new__ = counted_new
sdk_get_adapter = DaraCore.__dict__["get_adapter"]
summary = reconcile(environ=dict(os.environ), log_stream=io.StringIO())
print(json.dumps({
    "contexts": len(made),
    "ok": summary.ok,
    "errors": summary.errors,
    "calls": dict(summary.api_calls),
    "sdk_get_adapter_replaced": DaraCore.__dict__["get_adapter"] is not sdk_get_adapter,
}))
"""


def fresh_interpreter(script: str, environ: dict[str, str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "SHARETRUST_"))}
    for proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        env.pop(proxy, None)
    env.update(environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_reconcile_over_many_hosts_builds_no_tls_context_per_host() -> None:
    lc = start(two_region_seed())
    try:
        result = fresh_interpreter(COUNTING_RECONCILE, sharer_environ(lc, SHARETRUST_REGIONS=f"{HZ},{SH}"))
    finally:
        lc.close()
    assert result["ok"], result["errors"]
    hosts = {action.split(":")[0] for action in result["calls"]}
    assert {"Ecs", "Kms", "Ram", "ResourceSharing"} <= hosts, result["calls"]  # 7 hosts over two regions
    assert result["sdk_get_adapter_replaced"]
    # Plain http to the local cloud needs no TLS context at all; the SDK's own adapters build one per host.
    assert result["contexts"] == 0, result


# Over https (what production uses), in a fresh interpreter: a loopback TLS server whose certificate a
# test CA signed. The shared context must refuse it until that CA is trusted, and then serve two POP
# clients on two host names and the Log Service's HTTP session with no other TLS context.
COUNTING_HTTPS = r"""
import json, ssl, sys
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions
from sharetrust.cloud.credentials import Credentials
from sharetrust.cloud.session import CloudSession
from sharetrust.cloud.sls import _bounded_http
from sharetrust.cloud.transport import share_sdk_connections, tls_context

port, ca_file = int(sys.argv[1]), sys.argv[2]
share_sdk_connections()

def identity(host):
    config = Config(access_key_id="AK", access_key_secret="secret", endpoint=f"{host}:{port}", protocol="https")
    runtime = RuntimeOptions(autoretry=False, connect_timeout=5000, read_timeout=5000)
    return StsClient(config).get_caller_identity_with_options(runtime).body.account_id

try:
    identity("localhost")
    refused = ""
except Exception as error:
    refused = str(error)
made = []
context = tls_context()
sdk_new = ssl.SSLContext.__new__
def counted_new(cls, *args, **kwargs):
    made.append(cls.__name__)
    return sdk_new(cls, *args, **kwargs)
ssl.SSLContext.__new__ = counted_new
context.load_verify_locations(ca_file)
loads = []
sdk_load = ssl.SSLContext.load_verify_locations
def counted_load(self, *args, **kwargs):
    loads.append(args)
    return sdk_load(self, *args, **kwargs)
ssl.SSLContext.load_verify_locations = counted_load
accounts = [identity("localhost"), identity("127.0.0.1")]
log_service = _bounded_http(CloudSession(Credentials("AK", "secret"))).get(f"https://localhost:{port}/", timeout=5)
print(json.dumps({"refused": refused, "accounts": accounts, "log_service": log_service.status_code,
                  "contexts": len(made), "ca_loads": len(loads)}))
"""
IDENTITY = {"RequestId": "r-1", "AccountId": "1111111111111111", "Arn": "acs:ram::1111111111111111:root"}


def test_over_https_one_verifying_context_serves_every_host_and_log_service(tmp_path: Path) -> None:
    ca_file, cert_file, key_file = _test_ca_and_server_certificate(tmp_path)
    server = _json_server(cert_file, key_file, json.dumps(IDENTITY).encode())
    try:
        result = fresh_interpreter_with(COUNTING_HTTPS, str(server.server_address[1]), str(ca_file))
    finally:
        server.shutdown()
        server.server_close()
    assert "CERTIFICATE_VERIFY_FAILED" in result["refused"], result  # verification stays on
    assert result["accounts"] == [IDENTITY["AccountId"]] * 2, result
    assert result["log_service"] == 200, result
    # Two hosts through the SDK and one through requests: the SDK alone would build a context per host,
    # and requests one per connection; all of them use the one context here.
    assert result["contexts"] == 0, result
    assert result["ca_loads"] == 0, result  # nor is the CA bundle read again for each new connection


def fresh_interpreter_with(script: str, *argv: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "SHARETRUST_"))}
    # Unset in Function Compute; either would make requests use that bundle instead (as it should).
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _test_ca_and_server_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signs for localhost and 127.0.0.1 (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    valid = (now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=1))

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("sharetrust test CA"))
        .issuer_name(name("sharetrust test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(server.public_bytes(pem))
    key_file.write_bytes(server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return ca_file, cert_file, key_file


def _json_server(cert_file: Path, key_file: Path, body: bytes) -> ThreadingHTTPServer:
    """A loopback https server answering every request with `body` (JSON), in a thread."""

    class Answer(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
