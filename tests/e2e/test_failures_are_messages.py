"""Every way the CLI can fail ends in one line that says what to check, within the deadline:
a wrong secret, a closed port, throttling, no credentials, a silent endpoint, a proxy, Ctrl-C."""

from __future__ import annotations

import json
import os
import pty
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud import LocalCloud
from localcloud.faults import FaultRule
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import KEYS, SHARER

EVENT = json.dumps(FORGED)
SLS_RANGE = json.dumps(
    {
        "parameter": {},
        "source": {
            "endpoint": "http://cn-hangzhou.log.aliyuncs.com",
            "projectName": "trail-project",
            "logstoreName": "actiontrail_sharetrust-trail",
            "shardId": 0,
            "beginCursor": "MA==",
            "endCursor": "MTA=",
        },
        "jobName": "job",
        "taskId": "task",
        "cursorTime": 1,
    }
)
# Run the CLI under an audit hook that reports any connection or lookup beyond loopback.
GUARDED_CLI = """
import sys
seen = []
def hook(event, args):
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "::1", "localhost"):
            seen.append(host)
    elif event == "socket.getaddrinfo" and args[0] not in ("127.0.0.1", "::1", "localhost", None):
        seen.append(str(args[0]))
sys.addaudithook(hook)
from sharetrust.cli import main
try:
    code = main(sys.argv[1:])
finally:
    if seen:
        print("NON-LOOPBACK " + ",".join(sorted(set(seen))), file=sys.stderr)
sys.exit(code)
"""


def shell(endpoint: str, **extra: str) -> dict[str, str]:
    """The sharer's credentials and the endpoint, none of the caller's settings or proxies; `""` unsets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "SHARETRUST_", "HTTP"))}
    env.update(
        SHARETRUST_ENDPOINT=endpoint,
        ALIBABA_CLOUD_ACCESS_KEY_ID=KEYS[SHARER][0],
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=KEYS[SHARER][1],
        HOME=str(Path(__file__).parent),  # no profile file of the machine's user
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v}


def sharetrust(*args: str, endpoint: str, stdin: str = EVENT, **extra: str) -> subprocess.CompletedProcess[str]:
    env = shell(endpoint, SHARETRUST_REGIONS="cn-hangzhou,cn-shanghai", **extra)
    return subprocess.run(
        [sys.executable, "-c", GUARDED_CLI, *(args if args[0] in ("plan", "apply", "report") else ("handle", *args))],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=90,  # a hang fails the test; the deadlines under test are far shorter
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The run failed with exactly one line on stderr and no traceback; that line."""
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr and len(lines) == 1, result.stderr
    assert lines[0].startswith("sharetrust: ")
    return lines[0]


ACCEPTED: dict[str, list[socket.socket]] = {}  # silent endpoint URL -> the connections it holds


@pytest.fixture
def silent() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    ACCEPTED[url] = held
    try:
        yield url
    finally:
        ACCEPTED.pop(url, None)
        stop.set()
        thread.join(5)
        for connection in held:
            connection.close()
        server.close()


def closed_port() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


def test_a_wrong_secret_is_one_line_naming_the_call_and_the_credentials(lc: LocalCloud) -> None:
    result = sharetrust("-", endpoint=lc.url, ALIBABA_CLOUD_ACCESS_KEY_SECRET="not-the-secret")
    assert result.returncode == 1
    line = one_line(result)
    assert "Sts:GetCallerIdentity failed" in line and "check the credentials" in line
    summary = json.loads(result.stdout)
    assert summary["ok"] is False and summary["errors"] == [line.removeprefix("sharetrust: ")]


def test_a_closed_port_is_one_line_naming_the_endpoint() -> None:
    result = sharetrust("-", endpoint=closed_port(), SHARETRUST_DEADLINE_SECONDS="20")
    assert result.returncode == 1
    line = one_line(result)
    assert "TransportError" in line and "check SHARETRUST_ENDPOINT" in line
    assert json.loads(result.stdout)["ok"] is False


def test_throttling_that_outlasts_the_retries_is_one_line(lc: LocalCloud) -> None:
    lc.faults.configure([FaultRule("throttle", "Ecs:DescribeImages")])  # the event's first read
    result = sharetrust("-", endpoint=lc.url)
    assert result.returncode == 1
    line = one_line(result)
    assert "Throttling" in line and "after 6 attempts" in line
    assert lc.requests.counts()["Ecs:DescribeImages"] == 6


def test_no_credentials_lists_where_it_looked_and_probes_nothing(lc: LocalCloud) -> None:
    result = sharetrust("-", endpoint=lc.url, ALIBABA_CLOUD_ACCESS_KEY_ID="", ALIBABA_CLOUD_ACCESS_KEY_SECRET="")
    assert result.returncode == 2
    line = one_line(result)  # also: no NON-LOOPBACK line, so the metadata service was not asked
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in line and "Function Compute context" in line
    assert result.stdout == ""


def test_a_silent_endpoint_gives_up_at_the_deadline_with_a_message(silent: str) -> None:
    result = sharetrust("-", endpoint=silent, SHARETRUST_DEADLINE_SECONDS="3")
    assert result.returncode == 1
    line = one_line(result)
    assert "DeadlineExceeded" in line and "SHARETRUST_DEADLINE_SECONDS" in line


def test_the_log_service_path_is_bounded_too(silent: str) -> None:
    result = sharetrust(
        "-", endpoint=silent, stdin=SLS_RANGE, SHARETRUST_DEADLINE_SECONDS="3", SHARETRUST_ACCOUNT_ID=SHARER
    )
    assert result.returncode == 1
    line = one_line(result)
    assert "Sls:PullLogs" in line and "DeadlineExceeded" in line


def test_proxies_are_never_applied_to_the_given_endpoint(lc: LocalCloud, silent: str) -> None:
    proxied = {name: silent for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy")}
    for payload in (SLS_RANGE, EVENT):
        mark = lc.requests.mark()
        result = sharetrust("-", endpoint=lc.url, stdin=payload, SHARETRUST_DEADLINE_SECONDS="10", **proxied)
        assert result.returncode == 0, result.stderr
        assert lc.requests.counts(since=mark), "the local cloud answered, not the (silent) proxy"


def test_ctrl_c_ends_with_one_line_and_130(silent: str, tmp_path: Path) -> None:
    env = shell(silent, SHARETRUST_DEADLINE_SECONDS="60")
    event = tmp_path / "event.json"
    event.write_text(EVENT)
    process = subprocess.Popen(
        [sys.executable, "-m", "sharetrust.cli", "handle", str(event)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    waited = 0.0
    while not ACCEPTED[silent] and waited < 60:  # until a call is in flight (start-up is slow under load)
        time.sleep(0.1)
        waited += 0.1
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert stderr.splitlines() == [
        "sharetrust: interrupted; writes made so far are safe, and rerunning completes the change"
    ]
    assert stdout == ""


def test_on_a_terminal_the_scan_shows_progress_and_clears_it(lc: LocalCloud, tmp_path: Path) -> None:
    env = shell(lc.url)
    event = tmp_path / "event.json"
    event.write_text(EVENT)
    controller, terminal = pty.openpty()
    with os.fdopen(controller, "rb", buffering=0) as screen:
        process = subprocess.Popen(
            [sys.executable, "-m", "sharetrust.cli", "handle", str(event)],
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=env,
        )
        os.close(terminal)
        stdout, _ = process.communicate(timeout=90)
        shown = b""
        while True:
            try:
                chunk = screen.read(4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            shown += chunk
    assert process.returncode == 0 and json.loads(stdout)["ok"] is True
    assert b"sharetrust: read cn-hangzhou (1/1 regions)" in shown  # an add reads only its event's region
    assert shown.endswith(b"\r\x1b[K")  # cleared: the terminal is left as it was


def test_without_an_endpoint_the_default_chain_is_one_line_too(tmp_path: Path) -> None:
    # The real cloud's chain: profile files, OIDC, and (disabled here, offline) the ECS metadata service.
    result = sharetrust(
        "-",
        endpoint="",
        ALIBABA_CLOUD_ACCESS_KEY_ID="",
        ALIBABA_CLOUD_ACCESS_KEY_SECRET="",
        ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
        HOME=str(tmp_path),
    )
    assert result.returncode == 2
    line = one_line(result)
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in line and "default chain" in line and "credentials.ini" in line


@pytest.mark.parametrize("command", [("plan",), ("apply", "--prune", "--yes"), ("report", "--html")])
def test_the_operator_commands_fail_in_one_line_and_print_no_partial_result(
    silent: str, command: tuple[str, ...]
) -> None:
    result = sharetrust(*command, endpoint=silent, SHARETRUST_DEADLINE_SECONDS="3")
    assert result.returncode == 1
    assert "DeadlineExceeded" in one_line(result)
    if command[0] != "apply":  # apply prints its summary (ok: false); plan and report print nothing
        assert result.stdout == ""
