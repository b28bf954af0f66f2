"""s.yaml, checked without a cloud: every key is one the FC 3.0 API (the alibabacloud_fc20230330 models)
or the fc3 component knows, handlers exist, every setting the code reads is deployed and documented,
and the EventBridge rules let through exactly the events sharetrust acts on."""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from alibabacloud_fc20230330 import models as fc

from localcloud.eventbridge import matches, validate_pattern
from sharetrust.events import ACTED_ON_STATUSES, EVENT_KINDS, ShareSignal, decode
from sharetrust.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
PACKAGE = "./build/package"  # what `make package` builds (contract: build/package/)


def package_folder() -> Path:
    """Where deploy/build_package.py (`make package`) writes the package."""
    name = "deploy.build_package"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "deploy" / "build_package.py")
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)  # its dataclasses look their module up there
        spec.loader.exec_module(sys.modules[name])
    folder: Path = sys.modules[name].DEFAULT_OUT
    return folder


# fc3 props that are not fields of CreateFunctionInput (devsapp/fc3 src/interface/index.ts `IProps`
# and function.ts): `code` is a local path there, not the API's InputCodeLocation; the others are
# separate API calls (PutAsyncInvokeConfig, PutConcurrencyConfig, ...), each with its own model.
COMPONENT_PROPS: Mapping[str, type[Any] | None] = {
    "region": None,
    "code": None,
    "triggers": None,
    "asyncInvokeConfig": fc.PutAsyncInvokeConfigInput,
    "concurrencyConfig": fc.PutConcurrencyInput,
    "provisionConfig": fc.PutProvisionConfigInput,
    "vpcBinding": fc.CreateVpcBindingInput,
    "endpoint": None,
    "supplement": None,
    "annotations": None,
}
# fc3's asyncInvokeConfig also takes the qualifier it applies to (IAsyncInvokeConfig).
COMPONENT_EXTRA_KEYS: Mapping[str, frozenset[str]] = {"asyncInvokeConfig": frozenset({"qualifier"})}
TRIGGER_CONFIGS: Mapping[str, type[Any]] = {
    "eventbridge": fc.EventBridgeTriggerConfig,
    "log": fc.SLSTriggerConfig,
    "timer": fc.TimerTriggerConfig,
}
TOP_LEVEL = {"edition", "name", "access", "vars", "resources"}

# Settings the code reads that must NOT be deployed, and why.
NOT_DEPLOYED = {
    "SHARETRUST_ENDPOINT": "the local cloud switch: set, it sends every call to a loopback emulator",
    "SHARETRUST_DEBUG": "the CLI's traceback switch; the functions never print tracebacks",
}
FC_ENVIRONMENT_LIMIT = 4096  # bytes, all variables together (FC "Configure environment variables")

_VAR = re.compile(r"\$\{vars\.([A-Za-z0-9_]+)\}")
_SETTING = re.compile(r"SHARETRUST_[A-Z][A-Z0-9_]*")


def raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "s.yaml").read_text(encoding="utf-8"))
    return loaded


def resolve(node: Any, variables: Mapping[str, Any], where: str, missing: list[str]) -> Any:
    """`${vars.x}` replaced: a whole-string reference by the value itself, an embedded one as text."""
    if isinstance(node, Mapping):
        return {k: resolve(v, variables, f"{where}.{k}", missing) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, variables, f"{where}[{i}]", missing) for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node
    names = _VAR.findall(node)
    missing += [f"{where}: vars.{n}" for n in names if n not in variables]
    whole = _VAR.fullmatch(node)
    if whole and whole.group(1) in variables:
        return resolve(copy.deepcopy(variables[whole.group(1)]), variables, where, missing)
    return _VAR.sub(lambda m: str(variables.get(m.group(1), m.group(0))), node)


def resources() -> dict[str, dict[str, Any]]:
    document = raw()
    missing: list[str] = []
    resolved = resolve(document["resources"], document.get("vars") or {}, "resources", missing)
    assert not missing, missing
    return {name: resource["props"] for name, resource in resolved.items()}


def unknown_keys(model: type[Any], data: Any, where: str) -> list[str]:
    """Paths in `data` that `model` drops on a from_map/to_map round trip: keys the API does not know."""
    if not isinstance(data, Mapping):
        return [f"{where} must be an object, got {type(data).__name__}"]
    kept = model().from_map(copy.deepcopy(dict(data))).to_map()
    return _dropped(data, kept, where)


def _dropped(given: Any, kept: Any, where: str) -> list[str]:
    if isinstance(given, Mapping) and isinstance(kept, Mapping):
        found = [f"{where}.{k}" for k in given if k not in kept]
        return found + [p for k in given if k in kept for p in _dropped(given[k], kept[k], f"{where}.{k}")]
    if isinstance(given, list) and isinstance(kept, list):
        return [p for i, (g, k) in enumerate(zip(given, kept, strict=True)) for p in _dropped(g, k, f"{where}[{i}]")]
    return []


def problems_of(props: Mapping[str, Any], where: str) -> list[str]:
    """Every key of one fc3 function resource that neither the FC 3.0 models nor fc3 know."""
    found: list[str] = []
    function = {k: v for k, v in props.items() if k not in COMPONENT_PROPS}
    found += unknown_keys(fc.CreateFunctionInput, function, where)
    for key, model in COMPONENT_PROPS.items():
        if key not in props or model is None:
            continue
        value = {k: v for k, v in props[key].items() if k not in COMPONENT_EXTRA_KEYS.get(key, ())}
        found += unknown_keys(model, value, f"{where}.{key}")
    for position, trigger in enumerate(props.get("triggers") or []):
        at = f"{where}.triggers[{position}]"
        found += unknown_keys(fc.CreateTriggerInput, {k: v for k, v in trigger.items() if k != "triggerConfig"}, at)
        config_model = TRIGGER_CONFIGS.get(trigger.get("triggerType"))
        if config_model is None:
            found.append(
                f"{at}.triggerType {trigger.get('triggerType')!r} has no model here; add it to TRIGGER_CONFIGS"
            )
        else:
            found += unknown_keys(config_model, trigger.get("triggerConfig"), f"{at}.triggerConfig")
    return found


# --- (a) every key is a field of the FC 3.0 models or an fc3 prop ---------------------------------


def test_every_key_is_known_to_the_fc3_models() -> None:
    document = raw()
    assert set(document) <= TOP_LEVEL, set(document) - TOP_LEVEL
    assert {r["component"] for r in document["resources"].values()} == {"fc3"}
    found = [p for name, props in resources().items() for p in problems_of(props, f"resources.{name}.props")]
    assert not found, found


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("memorySize",), 256),  # a known key: the mutation below must be what fails
        (("logConfig", "enableMetrics"), True),
        (("asyncInvokeConfig", "maxRetryAttempts"), 2),
        (("concurrencyConfig", "reserved"), 1),
        (("triggers", 0, "triggerConfig", "asyncInvocation"), False),
        (("triggers", 0, "triggerConfig", "eventSourceConfig", "type"), "Default"),
        (("triggers", 0, "trigger_name"), "x"),
        (("handlers",), "x"),
    ],
)
def test_an_unknown_key_fails_naming_its_path(path: tuple[str | int, ...], value: Any) -> None:
    props = copy.deepcopy(resources()["on-share-event"])
    node: Any = props
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    found = problems_of(props, "p")
    dotted = "p" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path)
    assert found == ([] if path == ("memorySize",) else [dotted])


def test_an_unknown_trigger_type_fails() -> None:
    props = copy.deepcopy(resources()["reconcile"])
    props["triggers"][0]["triggerType"] = "mns_topic"
    assert problems_of(props, "p") == [
        "p.triggers[0].triggerType 'mns_topic' has no model here; add it to TRIGGER_CONFIGS"
    ]


def test_functions_log_and_retry_bounded_and_eventbridge_is_asynchronous() -> None:
    for name, props in resources().items():
        assert props["runtime"] == "python3.12", name
        log = props["logConfig"]
        assert {"project", "logstore", "enableRequestMetrics", "enableInstanceMetrics", "logBeginRule"} <= set(log)
        retries = props["asyncInvokeConfig"]
        assert 0 <= retries["maxAsyncRetryAttempts"] <= 8 and 1 <= retries["maxAsyncEventAgeInSeconds"] <= 2592000
        assert "PYTHONPATH" not in props["environmentVariables"], name  # dependencies sit at the package root
    on_share_event = resources()["on-share-event"]
    for trigger in on_share_event["triggers"]:
        # false is ASYNCHRONOUS (production-facts.md, the SDK model's doc), so the retry policy applies.
        assert trigger["triggerConfig"]["asyncInvocationType"] is False
    assert resources()["reconcile"]["concurrencyConfig"]["reservedConcurrency"] == 1


def test_the_log_trigger_reads_the_trail_and_logs_to_its_own_logstore() -> None:
    document = raw()
    variables = document["vars"]
    (trigger,) = resources()["on-trail-logs"]["triggers"]
    config = trigger["triggerConfig"]
    assert trigger["triggerType"] == "log"
    assert trigger["sourceArn"].endswith(f":project/{variables['trailProject']}")
    assert config["sourceConfig"]["logstore"] == variables["trailLogstore"]
    assert config["logConfig"] == {"project": variables["trailProject"], "logstore": variables["triggerLogstore"]}
    assert variables["triggerLogstore"] != variables["trailLogstore"]
    assert variables["functionRole"].endswith(":role/sharetrust-fc")
    assert '${config("AccountID")}' in variables["functionRole"]


# --- (b) handlers and the package ------------------------------------------------------------------


def test_handlers_exist_and_code_is_the_package() -> None:
    for name, props in resources().items():
        assert props["code"] == PACKAGE, name
        assert (ROOT / props["code"]).resolve() == package_folder().resolve()
        module, _, function = props["handler"].partition(".")
        source = ROOT / "functions" / f"{module}.py"
        assert source.is_file(), f"{name}: handler {props['handler']} needs functions/{module}.py"
        tree = ast.parse(source.read_text(encoding="utf-8"))
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert function == "handler" and function in defined, f"{name}: functions/{module}.py defines no {function}"
    assert sorted(p["handler"] for p in resources().values()) == [
        "on_share_event.handler",
        "on_trail_logs.handler",
        "reconcile.handler",
    ]


# --- (c) settings: deployed and documented ----------------------------------------------------------


def settings_read_by_the_code() -> set[str]:
    """Every SHARETRUST_* named in a string of the shipped code (sharetrust and the handlers)."""
    found: set[str] = set()
    sources = [*(ROOT / "shared" / "sharetrust").rglob("*.py"), *(ROOT / "functions").glob("*.py")]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found |= set(_SETTING.findall(node.value))
    return found


def readme_settings_table() -> set[str]:
    """The settings in README's "Settings" table (first column)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    _, found, rest = readme.partition("\n### Settings\n")
    assert found, "README has no '### Settings' section"
    section = rest.split("\n#", 1)[0]
    return set(re.findall(r"^\| `(SHARETRUST_[A-Z0-9_]+)` \|", section, re.MULTILINE))


def test_every_setting_the_code_reads_is_deployed_or_excluded_with_a_reason() -> None:
    read = settings_read_by_the_code()
    assert len(read) >= 14, read  # the scan itself works
    environment = resources()["on-share-event"]["environmentVariables"]
    deployed = {k for k in environment if k.startswith("SHARETRUST_")}
    assert read - deployed - set(NOT_DEPLOYED) == set(), "add these to s.yaml's vars.environment"
    assert deployed & set(NOT_DEPLOYED) == set(), "these must not be deployed"
    assert deployed - read == set(), "s.yaml sets settings no code reads"


def test_the_three_functions_share_one_environment_of_defaults() -> None:
    environments = [props["environmentVariables"] for props in resources().values()]
    assert all(e == environments[0] for e in environments)
    assert raw()["vars"]["environment"] == environments[0]
    assert all(isinstance(v, str) for v in environments[0].values()), "FC takes string values only"
    # Every value deployed is the default: s.yaml lists the settings without changing behaviour.
    assert Settings.from_environment(environments[0]) == Settings.from_environment({})
    size = sum(len(k.encode()) + len(v.encode()) for k, v in environments[0].items())
    assert size < FC_ENVIRONMENT_LIMIT


def test_every_setting_is_documented_in_the_readme() -> None:
    documented = readme_settings_table()
    undocumented = settings_read_by_the_code() - documented
    assert not undocumented, f"add rows to README's Settings table: {sorted(undocumented)}"
    assert documented - settings_read_by_the_code() == set(), "README documents settings no code reads"


# --- (d) the EventBridge rules -----------------------------------------------------------------------


def eventbridge_patterns() -> list[dict[str, Any]]:
    triggers = resources()["on-share-event"]["triggers"]
    patterns = [json.loads(t["triggerConfig"]["eventRuleFilterPattern"]) for t in triggers]
    for pattern in patterns:
        validate_pattern(pattern)
    return patterns


def delivered(event: Mapping[str, Any]) -> bool:
    return any(matches(pattern, event) for pattern in eventbridge_patterns())


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return loaded


def variants() -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(what, CloudEvent, whether sharetrust acts on it and the rules must deliver it)."""
    modify = fixture("eventbridge_modify_image_share_permission.json")
    yield "ModifyImageSharePermission", modify, True
    console = copy.deepcopy(modify)
    console["type"] = "ecs:ActionTrail:ConsoleOperation"
    yield "the same from the console", console, True
    read = copy.deepcopy(modify)
    read["data"]["eventName"] = "DescribeImageSharePermission"
    read["data"]["eventRW"] = "Read"
    yield "a read event", read, False
    yield "DeleteDisk", fixture("eventbridge_delete_disk.json"), False
    associated = fixture("eventbridge_association_status_change.json")
    yield "AssociationStatusChange Associated", associated, True
    for status, acted in (("Failed", True), ("Associating", False), ("Disassociated", False)):
        other = copy.deepcopy(associated)
        other["data"]["associationStatus"] = status
        yield f"AssociationStatusChange {status}", other, acted
    snapshot = copy.deepcopy(associated)
    snapshot["data"].update(resourceType="Snapshot", resourceId="s-bp1example0000000001")
    yield "a snapshot associated", snapshot, True
    yield "the doc sample (CapacityReservation)", fixture("eventbridge_association_status_change_doc.json"), False
    config = copy.deepcopy(associated)
    config["type"] = "resourcemanager:Config:ConfigurationItemChangeNotification"
    yield "another Resource Management event", config, False


@pytest.mark.parametrize(("what", "event", "acted_on"), list(variants()), ids=[v[0] for v in variants()])
def test_the_rules_deliver_exactly_what_sharetrust_acts_on(what: str, event: dict[str, Any], acted_on: bool) -> None:
    assert delivered(event) is acted_on, what
    if acted_on:
        (intake,) = decode(json.dumps(event))
        assert isinstance(intake, ShareSignal), intake


def test_the_actiontrail_rule_names_every_actiontrail_share_event() -> None:
    actiontrail_rule, association_rule = eventbridge_patterns()
    names = {name for name, kind in EVENT_KINDS.items() if kind.carrier == "actiontrail"}
    assert set(actiontrail_rule["data"]["eventName"]) == names
    assert set(association_rule["data"]["associationStatus"]) == set(ACTED_ON_STATUSES)


# --- (e) variables -------------------------------------------------------------------------------


def test_every_referenced_variable_exists() -> None:
    document = raw()
    missing: list[str] = []
    resolve(document["resources"], document["vars"], "resources", missing)
    resolve(document["vars"], document["vars"], "vars", missing)
    assert not missing, missing
    text = (ROOT / "s.yaml").read_text(encoding="utf-8")
    assert set(_VAR.findall(text)) <= set(document["vars"])


def test_a_missing_variable_is_reported() -> None:
    missing: list[str] = []
    resolve({"role": "${vars.nope}", "x": "a-${vars.region}"}, {"region": "cn-hangzhou"}, "p", missing)
    assert missing == ["p.role: vars.nope"]
