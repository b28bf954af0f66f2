"""sharetrust's settings, read from the environment (FC environment variables or the shell)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sharetrust.model import is_account_uid, target_kind
from sharetrust.plan.desired import ShareeFilter

_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")
# Log Service project and logstore names: lowercase letters, digits, hyphens (and _ in logstores), 2–63.
_ROLE_NAME = re.compile(r"[A-Za-z0-9.-]{1,64}")  # RAM role names: letters, digits, `.` and `-`
_SLS_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{1,62}")


class SettingsError(ValueError):
    """A setting has a value sharetrust cannot use; the message names the variable."""


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _targets(env: Mapping[str, str], name: str) -> frozenset[str]:
    found = frozenset(t for t in env.get(name, "").split(",") if t)
    bad = sorted(t for t in found if target_kind(t) is None)
    if bad:
        raise SettingsError(f"{name} takes account UIDs and rd-/fd-/r- ids, comma-separated; not: {', '.join(bad)}")
    return found


@dataclass(frozen=True)
class Settings:
    dry_run: bool = False
    # Repeat a share that failed with AssumeRoleError once the role is ready (off: say a retry will work).
    retry_failed_shares: bool = False
    service_key_policy: Literal["attach", "warn"] = "attach"
    regions: tuple[str, ...] = ()  # empty: every region ECS lists
    home_region: str = "cn-hangzhou"
    account_uid: str | None = None  # None: ask STS (or take FC's context.account_id)
    lock_roles: bool = True
    # Seconds one invocation may take, every retry and lock wait included. None: 60 s, or in
    # Function Compute the function's timeout less a margin (deadline.Deadline.for_function).
    deadline_seconds: float | None = None
    # A reconcile (timer or `sharetrust apply`) removes access no current share needs; off by default.
    prune: bool = False
    # RAM's trust-policy length limit is undocumented (production-facts.md "Limits"); 4096 is what RAM
    # is known to accept. A length error from RAM shrinks it for the invocation (apply/converge.py).
    trust_max_chars: int = 4096
    # Sharees that may (allow; empty: all) and may never (deny) be trusted: UIDs, rd-, fd- or r- ids.
    sharees: ShareeFilter = field(default_factory=ShareeFilter)
    # (project, logstore) in the home region that receives one record per change; None: no audit trail.
    audit_logstore: tuple[str, str] | None = None
    # A central deployment: the RAM role sharetrust assumes in a member account to act on its events.
    member_role: str | None = None
    # With a member role, the timer's reconcile invokes its own function once per member account,
    # asynchronously (sharetrust.fan_out); off: the timer reconciles the central account only.
    member_fan_out: bool = True
    # Cover account sharees left out by the trust-policy limit that are members of the sharer's own
    # resource directory with one directory statement ("directory") or the folders they are in ("folder").
    # Off by default: such a statement trusts every account in the directory or folder.
    cover_with_directory: Literal["off", "directory", "folder"] = "off"

    @staticmethod
    def from_environment(environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        policy = env.get("SHARETRUST_SERVICE_KEY_POLICY", "attach").strip() or "attach"
        if policy not in ("attach", "warn"):
            raise SettingsError(f"SHARETRUST_SERVICE_KEY_POLICY must be attach or warn, got {policy!r}")
        regions = tuple(r.strip() for r in env.get("SHARETRUST_REGIONS", "").split(",") if r.strip())
        home = env.get("SHARETRUST_HOME_REGION", "").strip() or env.get("FC_REGION", "").strip() or "cn-hangzhou"
        for region in (*regions, home):
            if not _REGION.match(region):
                raise SettingsError(f"{region!r} is not a region id (SHARETRUST_REGIONS / SHARETRUST_HOME_REGION)")
        account = env.get("SHARETRUST_ACCOUNT_ID") or None  # not trimmed: the one UID rule
        if account is not None and not is_account_uid(account):
            raise SettingsError(f"SHARETRUST_ACCOUNT_ID must be an account UID (1–20 digits), got {account!r}")
        raw_deadline = env.get("SHARETRUST_DEADLINE_SECONDS", "").strip()
        deadline: float | None = None
        if raw_deadline:
            try:
                deadline = float(raw_deadline)
            except ValueError:
                deadline = -1.0
            if not 1 <= deadline <= 86400:
                raise SettingsError(f"SHARETRUST_DEADLINE_SECONDS must be seconds (1–86400), got {raw_deadline!r}")
        raw_limit = env.get("SHARETRUST_TRUST_POLICY_MAX_CHARS", "").strip() or "4096"
        if not raw_limit.isascii() or not raw_limit.isdigit() or not 512 <= int(raw_limit) <= 65536:
            raise SettingsError(f"SHARETRUST_TRUST_POLICY_MAX_CHARS must be 512–65536 characters, got {raw_limit!r}")
        allow, deny = _targets(env, "SHARETRUST_ALLOW_SHAREES"), _targets(env, "SHARETRUST_DENY_SHAREES")
        audit = env.get("SHARETRUST_AUDIT_LOGSTORE", "").strip()
        project, _, logstore = audit.partition("/")
        if audit and not (_SLS_NAME.fullmatch(project) and _SLS_NAME.fullmatch(logstore)):
            raise SettingsError(f"SHARETRUST_AUDIT_LOGSTORE must be <project>/<logstore>, got {audit!r}")
        member_role = env.get("SHARETRUST_MEMBER_ROLE", "").strip() or None
        if member_role is not None and not _ROLE_NAME.fullmatch(member_role):
            raise SettingsError(f"SHARETRUST_MEMBER_ROLE must be a RAM role name, got {member_role!r}")
        cover = env.get("SHARETRUST_COVER_WITH_DIRECTORY", "").strip().lower() or "off"
        cover = "off" if cover == "false" else cover
        if cover not in ("off", "directory", "folder"):
            raise SettingsError(f"SHARETRUST_COVER_WITH_DIRECTORY must be off, directory or folder, got {cover!r}")
        return Settings(
            dry_run=_flag(env, "SHARETRUST_DRY_RUN", False),
            retry_failed_shares=_flag(env, "SHARETRUST_RETRY_FAILED_SHARES", False),
            service_key_policy=policy,  # type: ignore[arg-type]
            regions=regions,
            home_region=home,
            account_uid=account,
            lock_roles=_flag(env, "SHARETRUST_LOCK_ROLES", True),
            deadline_seconds=deadline,
            prune=_flag(env, "SHARETRUST_PRUNE", False),
            trust_max_chars=int(raw_limit),
            sharees=ShareeFilter(allow, deny),
            audit_logstore=(project, logstore) if audit else None,
            member_role=member_role,
            member_fan_out=_flag(env, "SHARETRUST_MEMBER_FAN_OUT", True),
            cover_with_directory=cover,  # type: ignore[arg-type]
        )
