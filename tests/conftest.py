"""Suite-wide guards (issue 6), checked over every test of the run:

- network: no connection to, and no name lookup of, a non-loopback address, in this process (an audit
  hook) or in a Python subprocess that inherits PYTHONPATH (tests/netguard_site/sitecustomize.py);
  reported at the end of the run, naming the test.
- secrets: no secret known to a live local cloud in a test's captured stdout, stderr, log or exception;
  such a test fails, naming the kind of secret and where, and the text shown is redacted.
- scope: every RAM write sharetrust made (User-Agent `sharetrust/`) to any local cloud touches only the
  two share roles and sharetrust's own policies; a whole-suite run that saw none of them fails too.

The logic lives in tests/guards.py; this file only wires it into pytest.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Generator
from pathlib import Path
from typing import Any

import fc2
import pytest

from localcloud.requestlog import LoggedRequest, RequestLog
from localcloud.server import LocalCloud
from tests import guards

pytest_plugins = ["pytester"]  # tests/test_guards.py runs pytest on a suite of its own

NETWORK = guards.NetworkGuard()
SCOPE = guards.ScopeTally()
_CLOUDS: list[LocalCloud] = []  # started and not yet let go: their secrets are the ones looked for
_REPORTED: set[str] = set()  # leaks this test has already failed for
_state: dict[str, Any] = {"audit_installed": False, "child_log": None}
# The aliyun-fc2 SDK logs every 4xx at ERROR with the request headers, x-fc-security-token included.
# Only tests call FC through it (sharetrust never imports fc2), so its records are not scanned.
_UNSCANNED_LOGGERS = (str(Path(fc2.__file__).resolve().parent),)


class _LogWatch(logging.Handler):
    """Every log record of the running test, as the captured log shows it, by logger."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[tuple[str, str, str]] = []  # (file that logged, logger name, formatted text)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.records.append((record.pathname, record.name, self.format(record)))
        except Exception:
            self.handleError(record)

    def scanned(self) -> dict[str, str]:
        """The text each logger wrote during this test, leaving out the loggers not scanned."""
        by_logger: dict[str, list[str]] = {}
        for path, name, text in list(self.records):
            if not path.startswith(_UNSCANNED_LOGGERS):
                by_logger.setdefault(name, []).append(text)
        return {name: "\n".join(texts) for name, texts in by_logger.items()}


LOGS = _LogWatch()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    NETWORK.audit(event, args)


def pytest_configure(config: pytest.Config) -> None:
    if not _state["audit_installed"]:  # an audit hook cannot be removed: install it once per process
        sys.addaudithook(_audit)
        _state["audit_installed"] = True
    patch = pytest.MonkeyPatch()
    config.add_cleanup(patch.undo)

    original_init = LocalCloud.__init__

    def tracked_init(self: LocalCloud, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        _CLOUDS.append(self)

    original_add = RequestLog.add

    def tallied_add(self: RequestLog, **fields: Any) -> None:
        original_add(self, **fields)
        SCOPE.add(LoggedRequest(0, 0.0, **fields), NETWORK.current)

    patch.setattr(LocalCloud, "__init__", tracked_init)
    patch.setattr(RequestLog, "add", tallied_add)
    logging.getLogger().addHandler(LOGS)
    config.add_cleanup(lambda: logging.getLogger().removeHandler(LOGS))

    # Subprocesses: they load tests/netguard_site/sitecustomize.py, which appends to this file.
    handle, child_log = tempfile.mkstemp(prefix="sharetrust-netguard-", suffix=".log")
    os.close(handle)
    _state["child_log"] = child_log
    config.add_cleanup(lambda: Path(child_log).unlink(missing_ok=True))
    site = str(Path(__file__).resolve().parent / "netguard_site")
    patch.setenv("SHARETRUST_NETGUARD_LOG", child_log)
    patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [site, os.environ.get("PYTHONPATH")])))


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    NETWORK.current = nodeid
    LOGS.records.clear()
    _REPORTED.clear()


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    NETWORK.current = guards.OUTSIDE


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    secrets: dict[str, str] = {}
    for cloud in _CLOUDS:
        secrets.update(guards.cloud_secrets(cloud.cloud))
    found = [
        f"{kind} in the captured log of logger {name!r}"
        for name, text in LOGS.scanned().items()
        for kind in guards.secrets_in(text, secrets)
    ]
    sections: list[tuple[str, str]] = []
    for title, content in report.sections:
        if not title.startswith("Captured log"):  # scanned above, record by record
            found += [f"{kind} in {title!r}" for kind in guards.secrets_in(content, secrets)]
        sections.append((title, guards.redact(content, secrets)))  # whatever is shown, no secret in it
    report.sections = sections
    exception = report.longreprtext if report.longrepr is not None else ""
    leaked = guards.secrets_in(exception, secrets)
    if leaked:
        found += [f"{kind} in the {call.when} exception" for kind in leaked]
        report.longrepr = exception = guards.redact(exception, secrets)
    found = [where for where in found if where not in _REPORTED]  # output accumulates over the phases
    _REPORTED.update(found)
    if found:
        message = "secret leaked into the test's output (shown redacted):\n  " + "\n  ".join(found)
        report.longrepr = f"{exception}\n\n{message}" if exception else message
        report.outcome = "failed"
    if call.when == "teardown":
        _CLOUDS.clear()  # every test makes its own clouds; let this one's go
    return report


def _child_records() -> list[str]:
    path = _state["child_log"]
    if not path or not Path(path).exists():
        return []
    return Path(path).read_text(encoding="utf-8").splitlines()


def _whole_suite(session: pytest.Session) -> bool:
    """Only a run of the whole configured suite can be required to have seen sharetrust write."""
    config = session.config
    return (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not config.option.keyword
        and not session.shouldfail
        and not session.shouldstop
    )


def _failures(session: pytest.Session) -> list[str]:
    failures: list[str] = []
    network = NETWORK.seen + _child_records()
    if network:
        counted = Counter(network)
        failures.append("connections to or lookups of non-loopback addresses:")
        failures += [f"  {line}" + (f" (x{n})" if n > 1 else "") for line, n in counted.items()]
    if SCOPE.violations:
        failures.append("sharetrust RAM writes outside the share roles and its own policies:")
        failures += [f"  {line}" for line in SCOPE.violations]
    if SCOPE.writes == 0 and _whole_suite(session):
        failures.append("no sharetrust RAM write was seen in the whole suite: the scope check proved nothing")
    return failures


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _state["failures"] = _failures(session)
    if _state["failures"] and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    failures: list[str] = _state.get("failures", [])
    terminalreporter.section("suite guards", red=bool(failures), green=not failures)
    terminalreporter.line(f"sharetrust RAM writes checked for scope: {SCOPE.writes}")
    for line in failures:
        terminalreporter.line(line, red=True)
    if not failures:
        terminalreporter.line("no non-loopback connection or lookup; no out-of-scope sharetrust RAM write")
