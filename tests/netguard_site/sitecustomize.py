"""Imported by Python at start-up in every subprocess of the test suite that inherits its PYTHONPATH
(tests/conftest.py puts this directory first): an audit hook cannot follow a child process, so the
child installs its own and appends what it sees to the file the suite reads at its end."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

_LOG = os.environ.get("SHARETRUST_NETGUARD_LOG")


def _install(log: str) -> None:
    spec = importlib.util.spec_from_file_location("_sharetrust_netguard", Path(__file__).parents[1] / "guards.py")
    if spec is None or spec.loader is None:
        return
    guards = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = guards  # dataclasses look their module up while the class is made
    spec.loader.exec_module(guards)
    test = os.environ.get("PYTEST_CURRENT_TEST", guards.OUTSIDE)

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if not event.startswith("socket."):
            return
        found = guards.destination(event, args)
        if found is not None and not guards.is_local(found[0]):
            command = " ".join(sys.argv)  # read here: at start-up it is not final yet
            with open(log, "a", encoding="utf-8") as out:
                out.write(f"{test} (subprocess {command}): {found[1]}\n")

    sys.addaudithook(audit)


if _LOG:
    _install(_LOG)
