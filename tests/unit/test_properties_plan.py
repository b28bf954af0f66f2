"""Hostile input, property-based: the trust-policy merge and the role plan.

Trust documents are built from labelled statements: the managed shapes sharetrust writes (account,
directory and folder statements, in the spellings RAM accepts) and foreign ones, including near
misses (a non-UID or padded principal, a bare `*@ecs.aliyuncs.com`, a wrong condition operator).
The labels are the oracle; the library's own parser is never used to decide what is foreign.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import pytest
from hypothesis import event as note_kind
from hypothesis import example, given
from hypothesis import strategies as st

from sharetrust.model import POLICY_FOR_KIND, SERVICE_KEY_POLICY, EncryptedResource, KeyRef, ResourceKind, ShareTarget
from sharetrust.plan.desired import DesiredRole, desired_role
from sharetrust.plan.permission_policy import byte_size, render_key_policy
from sharetrust.plan.role_plan import PlanSettings, PolicyRef, RolePlan, RoleSnapshot, plan_role_changes
from sharetrust.plan.trust_policy import NOBODY, TrustPolicy, TrustPolicyError, folder_pattern
from tests.unit.property_budget import ALNUM, long_variant

OWNER = "1111111111111111"
ECS = "ecs.aliyuncs.com"
ANY_ECS = f"*@{ECS}"
RD_ID_KEY = "sts:ServiceOwnerRDId"
RD_PATH_KEY = "sts:ServiceOwnerRDPath"
# The rules the output must keep, written here independently of the library.
UID_PRINCIPAL = re.compile(r"[0-9]{1,20}@ecs\.aliyuncs\.com")
DIRECTORY_ID = re.compile(r"rd-[A-Za-z0-9]+")
RD_PATH_PATTERN = re.compile(r"rd-[A-Za-z0-9]+/[^*]+\*")


# -- values (integers and sampled characters, not `from_regex`: see test_properties_events) ------

OTHER_DIGITS = ["٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "०१२३४५६७८९"]
PADDING = [" ", "\t", "\n", "\u00a0", "\u200b"]


def _uid(number_and_width: tuple[int, int]) -> str:
    number, width = number_and_width
    return str(number).zfill(width)[-width:]


def _base62(number: int) -> str:
    """An id body: 1–8 ASCII letters and digits from one integer (one draw, cheap to generate)."""
    chars = ALNUM[number % 62]
    number //= 62
    while number:
        chars += ALNUM[number % 62]
        number //= 62
    return chars


def _prefixed(prefix: str) -> Callable[[str], str]:
    def build(body: str) -> str:
        return prefix + body

    return build


IDCHARS = st.integers(0, 62**8 - 1).map(_base62)
UIDS = st.one_of(
    st.integers(10**15, 10**16 - 1).map(str),
    st.tuples(st.integers(0, 10**20 - 1), st.integers(1, 20)).map(_uid),
)
RD_IDS = IDCHARS.map(_prefixed("rd-"))
FOLDER_IDS = IDCHARS.map(_prefixed("fd-"))


@st.composite
def rd_paths(draw: st.DrawFn) -> str:
    """`<rd-id>/<root-folder-id>/.../<folder-id>`, as GetFolder returns it."""
    folders = draw(st.lists(FOLDER_IDS, min_size=1, max_size=3))
    return "/".join([draw(RD_IDS), draw(IDCHARS.map(_prefixed("r-"))), *folders])


FOLDER_PATTERNS = rd_paths().map(folder_pattern)


@st.composite
def non_uids(draw: st.DrawFn) -> str:
    """Text that looks like an account UID and is not one."""
    uid = draw(UIDS)
    kind = draw(st.sampled_from(["digits", "pad-left", "pad-right", "too-long", "odd"]))
    if kind == "digits":
        return uid.translate(str.maketrans("0123456789", draw(st.sampled_from(OTHER_DIGITS))))
    if kind == "pad-left":
        return draw(st.sampled_from(PADDING)) + uid
    if kind == "pad-right":
        return uid + draw(st.sampled_from(PADDING))
    if kind == "too-long":
        return uid.zfill(21)
    return draw(st.sampled_from(["", "*", "12a", "-1", "+1", "1e3", "١٢٣", "0x1", "²"]))


# -- trust documents --------------------------------------------------------------------------

Label = Literal["accounts", "directory", "folder", "foreign", "nobody"]


@dataclass(frozen=True)
class Labelled:
    label: Label
    statement: dict[str, Any]
    names: tuple[str, ...] = ()  # the UIDs, rd-id or pattern a managed statement grants


def _assume(action_spelling: int) -> Any:
    return ["sts:AssumeRole", "sts:AssumeRole", ["sts:AssumeRole"], "STS:AssumeRole"][action_spelling]


@st.composite
def managed_statements(draw: st.DrawFn) -> Labelled:
    action = _assume(draw(st.integers(0, 3)))
    kind = draw(st.sampled_from(["accounts", "accounts", "directory", "folder"]))
    if kind == "accounts":
        uids = draw(st.lists(UIDS, min_size=1, max_size=4))
        services: Any = [f"{u}@{ECS}" for u in uids]
        if len(services) == 1 and draw(st.booleans()):
            services = services[0]
        statement = {"Action": action, "Effect": "Allow", "Principal": {"Service": services}}
        return Labelled("accounts", statement, tuple(uids))
    if kind == "directory":
        rd = draw(RD_IDS)
        condition = {"StringEquals": {RD_ID_KEY: rd}}
        service: Any = ANY_ECS if draw(st.booleans()) else [ANY_ECS]
        statement = {"Action": action, "Effect": "Allow", "Principal": {"Service": service}, "Condition": condition}
        return Labelled("directory", statement, (rd,))
    pattern = draw(FOLDER_PATTERNS)
    statement = {
        "Action": action,
        "Effect": "Allow",
        "Principal": {"Service": ANY_ECS},
        "Condition": {"StringLike": {RD_PATH_KEY: pattern}},
    }
    return Labelled("folder", statement, (pattern,))


JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)


FOREIGN_SHAPES = 14


@st.composite
def foreign_statements(draw: st.DrawFn) -> Labelled:
    """Statements that are not sharetrust's: someone else's, or near misses of the managed shapes."""
    shape = draw(st.integers(0, FOREIGN_SHAPES - 1))
    uid = draw(UIDS)
    mine = f"{uid}@{ECS}"
    assume: dict[str, Any] = {"Action": "sts:AssumeRole", "Effect": "Allow"}
    statement: dict[str, Any]
    if shape == 0:
        statement = {**assume, "Principal": {"RAM": [f"acs:ram::{uid}:root"]}}
    elif shape == 1:
        statement = {"Action": "sts:AssumeRole", "Effect": "Deny", "Principal": {"Service": [mine]}}
    elif shape == 2:
        statement = {**assume, "Principal": {"Service": [mine]}, "Condition": {"Bool": {"acs:MFAPresent": "true"}}}
    elif shape == 3:
        statement = {**assume, "Principal": {"Service": [mine], "RAM": ["acs:ram::9:root"]}}
    elif shape == 4:
        statement = {**assume, "Principal": {"Service": [mine, f"{draw(non_uids())}@{ECS}"]}}
    elif shape == 5:
        statement = {**assume, "Principal": {"Service": [f"{draw(non_uids())}@{ECS}"]}}
    elif shape == 6:
        statement = {**assume, "Principal": {"Service": [f"{uid}@ECS.aliyuncs.com", f"{mine}\n", ECS]}}
    elif shape == 7:
        statement = {**assume, "Principal": {"Service": ANY_ECS}}  # someone else's bare wildcard
    elif shape == 8:
        statement = {**assume, "Principal": {"Service": ANY_ECS}, "Condition": {"StringLike": {RD_ID_KEY: "rd-1"}}}
    elif shape == 9:
        statement = {**assume, "Principal": {"Service": ANY_ECS}, "Condition": {"StringEquals": {RD_ID_KEY: ["rd-1"]}}}
    elif shape == 10:
        condition = {"StringEquals": {RD_ID_KEY: "rd-1", "acs:SourceIp": "192.0.2.1"}}
        statement = {**assume, "Principal": {"Service": ANY_ECS}, "Condition": condition}
    elif shape == 11:
        statement = {**assume, "Principal": {"Service": [mine]}, "Sid": draw(st.text(max_size=8))}
    elif shape == 12:
        statement = {
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Effect": "Allow",
            "Principal": {"Service": [mine]},
        }
    else:
        statement = {"Sid": "junk", **draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4))}
    return Labelled("foreign", statement)


@dataclass(frozen=True)
class Document:
    statements: tuple[Labelled, ...]
    text: str

    @property
    def foreign(self) -> list[dict[str, Any]]:
        return [s.statement for s in self.statements if s.label == "foreign"]

    def granted(self, label: Label) -> set[str]:
        return {name for s in self.statements if s.label == label for name in s.names}


def _render(statements: list[dict[str, Any]], layout: int) -> str:
    document = {"Version": "1", "Statement": statements}
    return json.dumps(document, indent=[None, 2, 4][layout], separators=None if layout else (",", ":"))


@st.composite
def documents(draw: st.DrawFn) -> Document:
    labelled = draw(
        st.lists(
            st.one_of(managed_statements(), foreign_statements(), st.just(Labelled("nobody", dict(NOBODY)))),
            max_size=7,
        )
    )
    return Document(tuple(labelled), _render([s.statement for s in labelled], draw(st.integers(0, 2))))


def shuffled(document: Document, rnd: random.Random) -> Document:
    """The same document with its statements and every principal list in another order."""
    statements = list(document.statements)
    rnd.shuffle(statements)
    out: list[Labelled] = []
    for labelled in statements:
        statement = json.loads(json.dumps(labelled.statement))
        principal = statement.get("Principal")
        if isinstance(principal, dict):
            for values in principal.values():
                if isinstance(values, list):
                    rnd.shuffle(values)
        out.append(replace(labelled, statement=statement))
    return Document(tuple(out), _render([s.statement for s in out], rnd.randrange(3)))


# -- what a rendered trust document may hold ----------------------------------------------------


def _canonical(statement: Any) -> str:
    """A statement up to key order and principal-list order, which RAM does not care about."""
    if isinstance(statement, dict) and isinstance(statement.get("Principal"), dict):
        principal = {
            k: sorted(v, key=json.dumps) if isinstance(v, list) else v for k, v in statement["Principal"].items()
        }
        statement = {**statement, "Principal": principal}
    return json.dumps(statement, sort_keys=True)


def meaning(text: str) -> Counter[str]:
    return Counter(_canonical(s) for s in json.loads(text)["Statement"])


def expected_managed(accounts: set[str], directories: set[str], patterns: set[str]) -> Counter[str]:
    statements: list[dict[str, Any]] = []
    if accounts:
        services = [f"{a}@{ECS}" for a in accounts]
        statements.append({"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": services}})
    for rd in directories:
        statements.append(
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": ANY_ECS},
                "Condition": {"StringEquals": {RD_ID_KEY: rd}},
            }
        )
    for pattern in patterns:
        statements.append(
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": ANY_ECS},
                "Condition": {"StringLike": {RD_PATH_KEY: pattern}},
            }
        )
    return Counter(_canonical(s) for s in statements)


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    values = principal.values() if isinstance(principal, dict) else [principal]
    return [str(p) for v in values for p in (v if isinstance(v, list) else [v])]


def _rd_condition(statement: dict[str, Any]) -> tuple[str, str] | None:
    """(key, value) of a lone `StringEquals sts:ServiceOwnerRDId` or `StringLike sts:ServiceOwnerRDPath`."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    ((operator, clauses),) = condition.items()
    if not isinstance(clauses, dict) or len(clauses) != 1:
        return None
    ((key, value),) = clauses.items()
    if (operator, key) in {("StringEquals", RD_ID_KEY), ("StringLike", RD_PATH_KEY)} and isinstance(value, str):
        return key, value
    return None


def check_rendered(
    text: str, foreign: list[dict[str, Any]], accounts: set[str], directories: set[str], patterns: set[str]
) -> None:
    """The rendered document keeps `foreign` verbatim and in order, and otherwise holds exactly the
    managed statements for these sharees: UID principals only, `*` only under an RD condition."""
    assert json.loads(text)["Version"] == "1"
    statements = json.loads(text)["Statement"]
    assert statements, "a trust document may not be empty"
    verbatim = {json.dumps(s) for s in foreign}
    kept = [s for s in statements if json.dumps(s) in verbatim]
    assert [json.dumps(s) for s in kept] == [json.dumps(s) for s in foreign], "foreign statements not kept verbatim"
    ours = [s for s in statements if json.dumps(s) not in verbatim]
    if not (foreign or accounts or directories or patterns):
        assert ours == [NOBODY]
        return
    assert Counter(_canonical(s) for s in ours) == expected_managed(accounts, directories, patterns)
    for statement in ours:
        principals = _principals(statement)
        if statement.get("Effect") == "Allow" and any("*" in p for p in principals):
            condition = _rd_condition(statement)
            assert condition is not None, f"wildcard principal outside an RD statement: {statement}"
            key, value = condition
            # The condition names one directory: an rd- id, or a path below one (never a bare `*`).
            assert (DIRECTORY_ID if key == RD_ID_KEY else RD_PATH_PATTERN).fullmatch(value), value
        elif "Condition" not in statement:
            for principal in principals:
                assert UID_PRINCIPAL.fullmatch(principal), f"not a <uid>@{ECS} principal: {principal!r}"


# -- the merge ------------------------------------------------------------------------------------

SHAREES = st.tuples(st.lists(UIDS, max_size=5), st.lists(RD_IDS, max_size=2), st.lists(FOLDER_PATTERNS, max_size=2))
Sharees = tuple[list[str], list[str], list[str]]


def merge_is_a_fixed_point(document: Document, sharees: Sharees) -> None:
    accounts, directories, patterns = sharees
    merged = TrustPolicy.parse(document.text).with_managed(accounts, directories, patterns)
    text = merged.render()
    check_rendered(text, document.foreign, set(accounts), set(directories), set(patterns))
    again = TrustPolicy.parse(text)
    assert again.same_meaning(merged)
    assert again.with_managed(accounts, directories, patterns).render() == text
    note_kind(f"{len(document.foreign)} foreign statements")


test_merge_keeps_foreign_statements_and_is_a_fixed_point = given(documents(), SHAREES)(merge_is_a_fixed_point)
test_merge_keeps_foreign_statements_and_is_a_fixed_point_long = long_variant(
    given(documents(), SHAREES)(merge_is_a_fixed_point)
)


def merge_is_order_independent(document: Document, sharees: Sharees, rnd: random.Random) -> None:
    accounts, directories, patterns = sharees
    other = shuffled(document, rnd)
    accounts2, directories2, patterns2 = (rnd.sample(x, len(x)) * rnd.randint(1, 2) for x in sharees)
    first = TrustPolicy.parse(document.text).with_managed(accounts, directories, patterns)
    second = TrustPolicy.parse(other.text).with_managed(accounts2, directories2, patterns2)
    assert meaning(first.render()) == meaning(second.render())


test_merge_is_order_independent = given(documents(), SHAREES, st.randoms(use_true_random=False))(
    merge_is_order_independent
)
test_merge_is_order_independent_long = long_variant(
    given(documents(), SHAREES, st.randoms(use_true_random=False))(merge_is_order_independent)
)


@given(document=documents(), good=st.lists(UIDS, max_size=3), bad=st.lists(non_uids(), min_size=1, max_size=3))
def test_merge_never_writes_a_principal_that_is_not_a_uid(document: Document, good: list[str], bad: list[str]) -> None:
    """Non-UIDs among the accounts (a caller that skipped ShareTarget.parse) are refused, never rendered."""
    accounts = [*good, *bad]
    try:
        merged = TrustPolicy.parse(document.text).with_managed(accounts, [], [])
    except ValueError:
        return
    check_rendered(merged.render(), document.foreign, set(accounts), set(), set())


# -- the role plan --------------------------------------------------------------------------------

KINDS: list[ResourceKind] = ["image", "snapshot"]
REGIONS = st.sampled_from(["cn-hangzhou", "cn-shanghai", "eu-central-1"])
KEYS = st.builds(
    KeyRef,
    key_id=IDCHARS.map(_prefixed("key-")),
    region=REGIONS,
    account_uid=st.one_of(st.just(OWNER), st.just(OWNER), UIDS),
    is_service_key=st.booleans(),
)
TARGETS = st.one_of(
    UIDS.map(ShareTarget.account),
    UIDS.map(ShareTarget.account),
    st.just(ShareTarget.account(OWNER)),
    RD_IDS.map(ShareTarget.directory),
    st.builds(ShareTarget.folder, FOLDER_IDS, rd_paths()),
)


@st.composite
def resources(draw: st.DrawFn) -> EncryptedResource:
    kind = draw(st.sampled_from(KINDS))
    prefix = "m-" if kind == "image" else "s-"
    return EncryptedResource(
        kind,
        draw(IDCHARS.map(_prefixed(prefix))),
        draw(REGIONS),
        OWNER,
        tuple(draw(st.lists(KEYS, max_size=2))),
        tuple(draw(st.lists(TARGETS, max_size=4))),
    )


@dataclass(frozen=True)
class Case:
    kind: ResourceKind
    resources: tuple[EncryptedResource, ...]
    document: Document | None  # None: the role does not exist
    attached: frozenset[PolicyRef]
    policy_document: str | None
    settings: PlanSettings
    prune: bool

    def snapshot(self, document: Document | None = None) -> RoleSnapshot:
        trust = document or self.document
        return RoleSnapshot(
            name="role",
            exists=trust is not None,
            trust_document=trust.text if trust else None,
            attached=self.attached,
            policy_exists=self.policy_document is not None,
            policy_document=self.policy_document,
        )

    def desired(self, order: list[EncryptedResource] | None = None) -> DesiredRole:
        return desired_role(self.kind, OWNER, order if order is not None else self.resources)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(KINDS))
    refs: list[PolicyRef] = [("Custom", POLICY_FOR_KIND[kind]), ("System", SERVICE_KEY_POLICY), ("Custom", "other")]
    attached = draw(st.sets(st.sampled_from(refs)))
    policy = draw(
        st.one_of(
            st.none(),
            st.lists(KEYS, max_size=4).map(render_key_policy),
            st.just('{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}'),
        )
    )
    settings_ = PlanSettings(
        service_key_policy=draw(st.sampled_from(["attach", "warn"])),
        trust_max_chars=draw(st.sampled_from([400, 1200, 4096])),
        policy_max_bytes=draw(st.sampled_from([500, 1500, 6144])),
    )
    return Case(
        kind,
        tuple(draw(st.lists(resources(), max_size=6))),
        draw(st.one_of(st.none(), documents())),
        frozenset(attached),
        policy,
        settings_,
        draw(st.booleans()),
    )


def applied(case: Case, plan: RolePlan) -> RoleSnapshot:
    """The role after the plan's writes, as RAM would then return it."""
    before = case.snapshot()
    trust = plan.trust_document or before.trust_document
    return RoleSnapshot(
        name=before.name,
        exists=before.exists or plan.create_role_with is not None,
        trust_document=trust,
        attached=(before.attached | frozenset(plan.attach)) - frozenset(plan.detach),
        policy_exists=before.policy_exists or plan.create_policy_with is not None,
        policy_document=plan.policy_document or before.policy_document,
    )


def reordered(text: str) -> str:
    """The document with its statements and every principal list reversed, as another read may return it."""
    document = json.loads(text)
    for statement in document["Statement"]:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        for values in principal.values() if isinstance(principal, dict) else []:
            if isinstance(values, list):
                values.reverse()
    document["Statement"].reverse()
    return json.dumps(document)


def plan_is_idempotent_and_within_limits(case: Case) -> None:
    desired = case.desired()
    plan = plan_role_changes(case.snapshot(), desired, case.settings, prune=case.prune)
    if plan.errors:
        note_kind("refused with an error")
        assert not plan.changes, "a plan with an error writes nothing"
        return
    note_kind("writes" if plan.changes else "no change")
    if plan.trust_document is not None:
        assert len(plan.trust_document) <= case.settings.trust_max_chars
        existing = case.document.granted("accounts") if case.document and not case.prune else set()
        directories = case.document.granted("directory") if case.document and not case.prune else set()
        patterns = case.document.granted("folder") if case.document and not case.prune else set()
        # Over the limit, what did not fit is named in `left_out` (issue #9's capacity rule), nothing else.
        gone = set(plan.left_out)
        check_rendered(
            plan.trust_document,
            case.document.foreign if case.document else [],
            {a for a in set(desired.accounts) | existing if f"account:{a}" not in gone},
            {d for d in set(desired.directories) | directories if f"directory:{d}" not in gone},
            {f for f in set(desired.folder_patterns) | patterns if f"folder:{f}" not in gone},
        )
    if plan.policy_document is not None:
        assert byte_size(plan.policy_document) <= case.settings.policy_max_bytes
    after = applied(case, plan)
    again = plan_role_changes(after, desired, case.settings, prune=case.prune)
    assert again.errors == ()
    assert not again.changes, again
    assert (again.added_principals, again.removed_principals) == ((), ())
    assert (again.added_keys, again.removed_keys) == ((), ())
    if after.trust_document is not None:  # a later read may list statements and principals in another order
        reread = replace(after, trust_document=reordered(after.trust_document))
        assert not plan_role_changes(reread, desired, case.settings, prune=case.prune).changes


test_plan_is_idempotent_and_within_limits = given(cases())(plan_is_idempotent_and_within_limits)
test_plan_is_idempotent_and_within_limits_long = long_variant(given(cases())(plan_is_idempotent_and_within_limits))


def _comparable(plan: RolePlan) -> RolePlan:
    """The plan without the trust text and the attach/detach order, which are compared on their own."""
    return replace(plan, create_role_with=None, new_trust=None, attach=(), detach=())


def plan_is_order_independent(case: Case, rnd: random.Random) -> None:
    order = [replace(r, sharees=tuple(rnd.sample(r.sharees, len(r.sharees)))) for r in case.resources]
    rnd.shuffle(order)
    other = shuffled(case.document, rnd) if case.document else None
    first = plan_role_changes(case.snapshot(), case.desired(), case.settings, prune=case.prune)
    second = plan_role_changes(case.snapshot(other), case.desired(order), case.settings, prune=case.prune)
    assert _comparable(first) == _comparable(second)
    assert set(first.attach) == set(second.attach)
    assert set(first.detach) == set(second.detach)
    assert (first.create_role_with is None) == (second.create_role_with is None)
    assert (first.new_trust is None) == (second.new_trust is None)
    if first.trust_document is not None and second.trust_document is not None:
        assert meaning(first.trust_document) == meaning(second.trust_document)


test_plan_is_order_independent = given(cases(), st.randoms(use_true_random=False))(plan_is_order_independent)
test_plan_is_order_independent_long = long_variant(
    given(cases(), st.randoms(use_true_random=False))(plan_is_order_independent)
)


UNREADABLE = st.one_of(
    st.text(min_size=1, max_size=40),  # "" is test_a_role_whose_trust_document_was_not_read_is_not_rewritten
    JSON_VALUES.map(json.dumps),
    st.builds(lambda s: json.dumps({"Version": "1", "Statement": s}), JSON_VALUES),
    st.builds(lambda s: json.dumps({"Statement": [s]}), JSON_LEAVES),
)


@given(text=UNREADABLE, shared=st.lists(resources(), max_size=3), prune=st.booleans())
def test_an_unreadable_trust_document_is_reported_not_rewritten(
    text: str, shared: list[EncryptedResource], prune: bool
) -> None:
    current = RoleSnapshot(name="role", exists=True, trust_document=text)
    desired = desired_role("image", OWNER, shared)
    try:
        TrustPolicy.parse(text)
    except TrustPolicyError:
        plan = plan_role_changes(current, desired, PlanSettings(), prune=prune)
        assert plan.errors
        assert not plan.changes
        note_kind("unreadable")
        return
    plan_role_changes(current, desired, PlanSettings(), prune=prune)


# -- failures these properties found in the planner (fixed) --------------------------------------


def one_shared_image() -> DesiredRole:
    key = KeyRef("key-1", "cn-hangzhou", OWNER, False)
    image = EncryptedResource("image", "m-1", "cn-hangzhou", OWNER, (key,), (ShareTarget.account("2222222222222222"),))
    return desired_role("image", OWNER, [image])


def unreadable_json(shape: str, size: int) -> str:
    """JSON that json.loads cannot read although it is well formed: too deep, or a number too long."""
    if shape == "deep":
        return '{"Version":"1","Statement":[{"Condition":' + "[" * size + "]" * size + "}]}"
    return '{"Version":"1","Statement":[],"Id":' + "1" * size + "}"


@example(shape="deep", size=100_000, where="trust")
@example(shape="long-number", size=5000, where="trust")
@example(shape="deep", size=100_000, where="policy")
@given(
    shape=st.sampled_from(["deep", "long-number"]),
    size=st.integers(4301, 20000),
    where=st.sampled_from(["trust", "policy"]),
)
def test_a_document_json_cannot_read_is_reported_not_raised(shape: str, size: int, where: str) -> None:
    text = unreadable_json(shape, size)
    ours: PolicyRef = ("Custom", POLICY_FOR_KIND["image"])
    current = RoleSnapshot(
        name="role",
        exists=True,
        trust_document=text if where == "trust" else _render([], 0),
        attached=frozenset([ours]),
        policy_exists=True,
        policy_document=text if where == "policy" else None,
    )
    desired = one_shared_image()
    plan = plan_role_changes(current, desired, PlanSettings(), prune=False)
    assert plan.errors
    assert not plan.changes


@pytest.mark.parametrize("missing", ["", None])
def test_a_role_whose_trust_document_was_not_read_is_not_rewritten(missing: str | None) -> None:
    current = RoleSnapshot(name="role", exists=True, trust_document=missing)
    desired = one_shared_image()
    plan = plan_role_changes(current, desired, PlanSettings())
    assert plan.new_trust is None
    assert plan.errors
