"""When the trust a role needs does not fit RAM's limit: converge as much as fits, never fail the role.

Priority, highest first (issue #9): the statements sharetrust does not manage; directory and folder
statements; accounts already trusted that still have a share; the sharees of the events being handled;
everyone else, most recent share first (then by UID). Pure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sharetrust.plan.trust_policy import ECS_SERVICE, TrustPolicy, folder_pattern


@dataclass(frozen=True)
class Fitted:
    trust: TrustPolicy
    left_out: tuple[str, ...]  # principals that did not fit, as "account:<uid>" / "directory:<id>" / "folder:<p>"


def fit_trust(
    base: TrustPolicy,
    accounts: Iterable[str],
    directories: Iterable[str],
    folder_patterns: Iterable[str],
    *,
    trusted: frozenset[str],
    urgent: frozenset[str],
    limit: int,
    recency: Mapping[str, str] | None = None,
) -> Fitted | None:
    """The managed principals that fit in `limit` characters, in priority order; None when even the
    statements sharetrust does not manage are over the limit (nothing sharetrust may drop would help)."""
    fitted = base.with_managed((), (), ())
    if len(fitted.render()) > limit:
        return None
    left_out: list[str] = []
    for rd_id in sorted(directories):
        candidate = fitted.with_managed(fitted.accounts, fitted.directories | {rd_id}, fitted.folder_patterns)
        fitted = _take(fitted, candidate, limit, left_out, f"directory:{rd_id}")
    for pattern in sorted(folder_patterns):
        candidate = fitted.with_managed(fitted.accounts, fitted.directories, fitted.folder_patterns | {pattern})
        fitted = _take(fitted, candidate, limit, left_out, f"folder:{pattern}")
    when = recency or {}
    by_recency = sorted(sorted(set(accounts)), key=lambda uid: when.get(uid, ""), reverse=True)
    ranked = sorted(by_recency, key=lambda uid: (uid not in trusted, uid not in urgent))  # stable
    size = len(fitted.render())
    kept: list[str] = []
    for uid in ranked:
        # Appending one principal to the account statement costs its quoted text and a comma; the first
        # one creates the statement.
        grown = (
            size + len(json.dumps(f"{uid}@{ECS_SERVICE}")) + 1
            if kept
            else len(fitted.with_managed([uid], fitted.directories, fitted.folder_patterns).render())
        )
        if grown <= limit:
            kept.append(uid)
            size = grown
        else:
            left_out.append(f"account:{uid}")
    fitted = fitted.with_managed(kept, fitted.directories, fitted.folder_patterns)
    assert len(fitted.render()) <= limit, "the size arithmetic above must match render()"
    return Fitted(fitted, tuple(left_out))


def _take(fitted: TrustPolicy, candidate: TrustPolicy, limit: int, left_out: list[str], name: str) -> TrustPolicy:
    if len(candidate.render()) <= limit:
        return candidate
    left_out.append(name)
    return fitted


@dataclass(frozen=True)
class DirectoryCover:
    """The sharer's own resource directory, to cover member sharees that do not fit with one directory
    statement or the smallest folder statements (SHARETRUST_COVER_WITH_DIRECTORY). Such a statement
    trusts every account in that directory or folder, shared with or not."""

    mode: Literal["directory", "folder"]
    directory_id: str
    # member UID → the RD path of the folder it is in (`<rd-id>/<root-folder-id>/.../<folder-id>`)
    folder_of: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Covering:
    directories: frozenset[str]
    folder_patterns: frozenset[str]
    covered: frozenset[str]  # every member account those statements trust: no principal of its own needed


def covering(left_out: Iterable[str], cover: DirectoryCover) -> Covering:
    """The statements that cover the left-out accounts that are members of the directory: the directory
    itself, or (folder) the folders they are in, minus any folder below another one chosen."""
    stranded = sorted(uid for uid in set(left_out) if uid in cover.folder_of)
    if not stranded:
        return Covering(frozenset(), frozenset(), frozenset())
    if cover.mode == "directory":
        return Covering(frozenset({cover.directory_id}), frozenset(), frozenset(cover.folder_of))
    folders = {cover.folder_of[uid] for uid in stranded}
    chosen = {f for f in folders if not any(f.startswith(other + "/") for other in folders if other != f)}

    def under(path: str) -> bool:
        return any(path == f or path.startswith(f + "/") for f in chosen)

    covered = frozenset(uid for uid, path in cover.folder_of.items() if under(path))
    return Covering(frozenset(), frozenset(folder_pattern(f) for f in chosen), covered)
