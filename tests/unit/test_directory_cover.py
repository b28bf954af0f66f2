"""SHARETRUST_COVER_WITH_DIRECTORY, planned with plain values: which statements cover the member sharees that
do not fit, and what the role's trust becomes."""

from __future__ import annotations

from dataclasses import replace

from sharetrust.model import ShareTarget
from sharetrust.plan.capacity import DirectoryCover, covering
from sharetrust.plan.desired import desired_role
from sharetrust.plan.role_plan import PlanSettings, RoleSnapshot, plan_role_changes
from sharetrust.plan.trust_policy import TrustPolicy
from tests.unit.test_plan import CMK, OWNER, image

RD = "rd-1"
PROD = f"{RD}/r-1/fd-prod"
TEAM = f"{PROD}/fd-team"
OPS = f"{RD}/r-1/fd-ops"
TEAM_UIDS = [f"1{n:015d}" for n in range(200)]
OPS_UIDS = [f"2{n:015d}" for n in range(100)]
OUTSIDE_UIDS = [f"3{n:015d}" for n in range(5)]


def cover(mode: str) -> DirectoryCover:
    folder_of = {**dict.fromkeys(TEAM_UIDS, TEAM), **dict.fromkeys(OPS_UIDS, OPS), "4000000000000001": PROD}
    return DirectoryCover(mode, RD, folder_of)  # type: ignore[arg-type]


def test_the_directory_covers_every_member() -> None:
    found = covering([TEAM_UIDS[0], OUTSIDE_UIDS[0]], cover("directory"))
    assert found.directories == {RD} and not found.folder_patterns
    assert found.covered == set(TEAM_UIDS) | set(OPS_UIDS) | {"4000000000000001"}


def test_folders_are_the_ones_the_left_out_members_are_in_without_nesting() -> None:
    found = covering([TEAM_UIDS[0], OPS_UIDS[0]], cover("folder"))
    assert found.folder_patterns == {f"{TEAM}*", f"{OPS}*"} and not found.directories
    assert found.covered == set(TEAM_UIDS) | set(OPS_UIDS)  # not the account directly in fd-prod
    nested = covering([TEAM_UIDS[0], "4000000000000001"], cover("folder"))
    assert nested.folder_patterns == {f"{PROD}*"}  # fd-team is below fd-prod: one statement
    assert nested.covered == set(TEAM_UIDS) | {"4000000000000001"}


def test_no_member_left_out_covers_nothing() -> None:
    found = covering(OUTSIDE_UIDS, cover("directory"))
    assert not found.directories and not found.folder_patterns and not found.covered


def plan_for(mode: str | None) -> tuple[TrustPolicy, tuple[str, ...], tuple[str, ...]]:
    sharees = [ShareTarget.account(uid) for uid in TEAM_UIDS + OPS_UIDS + OUTSIDE_UIDS]
    desired = desired_role("image", OWNER, [image("m-1", (CMK,), *sharees)])
    if mode is not None:
        desired = replace(desired, cover=cover(mode))
    plan = plan_role_changes(RoleSnapshot("r", False), desired, PlanSettings())
    assert plan.errors == () and plan.create_role_with is not None and len(plan.create_role_with) <= 4096
    return TrustPolicy.parse(plan.create_role_with), plan.left_out, plan.warnings


def test_a_directory_statement_replaces_the_members_that_did_not_fit() -> None:
    trust, left_out, warnings = plan_for("directory")
    assert trust.directories == {RD} and trust.accounts == set(OUTSIDE_UIDS) and left_out == ()
    assert any("covered by directory:rd-1" in w and "trusts every account in it" in w for w in warnings)


def test_folder_statements_replace_the_members_that_did_not_fit() -> None:
    trust, left_out, _ = plan_for("folder")
    assert trust.folder_patterns == {f"{TEAM}*", f"{OPS}*"} and not trust.directories and left_out == ()
    assert trust.accounts == set(OUTSIDE_UIDS)  # the members need no principal of their own


def test_without_the_setting_the_plan_is_unchanged() -> None:
    trust, left_out, warnings = plan_for(None)
    assert not trust.directories and not trust.folder_patterns and left_out
    assert not any("covered by" in w for w in warnings)


def test_the_cover_is_not_used_when_everyone_fits() -> None:
    few = [ShareTarget.account(uid) for uid in TEAM_UIDS[:3]]
    desired = replace(desired_role("image", OWNER, [image("m-1", (CMK,), *few)]), cover=cover("directory"))
    plan = plan_role_changes(RoleSnapshot("r", False), desired, PlanSettings())
    assert plan.create_role_with is not None
    assert TrustPolicy.parse(plan.create_role_with).accounts == set(TEAM_UIDS[:3])
