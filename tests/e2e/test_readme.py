"""The README's CLI example, run line by line as a newcomer would copy it (only the port is changed,
to a free one): the first terminal serves the demo estate, the second converges a share made before
sharetrust was installed, and the sharee goes from "no" to "yes"."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.localcloud.conftest import first_line

ROOT = Path(__file__).resolve().parents[2]
README_PORT = "8765"
GUARD = 120  # seconds; only so that a hang fails the test instead of hanging the suite


def example(terminal: str) -> list[str]:
    """The non-empty lines of the README's sh block after `<!-- readme-cli-example: <terminal> -->`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text.split(f"<!-- readme-cli-example: {terminal} -->", 1)[1]
    body = after.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in body.splitlines() if line.strip()]


def newcomer_shell() -> dict[str, str]:
    """A fresh terminal: none of sharetrust's settings, credentials or proxies."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHARETRUST_", "ALIBABA_CLOUD_"))}
    env = {k: v for k, v in env.items() if k.lower() not in ("http_proxy", "https_proxy")}
    if not (ROOT / ".venv/bin/python").exists():  # run outside `make`: the running interpreter's bin
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def localize(line: str, port: str) -> str:
    line = line.replace(README_PORT, port)
    if not (ROOT / ".venv/bin/python").exists():
        line = line.replace(".venv/bin/", "")
    return line


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def test_the_readme_cli_example_works_as_written() -> None:
    port = free_port()
    (serve,) = example("terminal 1")
    server = subprocess.Popen(
        ["bash", "-c", f"exec {localize(serve, port)}"],
        cwd=ROOT,
        env=newcomer_shell(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = first_line(server, GUARD)
        assert first.startswith(f"localcloud listening on http://127.0.0.1:{port}"), first
        exports: list[str] = []
        results: list[subprocess.CompletedProcess[str]] = []
        for line in example("terminal 2"):
            if line.startswith("export "):
                exports.append(localize(line, port))
                continue
            results.append(
                subprocess.run(
                    ["bash", "-c", "\n".join([*exports, localize(line, port)])],
                    cwd=ROOT,
                    env=newcomer_shell(),
                    capture_output=True,
                    text=True,
                    timeout=GUARD,
                    check=False,
                )
            )
    finally:
        server.terminate()
        server.communicate(timeout=GUARD)
    before, dry_run, real, after = results
    assert before.returncode == 1 and before.stdout.startswith("no (trust)"), before
    planned = json.loads(dry_run.stdout)
    assert dry_run.returncode == 0 and planned["dry_run"] is True, dry_run.stderr
    assert planned["principals_added"] == ["account:3456789012345678"]
    assert all(role["writes"] == [] for role in planned["roles"])
    done = json.loads(real.stdout)
    assert real.returncode == 0 and done["ok"] is True, real.stderr
    image_role = next(role for role in done["roles"] if role["kind"] == "image")
    assert image_role["writes"] == [
        "CreatePolicy sharetrust-image-share-keys",
        "AttachPolicyToRole sharetrust-image-share-keys",
        "UpdateRole AliyunECSShareEncryptImageDefaultRole",
    ]
    assert after.returncode == 0 and after.stdout.startswith("yes"), after
    assert server.returncode == 0
