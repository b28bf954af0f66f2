"""The package `make package` builds (deploy/build_package.py) is what Function Compute runs: every native
library in it loads on FC's python3.12 (glibc 2.31, x86_64), it holds no test tool, emulator or operator
SDK, and each handler, loaded from it by a fresh interpreter of the runtime's Python with only what s.yaml
and FC give it, handles a real event against the local cloud: a sharee that could not use an image can.

The package is built once per run. That build is the one step of the suite that reaches a package
registry (pip fetching the pinned wheels into its cache); it runs outside the suite's network guard,
which is there for the cloud traffic the tests make.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deploy import build_package
from localcloud import LocalCloud
from localcloud.fc import _credentials_for
from tests.e2e.conftest import e2e_seed, settle, share_image, usable
from tests.localcloud.conftest import SHAREE, SHARER
from tests.unit.test_s_yaml import raw, resources

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 1200.0  # seconds; a cold pip cache downloads about 30 MB
RUN_TIMEOUT = 120.0  # seconds for one handler run in a fresh interpreter
IMAGE = "m-cmk0001"  # encrypted with a customer master key (tests/localcloud/conftest.py)
CAPTURED: list[tuple[str, bytes]] = []  # (capturing function, payload) as the triggers delivered them


def runtime_version() -> str:
    """The Python of s.yaml's runtime (`python3.12` → `3.12`); all three functions use the same one."""
    runtimes = {props["runtime"] for props in resources().values()}
    assert len(runtimes) == 1, runtimes
    found = re.fullmatch(r"python(\d+\.\d+)", runtimes.pop())
    assert found, runtimes
    return found.group(1)


@dataclass(frozen=True)
class Built:
    path: Path
    python_version: str
    interpreter: str  # a fresh interpreter of `python_version` to load the handlers with
    output: str


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Built:
    version = runtime_version()
    interpreter = build_package.find_interpreter(version)
    if interpreter is None:
        # Not skipped: the package is built for, and loaded by, this interpreter instead.
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        interpreter = sys.executable
        warnings.warn(
            f"no Python {runtime_version()} on this machine: the package is built for and loaded by "
            f"Python {version} ({sys.executable}) instead",
            stacklevel=1,
        )
    out = tmp_path_factory.mktemp("package") / "package"
    environ = {k: v for k, v in os.environ.items() if k != "SHARETRUST_NETGUARD_LOG"}  # see the module doc
    built = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "build_package.py"), "--out", str(out), "--python-version", version],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert built.stderr == "", built.stderr
    return Built(out, version, interpreter, built.stdout)


# --- what is in it ---------------------------------------------------------------------------------


def test_every_native_library_loads_on_the_runtime(package: Built) -> None:
    assert build_package.compatibility_problems(package.path, package.python_version) == []
    native = [p for p in package.path.rglob("*.so") if p.is_file()]
    assert native, "no native library found: the check above checked nothing"
    # cryptography is what a current machine gets wrong (manylinux_2_34): its wheel must be an older one.
    wheel = next(package.path.glob("cryptography-*.dist-info")) / "WHEEL"
    tags = [line[4:].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")]
    assert tags and all("manylinux_2_34" not in tag for tag in tags), tags


def test_the_check_names_what_would_not_load(tmp_path: Path) -> None:
    """The same check on a folder holding what this machine's venv has: cp311 wheels and cryptography's
    manylinux_2_34 library. Every kind of problem is reported, naming the file."""
    venv = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    library = next(venv.glob("cryptography/hazmat/bindings/_rust*.so"))
    (tmp_path / "cryptography" / "hazmat").mkdir(parents=True)
    shutil.copy(library, tmp_path / "cryptography" / "hazmat" / library.name)
    extension = next(venv.glob("regex/_regex.*.so"))
    shutil.copy(extension, tmp_path / "_regex.cpython-39-x86_64-linux-gnu.so")
    shutil.copy(extension, tmp_path / "_regex.so")
    (tmp_path / "not_elf.abi3.so").write_bytes(b"#!/bin/sh\n")
    info = tmp_path / "lz4-4.4.5.dist-info"
    info.mkdir()
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nTag: cp312-cp312-musllinux_1_2_x86_64\n")
    (tmp_path / "ok-1.dist-info").mkdir()
    (tmp_path / "ok-1.dist-info" / "WHEEL").write_text("Tag: cp312-cp312-manylinux_2_28_x86_64\nTag: py3-none-any\n")

    problems = build_package.compatibility_problems(tmp_path, "3.12")

    glibc = [p for p in problems if p.startswith(f"cryptography/hazmat/{library.name}: needs GLIBC_2.3")]
    # Which symbols this machine's build needs depends on its wheel: only when it needs more than 2.31.
    required = build_package.required_symbol_versions(library.read_bytes())[1]
    assert bool(glibc) == any((build_package._glibc(v) or (0, 0)) > (2, 31) for v in required)
    assert "_regex.cpython-39-x86_64-linux-gnu.so: built for CPython 3.9, not 3.12" in problems
    assert "_regex.so: an extension module whose file name names no CPython ABI" in problems
    assert any(p.startswith("not_elf.abi3.so: unreadable as an x86-64 ELF library") for p in problems)
    assert any(p.startswith("lz4-4.4.5.dist-info/WHEEL: tags cp312-cp312-musllinux_1_2_x86_64") for p in problems)
    assert not any(p.startswith("ok-1.dist-info") for p in problems)


def tiny_elf(versions: list[str], machine: int = 62) -> bytes:
    """A 64-bit little-endian ELF shared object with no code: a .dynstr and a .gnu.version_r needing
    `versions` of libc.so.6."""
    strings = b"\0libc.so.6\0"
    offsets = []
    for version in versions:
        offsets.append(len(strings))
        strings += version.encode() + b"\0"
    needed = struct.pack("<HHIII", 1, len(versions), 1, 16, 0)
    for i, at in enumerate(offsets):
        needed += struct.pack("<IHHII", 0, 0, i + 2, at, 16 if i < len(offsets) - 1 else 0)
    strings_at, needed_at = 64, 64 + len(strings)
    sections_at = needed_at + len(needed)
    header = struct.pack(
        "<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01", 3, machine, 1, 0, 0, sections_at, 0, 64, 0, 0, 64, 3, 0
    )
    sections = bytes(64) + struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, strings_at, len(strings), 0, 0, 1, 0)
    sections += struct.pack("<IIQQQQIIQQ", 0, 0x6FFFFFFE, 0, 0, needed_at, len(needed), 1, 1, 8, 0)
    return header + strings + needed + sections


def test_the_elf_reader_finds_the_glibc_versions_and_the_machine(tmp_path: Path) -> None:
    wanted = ["GLIBC_2.2.5", "GLIBC_2.14", "GLIBC_2.34"]
    assert build_package.required_symbol_versions(tiny_elf(wanted)) == (62, wanted)
    (tmp_path / "new.cpython-312-x86_64-linux-gnu.so").write_bytes(tiny_elf(wanted))
    (tmp_path / "arm.abi3.so").write_bytes(tiny_elf(["GLIBC_2.17"], machine=183))
    (tmp_path / "fine.abi3.so").write_bytes(tiny_elf(["GLIBC_2.31", "GLIBC_2.3.4", "GLIBCXX_3.4.28", "CXXABI_1.3"]))
    (tmp_path / "cxx.abi3.so").write_bytes(tiny_elf(["GLIBCXX_3.4.30", "CXXABI_1.3.13", "GLIBCXX_3.4"]))

    assert build_package.compatibility_problems(tmp_path, "3.12") == [
        "arm.abi3.so: built for ELF machine 183, not x86-64 (62)",
        "cxx.abi3.so: needs CXXABI_1.3.13; FC's runtime (Debian 11) has at most CXXABI_1.3.12",
        "cxx.abi3.so: needs GLIBCXX_3.4.30; FC's runtime (Debian 11) has at most GLIBCXX_3.4.28",
        "new.cpython-312-x86_64-linux-gnu.so: needs GLIBC_2.34; FC's runtime has glibc 2.31",
    ]


@pytest.mark.parametrize(
    ("tag", "loads"),
    [
        ("py3-none-any", True),
        ("cp312-cp312-manylinux_2_31_x86_64", True),
        ("cp312-cp312-manylinux2014_x86_64", True),
        ("cp38-abi3-manylinux1_x86_64", True),
        ("cp312-cp312-manylinux_2_34_x86_64", False),
        ("cp312-cp312-musllinux_1_2_x86_64", False),
        ("cp312-cp312-manylinux_2_17_aarch64", False),
        ("cp311-cp311-manylinux_2_17_x86_64", False),
        ("cp313-abi3-manylinux_2_17_x86_64", False),
        ("cp312-cp312-linux_x86_64", False),
    ],
)
def test_wheel_tags(tag: str, loads: bool) -> None:
    assert build_package.wheel_tag_ok(tag, (3, 12)) is loads


def test_the_tiny_pyproject_reader_agrees_with_tomllib() -> None:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+: nothing to compare against")
    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert build_package.runtime_requirements(ROOT / "pyproject.toml") == document["project"]["dependencies"]


def test_only_the_runtime_dependencies_ship(package: Built) -> None:
    assert build_package.forbidden_distributions(package.path) == []
    installed = {
        build_package.normalized(d.name): d.version for d in build_package.installed_distributions(package.path)
    }
    for name in ("pytest", "hypothesis", "ruff", "mypy", "pyyaml", "localcloud", "aliyun-fc2"):
        assert name not in installed, name
    assert not (package.path / "localcloud").exists() and not (package.path / "tests").exists()
    locked = build_package.locked_versions(ROOT / "requirements.lock")
    assert installed and all(locked[name] == version for name, version in installed.items())
    listed = (package.path / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = {build_package.normalized(line.split("==")[0]): line.split("==")[1] for line in listed if "==" in line}
    assert pins == installed


def test_each_handler_of_s_yaml_is_a_file_at_the_root(package: Built) -> None:
    for name, props in resources().items():
        assert props["code"] == "./build/package", name
        module, _, function = props["handler"].partition(".")
        source = package.path / f"{module}.py"
        assert source.is_file(), f"{name}: {source} missing"
        assert re.search(rf"^def {function}\(", source.read_text(encoding="utf-8"), re.MULTILINE), name
    assert (package.path / "sharetrust" / "__init__.py").is_file()


def test_bytecode_is_compiled_for_the_runtime(package: Built) -> None:
    tag = f"cpython-{package.python_version.replace('.', '')}"
    sources = [*package.path.glob("*.py"), *(package.path / "sharetrust").rglob("*.py")]
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert compiled.is_file(), compiled
        # Flags 0b01: hash-based and not checked against the source, whose mtime unzipping changes.
        assert compiled.read_bytes()[4:8] == b"\x01\x00\x00\x00", compiled
    other_versions = [p for p in package.path.rglob("*.pyc") if f".{tag}." not in p.name]
    assert other_versions == [], other_versions[:5]


# --- loaded as FC loads it -------------------------------------------------------------------------

RUNNER = r'''
"""Loads a handler the way FC's Python runtime does: the code folder on sys.path, the module by its file
name, handler(event bytes, context). Prints one JSON line: the result and where every module came from."""
import importlib, json, logging, sys

with open(sys.argv[1], encoding="utf-8") as handle:
    job = json.load(handle)
sys.path.insert(0, job["code"])


class Fields:
    def __init__(self, fields):
        self.__dict__.update(fields)


result = None
for name in job["imports"]:  # modules to import, and nothing else
    importlib.import_module(name)
if job["handler"]:
    context = Fields(job["context"])  # python3.12: no `credentials` (events.md §5); they are in the environment
    context.function = Fields(job["context"]["function"])
    context.logger = logging.getLogger()
    with open(job["event"], "rb") as handle:
        event = handle.read()
    result = importlib.import_module(job["handler"]).handler(event, context)
files = {getattr(m, "__file__", None) for m in list(sys.modules.values())}
origins = sorted(f for f in files if f and f != __file__)  # this runner may be in sys.modules twice
print("RUNNER " + json.dumps({"result": result, "sys_path": sys.path, "origins": origins}))
'''


@dataclass(frozen=True)
class Run:
    result: Any
    sys_path: list[str]
    origins: list[str]
    stdout: str


def stdlib_dirs(interpreter: str) -> list[str]:
    probe = subprocess.run(
        [interpreter, "-I", "-S", "-c", "import json, sys; print(json.dumps(sys.path))"],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=True,
    )
    return [p for p in json.loads(probe.stdout) if p]


def run_in_fresh_interpreter(
    package: Built,
    scratch: Path,
    environ: dict[str, str],
    *,
    handler: str = "",
    event: bytes = b"",
    context: dict[str, Any] | None = None,
    imports: list[str] | None = None,
) -> Run:
    runner = scratch / "fc_runner.py"
    runner.write_text(RUNNER, encoding="utf-8")
    name = uuid.uuid4().hex
    (scratch / f"{name}.event").write_bytes(event)
    job = {
        "code": str(package.path),
        "handler": handler,
        "event": str(scratch / f"{name}.event"),
        "context": context or {},
        "imports": imports or [],
    }
    (scratch / f"{name}.json").write_text(json.dumps(job), encoding="utf-8")
    # -I: no PYTHONPATH, no user site, no script folder on sys.path; -S: no site-packages at all (a pyenv
    # Python has its own); -B: FC's code folder is read-only, nothing is written into the package.
    done = subprocess.run(
        [package.interpreter, "-I", "-S", "-B", str(runner), str(scratch / f"{name}.json")],
        cwd=package.path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{handler or imports} failed in a fresh interpreter:\n{done.stdout}\n{done.stderr}"
    line = next(line for line in done.stdout.splitlines() if line.startswith("RUNNER "))
    found = json.loads(line[len("RUNNER ") :])
    return Run(found["result"], found["sys_path"], found["origins"], done.stdout)


def assert_isolated(run: Run, package: Built, *, handler: bool = True) -> None:
    """Every module came from the package or from the interpreter's standard library."""
    allowed = (str(package.path), *stdlib_dirs(package.interpreter))
    assert run.sys_path[0] == str(package.path), run.sys_path
    assert all(p.startswith(allowed) for p in run.sys_path), run.sys_path
    outside = [origin for origin in run.origins if not origin.startswith(allowed)]
    assert outside == [], outside
    assert not any("site-packages" in origin for origin in run.origins)
    if handler:
        assert any(origin.startswith(str(package.path / "sharetrust")) for origin in run.origins), run.origins


def test_every_extension_module_imports_in_a_fresh_interpreter(package: Built, tmp_path: Path) -> None:
    names = sorted(
        ".".join(p.relative_to(package.path).with_suffix("").with_suffix("").parts)
        for p in package.path.rglob("*.so")
        if not p.parent.name.endswith(".libs") and not p.name.startswith("lib")
    )
    assert "cryptography.hazmat.bindings._rust" in names, names
    run = run_in_fresh_interpreter(package, tmp_path, {"PATH": "/usr/bin:/bin"}, imports=names)
    loaded = {o for o in run.origins if o.endswith(".so")}
    assert all(any(o.startswith(str(package.path / n.replace(".", "/"))) for o in loaded) for n in names), loaded
    assert_isolated(run, package, handler=False)


def capture(event: bytes, context: Any) -> str:
    """Stands in for sharetrust on the seeded triggers: keeps what EventBridge or Log Service delivered."""
    CAPTURED.append((context.function.name, bytes(event)))
    return "captured"


CAPTURE_HANDLER = f"{__name__}.capture"


def capture_seed() -> dict[str, Any]:
    """The e2e estate with s.yaml's triggers (EventBridge rules, the trail's Log Service trigger) aimed
    at `capture`, so that only the packaged handler, run by the test, acts on the events."""
    seed = e2e_seed()
    sharer = seed["accounts"][0]
    for trigger in sharer["triggers"]:
        name = f"capture-{trigger['type']}"
        trigger["function"] = ["sharetrust", name]
        if all(f["name"] != name for f in sharer["functions"]):
            sharer["functions"].append(
                {"service": "sharetrust", "name": name, "runtime": "python3.12", "handler": CAPTURE_HANDLER}
            )
    return seed


@pytest.fixture
def seed() -> dict[str, Any]:
    return capture_seed()


@pytest.fixture
def captured() -> Iterator[list[tuple[str, bytes]]]:
    CAPTURED.clear()
    yield CAPTURED
    CAPTURED.clear()


def function_environment(lc: LocalCloud, resource: str, scratch: Path) -> dict[str, str]:
    """What FC gives the function: s.yaml's environmentVariables, FC's own variables and the role's STS
    credentials (events.md §5), plus SHARETRUST_ENDPOINT, the one switch pointing at the local cloud."""
    props = resources()[resource]
    role = str(props["role"]).rsplit("/", 1)[-1]
    function = next(f for f in lc.cloud.functions.values() if f.account_uid == SHARER and f.role == role)
    credentials = _credentials_for(lc.cloud, function, str(uuid.uuid4()))
    assert credentials is not None
    environ = {str(k): str(v) for k, v in (props.get("environmentVariables") or {}).items()}
    environ.update(
        {
            "FC_FUNC_CODE_PATH": "/code",
            "FC_ACCOUNT_ID": SHARER,
            "FC_REGION": str(props["region"]),
            "FC_FUNCTION_NAME": str(props["functionName"]),
            "FC_FUNCTION_HANDLER": str(props["handler"]),
            "FC_FUNCTION_MEMORY_SIZE": str(props["memorySize"]),
            "FC_QUALIFIER": "LATEST",
            "FC_INSTANCE_ID": uuid.uuid4().hex,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": credentials.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": credentials.access_key_secret,
            "ALIBABA_CLOUD_SECURITY_TOKEN": credentials.security_token,
            "SHARETRUST_ENDPOINT": lc.url,
            "HOME": str(scratch),
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        }
    )
    return environ


def function_context(resource: str) -> dict[str, Any]:
    """FC 3.0's python3.12 context (events.md §5), as JSON for the runner."""
    props = resources()[resource]
    return {
        "request_id": str(uuid.uuid4()),
        "region": str(props["region"]),
        "account_id": SHARER,
        "log_project": str(props["logConfig"]["project"]),
        "log_store": str(props["logConfig"]["logstore"]),
        "function": {
            "name": str(props["functionName"]),
            "handler": str(props["handler"]),
            "memory": int(props["memorySize"]),
            "timeout": int(props["timeout"]),
            "version_id": "",
            "qualifier": "LATEST",
        },
    }


def run_handler(lc: LocalCloud, package: Built, scratch: Path, resource: str, event: bytes) -> Run:
    module = str(resources()[resource]["handler"]).partition(".")[0]
    environ = function_environment(lc, resource, scratch)
    run = run_in_fresh_interpreter(
        package, scratch, environ, handler=module, event=event, context=function_context(resource)
    )
    assert_isolated(run, package)
    return run


def shared_but_unusable(lc: LocalCloud, captured: list[tuple[str, bytes]]) -> None:
    assert not usable(lc, SHAREE, IMAGE)
    share_image(lc, IMAGE, SHAREE)
    settle(lc)
    assert not usable(lc, SHAREE, IMAGE), "something other than the packaged handler acted on the share"


def test_on_share_event_from_the_package_handles_the_eventbridge_event(
    lc: LocalCloud, package: Built, captured: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    shared_but_unusable(lc, captured)
    events = [payload for name, payload in captured if name == "capture-eventbridge"]
    assert len(events) == 1, [json.loads(e).get("type") for e in events]
    assert json.loads(events[0])["data"]["eventName"] == "ModifyImageSharePermission"

    run = run_handler(lc, package, tmp_path, "on-share-event", events[0])

    assert usable(lc, SHAREE, IMAGE), run.stdout
    assert json.loads(run.result)["ok"] is True, run.result


def test_on_trail_logs_from_the_package_pulls_and_handles_the_trail(
    lc: LocalCloud, package: Built, captured: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    shared_but_unusable(lc, captured)
    batches = [payload for name, payload in captured if name == "capture-log"]
    assert batches, "the trail's Log Service trigger delivered nothing"

    runs = [run_handler(lc, package, tmp_path, "on-trail-logs", batch) for batch in batches]

    assert usable(lc, SHAREE, IMAGE), [run.stdout for run in runs]
    assert all(json.loads(run.result)["ok"] is True for run in runs), [run.result for run in runs]


def test_reconcile_from_the_package_converges_on_the_timer(
    lc: LocalCloud, package: Built, captured: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    shared_but_unusable(lc, captured)
    timer = raw()["resources"]["reconcile"]["props"]["triggers"][0]
    event = {"triggerTime": "2026-01-01T00:00:00Z", "triggerName": timer["triggerName"], "payload": ""}

    run = run_handler(lc, package, tmp_path, "reconcile", json.dumps(event).encode())

    assert usable(lc, SHAREE, IMAGE), run.stdout
    assert json.loads(run.result)["ok"] is True, run.result


@pytest.mark.parametrize("resource", ["on-share-event", "on-trail-logs", "reconcile"])
def test_each_handler_from_the_package_answers_the_probe(
    lc: LocalCloud, package: Built, tmp_path: Path, resource: str
) -> None:
    """What `sharetrust invoke` sends: from the package alone every SDK imports, the role's credentials work
    and the APIs answer; nothing is written."""
    before = lc.requests.counts(writes_only=True)

    run = run_handler(lc, package, tmp_path, resource, b'{"sharetrust": "probe"}')

    answer = json.loads(run.result)
    assert answer["probe"] == "ok", answer
    assert answer["python"].startswith(package.python_version), answer["python"]
    pins = dict(line.split("==") for line in (package.path / "requirements.txt").read_text().split() if "==" in line)
    assert answer["sdks"] and all(pins.get(name) == version for name, version in answer["sdks"].items()), answer["sdks"]
    assert lc.requests.counts(writes_only=True) == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--python-version", "3x"], "make package: --python-version must look like 3.12, got '3x'"),
        (
            ["--out", "{other}"],
            "make package: refusing to replace {other}: it is not empty and holds no on_share_event.py",
        ),
    ],
)
def test_a_build_that_cannot_start_says_why_in_one_line(tmp_path: Path, arguments: list[str], message: str) -> None:
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    done = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "build_package.py"), *(a.format(other=other) for a in arguments)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(message.format(other=other)) and done.stderr.count("\n") == 1, done.stderr
    assert (other / "keep.txt").read_text() == "mine"
