"""The suite-wide guards of tests/conftest.py are themselves tested: what they classify, that the audit
hook really records, and (in a pytest run of its own) that a leak, a remote connection or an
out-of-scope write fails the run with a message that names it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from localcloud.requestlog import LoggedRequest
from localcloud.services.sts import mint_session
from localcloud.state import AccessKey, Account, Cloud, Role
from tests import guards
from tests.conftest import NETWORK

ROOT = Path(__file__).resolve().parents[1]
UA = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.6 TeaDSL/2 sharetrust/0.1.0"
IMAGE_ROLE = "AliyunECSShareEncryptImageDefaultRole"


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", True),
        ("localhost", True),
        (b"127.0.0.1", True),
        (None, True),
        ("192.0.2.1", False),
        ("10.255.255.53", False),
        ("2001:db8::1", False),
        ("ecs-cn-hangzhou.aliyuncs.com", False),
        ("trail-project.127.0.0.1", False),  # what put_logs resolves when no source is given
        ("localhost.example.com", False),
    ],
)
def test_what_counts_as_loopback(host: object, local: bool) -> None:
    assert guards.is_local(host) is local


def test_a_real_connect_and_lookup_are_recorded_with_the_test_that_made_them(request: pytest.FixtureRequest) -> None:
    mark = NETWORK.mark()
    # UDP connect sends no datagram, and a numeric-only lookup of a name fails without asking DNS:
    # both raise the audit events the guard watches, and nothing leaves the machine.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, contextlib.suppress(OSError):
        udp.connect(("192.0.2.1", 9))
    with contextlib.suppress(OSError):
        socket.getaddrinfo("sharetrust.invalid", 443, flags=socket.AI_NUMERICHOST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.connect(("127.0.0.1", 9))  # loopback: not recorded
    taken = NETWORK.take(mark)  # taken out, or the run would fail for them
    assert taken == [
        f"{request.node.nodeid}: socket.connect (udp) 192.0.2.1:9",
        f"{request.node.nodeid}: socket.getaddrinfo 'sharetrust.invalid'",
    ]


def test_a_python_subprocess_records_into_the_suite_log() -> None:
    log = Path(os.environ["SHARETRUST_NETGUARD_LOG"])
    size = log.stat().st_size
    code = (
        "import socket\n"
        "try:\n"
        "    socket.getaddrinfo('sharetrust.invalid', 1, flags=socket.AI_NUMERICHOST)\n"
        "except OSError:\n"
        "    pass\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    with log.open("r+", encoding="utf-8") as records:
        records.seek(size)
        added = records.read()
        records.truncate(size)  # taken out, or the run would fail for it
    assert "(subprocess -c): socket.getaddrinfo 'sharetrust.invalid'" in added
    assert "test_a_python_subprocess_records_into_the_suite_log" in added


def test_the_secrets_of_a_cloud_are_its_keys_and_minted_sessions() -> None:
    cloud = Cloud()
    cloud.accounts["1"] = Account(
        "1", "one", {"AKONE": AccessKey("AKONE", "one-long-secret"), "AKX": AccessKey("AKX", "x")}
    )
    role = Role("ops", "300000000000000001", "1", "{}")
    session = mint_session(cloud, role, "test")
    secrets = guards.cloud_secrets(cloud)
    assert secrets == {
        "one-long-secret": "the AccessKey secret of AKONE (account 1)",
        session.secret: "the STS AccessKeySecret of a ops session",
        session.token: "the STS SecurityToken of a ops session",
    }  # "x" is too short to look for
    text = f"signed with one-long-secret and {session.token}"
    assert guards.secrets_in(text, secrets) == [
        "the AccessKey secret of AKONE (account 1)",
        "the STS SecurityToken of a ops session",
    ]
    assert guards.redact(text, secrets) == "signed with <redacted secret> and <redacted secret>"


def _write(role: str = "", policy: str = "", policy_type: str = "", action: str = "UpdateRole") -> LoggedRequest:
    return LoggedRequest(1, 0.0, "Ram", action, "1", 200, "", True, "ACS3", "role/fc", UA, role, policy, policy_type)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (_write(IMAGE_ROLE), None),
        (_write("aliyunecsshareencryptsnapshotdefaultrole"), None),
        (_write(policy="sharetrust-image-share-keys", action="CreatePolicyVersion"), None),
        (_write(policy="sharetrust-lock-aliyunecsshareencryptimagedefaultrole", action="CreatePolicy"), None),
        (_write(IMAGE_ROLE, "sharetrust-snapshot-share-keys", "Custom", "AttachPolicyToRole"), None),
        (_write(IMAGE_ROLE, "AliyunKMSFullAccess", "System", "AttachPolicyToRole"), None),
        (_write("sharetrust-fc"), "role 'sharetrust-fc' is not a share role"),
        (_write(policy="AdminPolicy", action="CreatePolicyVersion"), "policy 'AdminPolicy' is not sharetrust's own"),
        (
            _write(IMAGE_ROLE, "AdministratorAccess", "System", "AttachPolicyToRole"),
            "System policy 'AdministratorAccess' may only be attached, and only AliyunKMSFullAccess",
        ),
        (
            _write(IMAGE_ROLE, "AliyunKMSFullAccess", "System", "DetachPolicyFromRole"),
            "System policy 'AliyunKMSFullAccess' may only be attached, and only AliyunKMSFullAccess",
        ),
        (_write(action="CreateUser"), "it names neither a role nor a policy"),
    ],
)
def test_what_is_in_sharetrusts_ram_scope(entry: LoggedRequest, reason: str | None) -> None:
    assert guards.out_of_scope(entry) == reason


def test_only_sharetrusts_ram_writes_are_tallied() -> None:
    tally = guards.ScopeTally()
    tally.add(_write("Admin"), "t::a")
    tally.add(
        LoggedRequest(2, 0.0, "Ram", "UpdateRole", "1", 200, "", True, "ACS3", "root", "AlibabaCloud", "Admin"), "t"
    )
    tally.add(LoggedRequest(3, 0.0, "Ram", "GetRole", "1", 200, "", False, "ACS3", "root", UA, "Admin"), "t")
    tally.add(LoggedRequest(4, 0.0, "Ecs", "ModifyImageSharePermission", "1", 200, "", True, "ACS3", "root", UA), "t")
    assert tally.writes == 1
    assert tally.violations == [
        "t::a: Ram:UpdateRole RoleName='Admin' PolicyName='' PolicyType='' (status 200): "
        "role 'Admin' is not a share role"
    ]


INNER_TESTS = """
    import logging
    import socket

    from localcloud import LocalCloud
    from localcloud.state import AccessKey, Account, Cloud


    def cloud():
        made = Cloud()
        made.accounts["1"] = Account("1", "one", {"AKINNER": AccessKey("AKINNER", "inner-" + "secret-value")})
        return LocalCloud(made)


    def test_prints_a_secret():
        with cloud() as lc:
            print("the key is", lc.cloud.accounts["1"].keys["AKINNER"].secret)


    def test_logs_a_secret():
        with cloud() as lc:
            logging.getLogger("inner.logger").error("the key is %s", lc.cloud.accounts["1"].keys["AKINNER"].secret)


    def test_raises_with_a_secret():
        with cloud() as lc:
            raise RuntimeError("the key is " + lc.cloud.accounts["1"].keys["AKINNER"].secret)


    def test_connects_off_the_machine():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.connect(("192.0.2.1", 9))
            except OSError:
                pass


    def test_writes_out_of_scope():
        with LocalCloud() as lc:
            lc.requests.add(
                product="Ram", action="UpdateRole", account_uid="1", status=200, code="", write=True,
                signing="ACS3", user_agent="x sharetrust/0.1.0", role_name="Admin",
            )
"""


def _inner_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tests: str) -> pytest.RunResult:
    pytester.makeconftest("from tests.conftest import *  # noqa: F403\n")
    pytester.makeini("[pytest]\ntestpaths = .\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile(test_inner=textwrap.dedent(tests))
    monkeypatch.delenv("SHARETRUST_NETGUARD_LOG")  # the inner run's own records must not reach this run's
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ["PYTHONPATH"]]))
    return pytester.runpytest_subprocess(timeout=120)


def test_a_run_fails_for_a_leak_a_remote_connection_and_an_out_of_scope_write(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _inner_run(pytester, monkeypatch, INNER_TESTS)
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=2, failed=3)
    assert "inner-secret-value" not in out and "<redacted secret>" in out
    key = "the AccessKey secret of AKINNER (account 1)"
    assert f"{key} in 'Captured stdout call'" in out
    assert f"{key} in the captured log of logger 'inner.logger'" in out
    assert f"{key} in the call exception" in out
    assert "test_inner.py::test_connects_off_the_machine: socket.connect (udp) 192.0.2.1:9" in out
    assert "test_inner.py::test_writes_out_of_scope: Ram:UpdateRole RoleName='Admin'" in out
    assert "role 'Admin' is not a share role" in out


def test_a_whole_run_without_a_sharetrust_ram_write_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _inner_run(pytester, monkeypatch, "def test_nothing():\n    pass\n")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "no sharetrust RAM write was seen in the whole suite" in result.stdout.str()
