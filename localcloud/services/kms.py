"""KMS 2016-01-20: key metadata, aliases and key listing (alibaba-apis.md §4).

Keys are regional: a call only sees the caller's keys in the call's region.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from localcloud import paging
from localcloud.errors import invalid, not_found
from localcloud.rpc import Call, operation
from localcloud.state import KmsKey

VERSION = "2016-01-20"

PAGE_SIZE_DEFAULT = 10
PAGE_SIZE_MAX = 100
MAX_FILTERS = 10
MAX_FILTER_VALUES = 10
KEY_SPEC = "Aliyun_AES_256"
KEY_USAGE = "ENCRYPT/DECRYPT"
PROTECTION_LEVEL = "SOFTWARE"
# Filter keys ListKeys documents; TagKey/TagValue/DKMSInstanceId are accepted but match nothing here.
FILTER_KEYS = (
    "KeyState", "KeySpec", "KeyUsage", "ProtectionLevel", "CreatorType", "DKMSInstanceId",
    "KeyId", "AliasName", "Creator", "TagKey", "TagValue",
)  # fmt: skip

T = TypeVar("T")


def _own_keys(call: Call) -> list[KmsKey]:
    region = call.region
    uid = call.caller.account_uid
    return [k for k in call.cloud.keys.values() if k.owner == uid and k.region == region]


def _resolve(call: Call, key_id: str) -> KmsKey:
    """A key of the caller in the call's region, by key id, alias name or alias ARN."""
    keys = _own_keys(call)
    alias = key_id
    if key_id.startswith("acs:kms:") and ":alias/" in key_id:
        alias = "alias/" + key_id.split(":alias/", 1)[1]
    if alias.startswith("alias/"):
        for key in keys:
            if alias in key.aliases:
                return key
        # UNCONFIRMED which code DescribeKey gives for an unknown alias; Terraform expects either this
        # or Forbidden.KeyNotFound, so the alias-specific one is used.
        raise not_found("Forbidden.AliasNotFound", "The specified Alias is not found.")
    for key in keys:
        if key.id == key_id:
            return key
    raise not_found("Forbidden.KeyNotFound", "The specified Key is not found.")


def _alias_arn(key: KmsKey, alias: str) -> str:
    return f"acs:kms:{key.region}:{key.owner}:{alias}"


def _page(call: Call, items: Sequence[T]) -> tuple[list[T], dict[str, Any]]:
    page = paging.by_number(call.params, default_size=PAGE_SIZE_DEFAULT, max_size=PAGE_SIZE_MAX, max_number=2**31 - 1)
    return page.take(items), page.fields(len(items))


def _creator_type(key: KmsKey) -> str:
    return "Service" if key.is_service_key else "User"


@operation(VERSION, "DescribeKey", write=False)
def describe_key(call: Call) -> dict[str, Any]:
    key = _resolve(call, call.params.require("KeyId"))
    return {
        "KeyMetadata": {
            "KeyId": key.id,
            "Arn": key.arn,
            # UNCONFIRMED for service keys (alibaba-apis.md §10.6): the owning account is reported for both.
            "Creator": key.owner,
            "KeyState": key.state,
            "KeySpec": KEY_SPEC,
            "KeyUsage": KEY_USAGE,
            "Origin": "Aliyun_KMS",
            "ProtectionLevel": PROTECTION_LEVEL,
            "CreationDate": key.created,
            "LastRotationDate": key.created,
            "MaterialExpireTime": "",
            "Description": key.description,
            "DeletionProtection": "Disabled",
            "AutomaticRotation": "Disabled",
        }
    }


def _alias_rows(keys: Sequence[KmsKey]) -> list[dict[str, str]]:
    return [
        {"AliasName": alias, "AliasArn": _alias_arn(key, alias), "KeyId": key.id}
        for key in keys
        for alias in key.aliases
    ]


@operation(VERSION, "ListAliasesByKeyId", write=False)
def list_aliases_by_key_id(call: Call) -> dict[str, Any]:
    key = _resolve(call, call.params.require("KeyId"))
    rows, paging = _page(call, _alias_rows([key]))
    return {"Aliases": {"Alias": rows}, **paging}


@operation(VERSION, "ListAliases", write=False)
def list_aliases(call: Call) -> dict[str, Any]:
    rows, paging = _page(call, _alias_rows(_own_keys(call)))
    return {"Aliases": {"Alias": rows}, **paging}


def _parse_filters(raw: str | None) -> dict[str, set[str]]:
    """`[{"Key": k, "Values": [...]}, ...]` → {key: allowed values}; AND across keys, OR within one key."""
    if raw is None:
        return {}
    # UNCONFIRMED: KMS's code for a malformed Filters value; InvalidParameter.Filters names the culprit.
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise invalid("Filters", "it is not valid JSON") from None
    if not isinstance(parsed, list):
        raise invalid("Filters", "it must be a JSON array of {Key, Values} objects")
    if len(parsed) > MAX_FILTERS:
        raise invalid("Filters", f"at most {MAX_FILTERS} filters are allowed")
    merged: dict[str, set[str]] = {}
    for entry in parsed:
        if not isinstance(entry, dict) or set(entry) - {"Key", "Values"} or "Key" not in entry:
            raise invalid("Filters", f"{entry!r} is not a {{Key, Values}} object")
        key, values = entry["Key"], entry.get("Values", [])
        if key not in FILTER_KEYS:
            raise invalid("Filters", f"unknown filter key {key!r}")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise invalid("Filters", f"Values of {key} must be an array of strings")
        if len(values) > MAX_FILTER_VALUES:
            raise invalid("Filters", f"at most {MAX_FILTER_VALUES} values are allowed per filter")
        merged.setdefault(key, set()).update(values)
    return merged


def _matches(key: KmsKey, filters: dict[str, set[str]]) -> bool:
    facts: dict[str, set[str]] = {
        "KeyState": {key.state},
        "KeySpec": {KEY_SPEC},
        "KeyUsage": {KEY_USAGE},
        "ProtectionLevel": {PROTECTION_LEVEL},
        "CreatorType": {_creator_type(key)},
        "KeyId": {key.id},
        "AliasName": set(key.aliases),
        "Creator": {key.owner},
    }
    # An empty Values list constrains nothing.
    return all(not allowed or facts.get(name, set()) & allowed for name, allowed in filters.items())


@operation(VERSION, "ListKeys", write=False)
def list_keys(call: Call) -> dict[str, Any]:
    filters = _parse_filters(call.params.get("Filters"))
    keys = [k for k in _own_keys(call) if _matches(k, filters)]
    rows, paging = _page(call, keys)
    return {"Keys": {"Key": [{"KeyId": k.id, "KeyArn": k.arn} for k in rows]}, **paging}
