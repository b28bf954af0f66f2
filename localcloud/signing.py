"""Signature verification for the four wire protocols the official SDKs speak.

Each function recomputes the signature from what arrived and the secret of the claimed
AccessKey; the algorithms follow alibabacloud_tea_openapi/utils.py (ACS3, RPC V1),
aliyun/log/auth.py (SLS AuthV1) and fc2/auth.py (FC), see ../shared/reference/sdk-wire.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from localcloud.errors import ApiError

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def pct(value: str) -> str:
    return quote(value, safe="~", encoding="utf-8")


def _mismatch(detail: str) -> ApiError:
    return ApiError(
        400,
        "SignatureDoesNotMatch",
        f"Specified signature is not matched with our calculation. {detail}",
    )


def parse_acs3_authorization(header: str) -> tuple[str, list[str], str]:
    """Returns (access key id, signed header names, signature) of an ACS3 Authorization header."""
    prefix = "ACS3-HMAC-SHA256 "
    if not header.startswith(prefix):
        raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
    fields: dict[str, str] = {}
    for part in header[len(prefix) :].split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise ApiError(400, "IncompleteSignature", f"Malformed Authorization element {part!r}.")
        fields[key] = value
    try:
        return fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]
    except KeyError as missing:
        raise ApiError(400, "IncompleteSignature", f"Authorization lacks {missing.args[0]}.") from None


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
        raise ApiError(400, "IncompleteSignature", "SignedHeaders must be sorted.")
    body_hash = hashlib.sha256(body).hexdigest()
    if headers.get("x-acs-content-sha256", body_hash) != body_hash:
        raise _mismatch("x-acs-content-sha256 does not match the body.")
    for required in ("x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"):
        if required not in signed:
            raise ApiError(400, "IncompleteSignature", f"Header {required} must be signed.")
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
        raise ApiError(400, "InvalidSignatureMethod", "Only HMAC-SHA1 signature version 1.0 is supported.")
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
