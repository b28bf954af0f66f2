"""Signature verification for the four wire protocols the official SDKs speak, and POP's replay guard.

Each function recomputes the signature from what arrived and the secret of the claimed
AccessKey; the algorithms follow alibabacloud_tea_openapi/utils.py (ACS3, RPC V1),
aliyun/log/auth.py (SLS AuthV1) and fc2/auth.py (FC), see ../shared/reference/sdk-wire.md.

POP also refuses a request whose timestamp is more than 15 minutes off (`InvalidTimeStamp.Expired`)
and one whose nonce it has already seen (`SignatureNonceUsed`): `check_timestamp` and `NonceLedger`.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from urllib.parse import quote

from localcloud.errors import ApiError, bad_request, incomplete_signature

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# POP common error codes (production-facts.md "Signing and common errors"): a timestamp more than
# 15 minutes from the server's clock is 400 InvalidTimeStamp.Expired; a reused nonce 400 SignatureNonceUsed.
MAX_CLOCK_SKEW = 15 * 60
POP_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # x-acs-date (ACS3) and Timestamp (RPC V1), UTC
NONCE_MEMORY_MAX = 200_000  # a hard bound on remembered nonces, whatever the request rate


def pct(value: str) -> str:
    return quote(value, safe="~", encoding="utf-8")


def _mismatch(detail: str) -> ApiError:
    return bad_request(
        "SignatureDoesNotMatch",
        f"Specified signature is not matched with our calculation. {detail}",
    )


def parse_acs3_authorization(header: str) -> tuple[str, list[str], str]:
    """Returns (access key id, signed header names, signature) of an ACS3 Authorization header."""
    prefix = "ACS3-HMAC-SHA256 "
    if not header.startswith(prefix):
        raise incomplete_signature("The request signature does not conform to Aliyun standards.")
    fields: dict[str, str] = {}
    for part in header[len(prefix) :].split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise incomplete_signature(f"Malformed Authorization element {part!r}.")
        fields[key] = value
    try:
        return fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]
    except KeyError as missing:
        raise incomplete_signature(f"Authorization lacks {missing.args[0]}.") from None


def acs3_signature(
    secret: str,
    method: str,
    pathname: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    canonical_query = "&".join(f"{k}={pct(v)}" for k, v in sorted(query, key=lambda kv: kv[0]))
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers)
    canonical_request = "\n".join(
        [method, pathname or "/", canonical_query, canonical_headers, ";".join(signed_headers), payload_hash]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def verify_acs3(
    secret: str,
    method: str,
    pathname: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    """Raises SignatureDoesNotMatch unless the ACS3-HMAC-SHA256 signature is right. Headers are lowercase."""
    _, signed, signature = parse_acs3_authorization(headers.get("authorization", ""))
    if signed != sorted(signed):
        raise incomplete_signature("SignedHeaders must be sorted.")
    body_hash = hashlib.sha256(body).hexdigest()
    if headers.get("x-acs-content-sha256", body_hash) != body_hash:
        raise _mismatch("x-acs-content-sha256 does not match the body.")
    for required in ("x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"):
        if required not in signed:
            raise incomplete_signature(f"Header {required} must be signed.")
    expected = acs3_signature(secret, method, pathname, query, headers, signed, body_hash)
    if not hmac.compare_digest(expected, signature):
        raise _mismatch("")


def rpc_v1_signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(f"{pct(k)}={pct(params[k])}" for k in sorted(params) if k != "Signature")
    to_sign = f"{method}&{pct('/')}&{pct(canonical)}"
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_rpc_v1(secret: str, method: str, params: Mapping[str, str]) -> None:
    """Raises unless the RPC V1 HMAC-SHA1 `Signature` over query and form params is right."""
    if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
        raise bad_request("InvalidSignatureMethod", "Only HMAC-SHA1 signature version 1.0 is supported.")
    expected = rpc_v1_signature(secret, method, params)
    if not hmac.compare_digest(expected, params.get("Signature", "")):
        raise _mismatch("")


def sls_signature(
    secret: str,
    method: str,
    resource: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
) -> str:
    """SLS AuthV1. `x-log-date` is added by the SDK after signing, so it is left out."""
    lines = [method, headers.get("content-md5", ""), headers.get("content-type", ""), headers.get("date", "")]
    signed = sorted(
        name
        for name in headers
        if name != "x-log-date"
        and (name.startswith("x-acs-") or (name.startswith("x-log-") and not name.startswith("x-log-meta-")))
    )
    canonical_resource = resource
    if query:
        canonical_resource += "?" + "&".join(f"{k}={query[k]}" for k in sorted(query))
    to_sign = "\n".join(lines) + "\n" + "".join(f"{n}:{headers[n]}\n" for n in signed) + canonical_resource
    return base64.b64encode(hmac.new(secret.encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def fc_signature(secret: str, method: str, resource: str, headers: Mapping[str, str]) -> str:
    lines = [method, headers.get("content-md5", ""), headers.get("content-type", ""), headers.get("date", "")]
    fc_headers = "".join(f"{n}:{headers[n]}\n" for n in sorted(h for h in headers if h.startswith("x-fc-")))
    to_sign = "\n".join(lines) + "\n" + fc_headers + resource
    return base64.b64encode(hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).digest()).decode()


def check_timestamp(value: str | None, name: str, now: float | None = None) -> float:
    """The request time of a POP `Timestamp` / `x-acs-date`, or the common error production answers.

    Returns the time as epoch seconds; raises 400 InvalidTimeStamp.Format for a value not of the form
    `yyyy-MM-ddTHH:mm:ssZ` and 400 InvalidTimeStamp.Expired when it is more than 15 minutes off.
    """
    if not value:
        # The common code form Missing{ParameterName} (POP common error codes).
        raise bad_request(f"Missing{name}", f"{name} is mandatory for this action.")
    try:
        sent = datetime.strptime(value, POP_TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise bad_request(
            "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
        ) from None
    if abs(sent - (time.time() if now is None else now)) > MAX_CLOCK_SKEW:
        raise bad_request("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    return sent


class NonceLedger:
    """The nonces of recent POP requests, so that a replayed request is refused with SignatureNonceUsed.

    A nonce is remembered until its request's timestamp leaves the 15-minute window: after that a replay
    is refused as InvalidTimeStamp.Expired anyway. So the memory holds at most 30 minutes of requests,
    and never more than `limit` nonces (the oldest are forgotten first). Thread-safe.
    Nonces are scoped per AccessKey: a replay is the same signed request, hence the same key.
    """

    def __init__(
        self,
        window: float = MAX_CLOCK_SKEW,
        limit: int = NONCE_MEMORY_MAX,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._window = window
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: dict[tuple[str, str], float] = {}
        self._queue: list[tuple[float, tuple[str, str]]] = []  # (forget at, key): a min-heap

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)

    def claim(self, access_key_id: str, nonce: str, sent: float) -> None:
        """Records the nonce of a request signed at `sent`; raises SignatureNonceUsed if it was seen."""
        if not nonce:
            raise bad_request("MissingSignatureNonce", "SignatureNonce is mandatory for this action.")
        key = (access_key_id, nonce)
        now = self._clock()
        with self._lock:
            self._forget(now)
            if key in self._expiry:
                raise bad_request("SignatureNonceUsed", "Specified signature nonce was used already.")
            forget_at = max(sent, now) + self._window
            self._expiry[key] = forget_at
            heapq.heappush(self._queue, (forget_at, key))

    def _forget(self, now: float) -> None:
        queue = self._queue
        while queue and (queue[0][0] <= now or len(self._expiry) >= self._limit):
            forget_at, key = heapq.heappop(queue)
            if self._expiry.get(key) == forget_at:
                del self._expiry[key]
