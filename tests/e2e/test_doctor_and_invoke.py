"""`sharetrust doctor` and `sharetrust invoke` against the local cloud, through the real SDKs.

The estate is a deployment as s.yaml makes it: three FC 3.0 functions running sharetrust's handlers as
the role sharetrust-fc, their triggers, the trail and the roles the platform needs. A fully prepared
account passes every doctor check; each missing prerequisite fails its own line with the fix. `invoke`
sends the probe to the deployed functions, which answer from inside the local cloud.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.faults import FaultRule
from localcloud.services.sts import mint_session
from sharetrust import cli
from tests.localcloud.conftest import HZ, KEYS, SH, SHARER, base_seed, start

FUNCTION_POLICY: dict[str, Any] = {
    "Version": "1",
    "Statement": [
        {"Effect": "Allow", "Action": ["ram:GetRole", "ecs:DescribeRegions", "sts:GetCallerIdentity"], "Resource": "*"}
    ],
}


def _trust(service: str) -> dict[str, Any]:
    statement = {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": [service]}}
    return {"Version": "1", "Statement": [statement]}


FUNCTIONS = {
    "sharetrust-on-share-event": "functions.on_share_event.handler",
    "sharetrust-on-trail-logs": "functions.on_trail_logs.handler",
    "sharetrust-reconcile": "functions.reconcile.handler",
}


def deployed_seed() -> dict[str, Any]:
    """An account with every prerequisite in place and sharetrust deployed as s.yaml deploys it."""
    seed = copy.deepcopy(base_seed())
    sharer = seed["accounts"][0]
    sharer["sls_projects"] = [{"name": "trail-project", "logstores": [{"name": "sharetrust-trigger-logs"}]}]
    sharer["trail"] = {"name": "sharetrust-trail", "project": "trail-project", "region": HZ}
    sharer["policies"] = [
        {"name": "sharetrust-function", "document": FUNCTION_POLICY},
        {"name": "sharetrust-service-key", "document": {"Version": "1", "Statement": []}},
    ]
    sharer["roles"] = [
        {
            "name": "sharetrust-fc",
            "trust_policy": _trust("fc.aliyuncs.com"),
            "policies": [{"name": "sharetrust-function"}, {"name": "sharetrust-service-key"}],
        },
        {"name": "AliyunLogETLRole", "trust_policy": _trust("log.aliyuncs.com")},
        {
            "name": "AliyunServiceRoleForEventBridgeSourceActionTrail",
            "trust_policy": _trust("source-actiontrail.eventbridge.aliyuncs.com"),
        },
        {"name": "AliyunECSDiskEncryptDefaultRole", "trust_policy": _trust("ecs.aliyuncs.com")},
    ]
    sharer["functions"] = [
        {"name": name, "handler": handler, "runtime": "python3.12", "role": "sharetrust-fc", "timeout": 300}
        for name, handler in FUNCTIONS.items()
    ] + [
        # The same handler under an FC 2.0 service, for `invoke --service`.
        {
            "service": "legacy",
            "name": "on-share-event",
            "handler": FUNCTIONS["sharetrust-on-share-event"],
            "runtime": "python3.10",
            "role": "sharetrust-fc",
        },
    ]
    sharer["triggers"] = [
        {
            "type": "eventbridge",
            "name": "share-events",
            "function": "sharetrust-on-share-event",
            "pattern": {"source": ["acs.ecs"]},
        },
        {
            "type": "log",
            "name": "trail-logs",
            "function": "sharetrust-on-trail-logs",
            "project": "trail-project",
            "logstore": "actiontrail_sharetrust-trail",
        },
        {"type": "timer", "name": "every-hour", "function": "sharetrust-reconcile", "cron": "@every 60m"},
    ]
    return seed


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The prepared estate; a test parametrized indirectly on `seed` passes a mutation that breaks it."""
    made = deployed_seed()
    mutate = getattr(request, "param", None)
    if mutate is not None:
        mutate(made)
    return made


@pytest.fixture
def lc(seed: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalCloud]:
    cloud = start(seed)
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALIBABA_CLOUD_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("SHARETRUST_DEADLINE_SECONDS", "SHARETRUST_HOME_REGION", "SHARETRUST_ACCOUNT_ID", "FC_REGION"):
        monkeypatch.delenv(name, raising=False)
    # The operator: the sharer account's own AccessKey, pointed at the local cloud.
    monkeypatch.setenv("SHARETRUST_ENDPOINT", cloud.url)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEYS[SHARER][0])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEYS[SHARER][1])
    try:
        yield cloud
    finally:
        cloud.close()


@pytest.fixture
def deploy_dir(tmp_path: Path) -> Path:
    """A deploy/ folder whose function policy is the one the estate holds."""
    (tmp_path / "function-policy.json").write_text(json.dumps(FUNCTION_POLICY, indent=2), encoding="utf-8")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def doctor(capsys: pytest.CaptureFixture[str], deploy_dir: Path, *extra: str) -> tuple[int, dict[str, dict[str, Any]]]:
    code, out, err = run(capsys, "doctor", "--region", HZ, "--deploy", str(deploy_dir), "--json", *extra)
    assert not err.strip(), err
    return code, {c["name"]: c for c in json.loads(out)["checks"]}


# --- doctor ---------------------------------------------------------------------------------------------


def test_a_prepared_account_passes_every_check(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], deploy_dir: Path
) -> None:
    code, found = doctor(capsys, deploy_dir)
    assert {n: c["status"] for n, c in found.items() if c["status"] != "PASS"} == {}
    assert code == 0
    for expected in (
        "trail sharetrust-trail logging",
        "trail sharetrust-trail regions",
        "trigger log logstore",
        "role AliyunLogETLRole",
        "role AliyunECSDiskEncryptDefaultRole",
        "policy sharetrust-function",
        "function sharetrust-reconcile timer trigger",
        "function sharetrust-on-trail-logs log trigger",
        "share role AliyunECSShareEncryptImageDefaultRole",
    ):
        assert expected in found, sorted(found)
    assert "absent: sharetrust creates it" in found["share role AliyunECSShareEncryptImageDefaultRole"]["detail"]
    writes = lc.requests.counts(writes_only=True)
    assert not writes, writes  # doctor reads only


def test_the_text_form_is_one_line_per_check(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], deploy_dir: Path
) -> None:
    lc.cloud.trails[0].logging = False
    code, out, _ = run(capsys, "doctor", "--region", HZ, "--deploy", str(deploy_dir))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"account {SHARER}, region {HZ}"
    failed = [line for line in lines if line.startswith("FAIL")]
    assert failed == [
        "FAIL  trail sharetrust-trail logging: stopped: it delivers no events — fix: start it "
        "(ActionTrail StartLogging, Name=sharetrust-trail)"
    ]
    assert all(line.startswith(("PASS", "WARN", "FAIL")) for line in lines[1:])


def _sharer(seed: dict[str, Any]) -> dict[str, Any]:
    sharer: dict[str, Any] = seed["accounts"][0]
    return sharer


def _drop_role(name: str) -> Callable[[dict[str, Any]], None]:
    def mutate(seed: dict[str, Any]) -> None:
        _sharer(seed)["roles"] = [r for r in _sharer(seed)["roles"] if r["name"] != name]

    return mutate


def _drop_function(name: str) -> Callable[[dict[str, Any]], None]:
    def mutate(seed: dict[str, Any]) -> None:
        sharer = _sharer(seed)
        sharer["functions"] = [f for f in sharer["functions"] if f["name"] != name]
        sharer["triggers"] = [t for t in sharer["triggers"] if t["function"] != name]

    return mutate


def _move_function(name: str, region: str) -> Callable[[dict[str, Any]], None]:
    def mutate(seed: dict[str, Any]) -> None:
        next(f for f in _sharer(seed)["functions"] if f["name"] == name)["region"] = region

    return mutate


def _detach_function_policy(seed: dict[str, Any]) -> None:
    role = next(r for r in _sharer(seed)["roles"] if r["name"] == "sharetrust-fc")
    role["policies"] = [p for p in role["policies"] if p["name"] != "sharetrust-function"]


def _widen_function_policy(seed: dict[str, Any]) -> None:
    policy = next(p for p in _sharer(seed)["policies"] if p["name"] == "sharetrust-function")
    policy["document"] = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _no_trigger_logstore(seed: dict[str, Any]) -> None:
    _sharer(seed)["sls_projects"][0]["logstores"] = []


MISSING: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "trail off",
        lambda s: _sharer(s)["trail"].update(logging=False),
        "trail sharetrust-trail logging",
        "StartLogging",
    ),
    (
        "trail single-region",
        lambda s: _sharer(s)["trail"].update(trail_region=HZ),
        "trail sharetrust-trail regions",
        "TrailRegion=All",
    ),
    (
        "trail records reads only",
        lambda s: _sharer(s)["trail"].update(event_rw="Read"),
        "trail sharetrust-trail event type",
        "EventRW=Write",
    ),
    (
        "trail delivers to another region",
        lambda s: _sharer(s)["sls_projects"][0].update(region=SH),
        "trail sharetrust-trail delivery",
        "UpdateTrail SlsProjectArn",
    ),
    ("no trigger logstore", _no_trigger_logstore, "trigger log logstore", "create logstore sharetrust-trigger-logs"),
    ("no ETL role", _drop_role("AliyunLogETLRole"), "role AliyunLogETLRole", "AliyunLogETLRolePolicy"),
    (
        "no disk-encrypt role",
        _drop_role("AliyunECSDiskEncryptDefaultRole"),
        "role AliyunECSDiskEncryptDefaultRole",
        "confirm the authorisation",
    ),
    ("function role without policy", _detach_function_policy, "policy sharetrust-function", "AttachPolicyToRole"),
    ("function policy drifted", _widen_function_policy, "policy sharetrust-function", "CreatePolicyVersion"),
    ("function missing", _drop_function("sharetrust-reconcile"), "function sharetrust-reconcile", "s deploy"),
    (
        "function in another region",
        _move_function("sharetrust-reconcile", SH),
        "function sharetrust-reconcile",
        "s deploy",
    ),
]


@pytest.mark.parametrize(
    ("seed", "line", "fix"), [m[1:] for m in MISSING], ids=[m[0] for m in MISSING], indirect=["seed"]
)
def test_each_missing_prerequisite_fails_its_own_line(
    line: str, fix: str, lc: LocalCloud, capsys: pytest.CaptureFixture[str], deploy_dir: Path
) -> None:
    code, found = doctor(capsys, deploy_dir)
    assert code == 1
    failed = {n for n, c in found.items() if c["status"] == "FAIL"}
    assert failed == {line}, failed
    assert fix in found[line]["fix"]


@pytest.mark.parametrize("seed", [_drop_role("AliyunServiceRoleForEventBridgeSourceActionTrail")], indirect=True)
def test_a_missing_eventbridge_role_is_a_warning(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], deploy_dir: Path
) -> None:
    code, found = doctor(capsys, deploy_dir)
    assert code == 2
    assert {n: c["status"] for n, c in found.items() if c["status"] != "PASS"} == {
        "role AliyunServiceRoleForEventBridgeSourceActionTrail": "WARN"
    }


def test_without_deploy_folder_the_policy_is_not_compared(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, found = doctor(capsys, tmp_path)
    assert code == 2
    assert found["policy sharetrust-function"]["status"] == "WARN"
    assert "not compared" in found["policy sharetrust-function"]["detail"]


def test_a_denied_read_fails_its_line_saying_why(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], deploy_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run as the function role: it may not read trails or functions; those lines say so, the rest still run."""
    session = mint_session(lc.cloud, lc.cloud.ram_of(SHARER).roles["sharetrust-fc"], "doctor", 3600)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", session.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", session.secret)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", session.token)
    code, found = doctor(capsys, deploy_dir)
    assert code == 1
    assert found["function sharetrust-reconcile"]["status"] == "FAIL"
    assert "could not be read" in found["function sharetrust-reconcile"]["detail"]
    assert found["role AliyunLogETLRole"]["status"] == "PASS"  # ram:GetRole is allowed


# --- invoke ---------------------------------------------------------------------------------------------


def test_invoke_probes_every_deployed_function(lc: LocalCloud, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "invoke", "--region", HZ)
    assert code == 0, err
    answers = json.loads(out)
    assert sorted(answers) == sorted(FUNCTIONS)
    for summary in answers.values():
        assert summary["probe"] == "ok"
        assert summary["account"] == SHARER
        assert summary["identity"].startswith(f"acs:ram::{SHARER}:assumed-role/sharetrust-fc/")
        assert summary["python"] == ".".join(map(str, sys.version_info[:3]))
        assert summary["sdks"]["alibabacloud-ecs20140526"] not in ("not loaded", "unknown")
        names = [c["name"] for c in summary["checks"]]
        assert "ram:GetRole AliyunECSShareEncryptImageDefaultRole" in names
        assert summary["settings"]["service_key_policy"] == "attach"
    assert "--- log tail of sharetrust-reconcile" in err and "FC Invoke End RequestId" in err
    writes = lc.requests.counts(writes_only=True)
    assert not writes, writes  # the probe is read-only
    by_functions = {e.name for e in lc.requests.entries() if e.caller == "role/sharetrust-fc"}
    assert by_functions <= {"Sts:GetCallerIdentity", "Ram:GetRole", "Ecs:DescribeRegions"}, by_functions


def test_invoke_one_function_under_an_fc2_service(lc: LocalCloud, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "invoke", "--service", "legacy", "--function", "on-share-event")
    assert code == 0, err
    assert json.loads(out)["legacy/on-share-event"]["probe"] == "ok"
    assert "--- log tail of legacy/on-share-event" in err and "FC Invoke End RequestId" in err


def test_invoke_a_missing_function_says_so(lc: LocalCloud, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "invoke", "--function", "nope")
    assert code == 1
    assert json.loads(out) == {}
    assert err.strip().splitlines() == [
        f"sharetrust: nope: not found in {HZ} (FunctionNotFound): deploy it (s deploy) or check --region"
    ]


def test_invoke_in_a_region_without_the_functions_says_each_is_not_found(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "invoke", "--region", SH)
    assert code == 1 and json.loads(out) == {}
    assert err.strip().splitlines() == [
        f"sharetrust: {name}: not found in {SH} (FunctionNotFound): deploy it (s deploy) or check --region"
        for name in FUNCTIONS
    ]


def test_invoke_reports_a_failing_probe_with_its_failed_checks(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = lc.cloud.ram_of(SHARER).policies["sharetrust-function"]
    statement = {"Effect": "Allow", "Action": ["sts:GetCallerIdentity", "ecs:DescribeRegions"], "Resource": "*"}
    policy.versions[0].document = json.dumps({"Version": "1", "Statement": [statement]})
    code, out, err = run(capsys, "invoke", "--function", "sharetrust-reconcile")
    assert code == 1
    summary = json.loads(out)["sharetrust-reconcile"]
    assert summary["probe"] == "failed"
    failure = [line for line in err.splitlines() if line.startswith("sharetrust:")]
    assert len(failure) == 1 and "probe failed: ram:GetRole AliyunECSShareEncryptImageDefaultRole" in failure[0]


def test_invoke_reports_an_unhandled_error_with_its_type_and_message(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    with lc.cloud.lock:
        lc.cloud.functions[(SHARER, "", "sharetrust-reconcile")].handler = "tests.localcloud.handlers.fail"
    code, _, err = run(capsys, "invoke", "--function", "sharetrust-reconcile")
    assert code == 1
    assert "sharetrust: sharetrust-reconcile: the function failed: ValueError: boom: " in err


def test_invoke_without_the_right_to_invoke_is_access_denied(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = mint_session(lc.cloud, lc.cloud.ram_of(SHARER).roles["sharetrust-fc"], "operator", 3600)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", session.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", session.secret)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", session.token)
    code, _, err = run(capsys, "invoke", "--function", "sharetrust-reconcile")
    assert code == 1
    assert err.strip() == (
        "sharetrust: sharetrust-reconcile: access denied: grant fc:InvokeFunction on it to these credentials"
    )


def test_invoke_that_gets_no_answer_in_time_says_it_timed_out(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARETRUST_DEADLINE_SECONDS", "1")
    lc.faults.add(FaultRule("latency", "Fc:InvokeFunction", latency_ms=3000))
    code, _, err = run(capsys, "invoke", "--function", "sharetrust-reconcile")
    assert code == 1
    assert err.strip() == "sharetrust: sharetrust-reconcile: timed out: no answer within 1 s"


def test_invoke_without_the_operator_sdks_says_what_to_install(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "alibabacloud_fc20230330", None)  # what an ImportError looks like
    code, out, err = run(capsys, "invoke")
    assert code == 2 and out == ""
    assert err.strip() == ("sharetrust: alibabacloud_fc20230330 is not installed: pip install 'sharetrust[operator]'")


DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_under_deploys_own_policy_the_probe_passes_and_doctor_finds_the_policy_current(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    """The function role holding exactly deploy/function-policy.json (filled in): every probe call is allowed,
    and doctor, comparing with the repository's deploy/, finds the policy as deployed."""
    template_path = DEPLOY / "function-policy.json"
    filled = template_path.read_text(encoding="utf-8")
    for name, value in {
        "AccountId": SHARER,
        "Region": HZ,
        "TrailProject": "trail-project",
        "TrailLogstore": "actiontrail_sharetrust-trail",
        "AuditProject": "security-audit",
        "AuditLogstore": "sharetrust-changes",
        "MemberRole": "sharetrust-member",
    }.items():
        filled = filled.replace("${" + name + "}", value)
    with lc.cloud.lock:
        lc.cloud.ram_of(SHARER).policies["sharetrust-function"].versions[0].document = filled
    code, out, err = run(capsys, "invoke")
    assert code == 0, err
    assert all(summary["probe"] == "ok" for summary in json.loads(out).values())
    code, found = doctor(capsys, DEPLOY)
    assert found["policy sharetrust-function"]["status"] == "PASS", found["policy sharetrust-function"]


DEPLOYER_KEY = ("AKSHARERDEPLOYER0001", "deployer-secret")


def _with_deployer(seed: dict[str, Any]) -> None:
    """A RAM user `deployer` holding exactly deploy/deployer-policy.json, filled in for this estate."""
    sharer = seed["accounts"][0]
    sharer["policies"].append(
        {
            "name": "sharetrust-deployer",
            "document_file": str(DEPLOY / "deployer-policy.json"),
            "parameters": {
                "Region": HZ,
                "TrailProject": "trail-project",
                "TrailLogstore": "actiontrail_sharetrust-trail",
                "TriggerLogstore": "sharetrust-trigger-logs",
                "LogProject": "sharetrust-logs",
                "LogLogstore": "sharetrust-function-logs",
            },
        }
    )
    sharer["access_keys"].append({"id": DEPLOYER_KEY[0], "secret": DEPLOYER_KEY[1], "user": "deployer"})
    sharer.setdefault("users", []).append({"name": "deployer", "policies": [{"name": "sharetrust-deployer"}]})


@pytest.mark.parametrize("seed", [_with_deployer], indirect=True)
def test_the_deployer_policy_is_enough_to_verify_the_deployment(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], deploy_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever ran `s deploy` with deploy/deployer-policy.json can run doctor and invoke: nothing is refused."""
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", DEPLOYER_KEY[0])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEPLOYER_KEY[1])
    code, found = doctor(capsys, deploy_dir)
    assert {n: c["detail"] for n, c in found.items() if c["status"] != "PASS"} == {}
    assert code == 0
    code, out, err = run(capsys, "invoke", "--region", HZ)
    assert code == 0, err
    assert all(summary["probe"] == "ok" for summary in json.loads(out).values())
    denied = [d for d in lc.cloud.authorizations if d.decision != "allow"]
    assert not denied, denied


LOCK = "sharetrust-lock-aliyunecsshareencryptimagedefaultrole"


def _with_a_lock_left_by_a_dead_run(seed: dict[str, Any]) -> None:
    """The image share role exists and a run killed while holding its lock left the lock policy behind."""
    sharer = seed["accounts"][0]
    role = {"name": "AliyunECSShareEncryptImageDefaultRole", "trust_policy": _trust("ecs.aliyuncs.com")}
    sharer["roles"].append(role)
    never_attached = {"Version": "1", "Statement": [{"Effect": "Deny", "Action": "none:None", "Resource": "*"}]}
    sharer["policies"].append(
        {"name": LOCK, "document": never_attached, "description": "sharetrust lock holder=dead-run until=1"}
    )


@pytest.mark.parametrize("seed", [_with_a_lock_left_by_a_dead_run], indirect=True)
def test_a_lock_left_by_a_killed_run_is_a_warning_with_its_fix(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], deploy_dir: Path
) -> None:
    code, found = doctor(capsys, deploy_dir)
    lock = found["lock of AliyunECSShareEncryptImageDefaultRole"]
    assert (code, lock["status"]) == (2, "WARN"), lock
    assert "left by run dead-run" in lock["detail"] and lock["fix"] == f"ram DeletePolicy PolicyName={LOCK}"
    assert "lock of AliyunECSShareEncryptSnapshotDefaultRole" not in found  # no role, no lock to look for
    assert not lc.requests.counts(writes_only=True)
