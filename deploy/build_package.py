"""Builds the folder Function Compute runs: `build/package/` (s.yaml's `code:`).

    python deploy/build_package.py [--out DIR] [--python-version 3.12]

At its root: the three handler files (FC's documented `file.function` form), the `sharetrust` library and
the runtime dependencies only (pyproject `[project] dependencies`, pinned by requirements.lock), with a
requirements.txt naming what was installed and bytecode compiled for the runtime's Python.

FC's python3.12 runtime runs on Debian 11: glibc 2.31, x86_64 (production-facts.md, "Function Compute
3.0"). A wheel built for a newer glibc (a current machine picks cryptography's manylinux_2_34 wheel) does
not load there, so wheels are selected for that platform explicitly, and every native library in the
result is checked (`compatibility_problems`): the build fails naming the file that would not load.

Standard library only, and runs on Python 3.10-3.12: it must work before any dependency is installed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "package"
DEFAULT_PYTHON = "3.12"  # s.yaml's runtime: python3.12
HANDLER_FILES = ("on_share_event.py", "on_trail_logs.py", "reconcile.py")

# FC python3.12: Debian 11, glibc 2.31, x86_64 (production-facts.md).
GLIBC = (2, 31)
# The C++ runtime beside it: Debian 11's libstdc++6 is GCC 10's (GLIBCXX_3.4.28, CXXABI_1.3.12). A wheel's
# library needing a newer one (linked against a newer libstdc++ without bundling it) would not load either.
RUNTIME_SYMBOL_VERSIONS = {"GLIBCXX": (3, 4, 28), "CXXABI": (1, 3, 12)}
ARCH = "x86_64"
# pip does not widen a manylinux_2_X platform to the older ones it implies (it does so only for
# manylinux2014/2010), so every compatible glibc is named, newest first: pip prefers earlier platforms.
# manylinux2014 is manylinux_2_17; pip widens it to manylinux2010 (2_12) and manylinux1 (2_5).
PLATFORMS = (*(f"manylinux_2_{minor}_{ARCH}" for minor in range(GLIBC[1], 16, -1)), f"manylinux2014_{ARCH}")

# Never in the package: test tools, the emulator, the operator-only SDKs (no function imports them; FC 3.0's
# is a runtime dependency: the timer reconcile's fan-out to member accounts invokes the function), and
# the packaging tools themselves. A runtime dependency that needed one would fail the build: decide then.
FORBIDDEN = frozenset(
    {
        "pytest",
        "hypothesis",
        "ruff",
        "mypy",
        "types-pyyaml",
        "pyyaml",
        "localcloud",
        "sharetrust",  # the library ships as source at the root, not as an installed distribution
        "aliyun-fc2",
        "alibabacloud-actiontrail20200706",
        "pip",
        "setuptools",
        "wheel",
    }
)

PIP_TIMEOUT = 900.0  # seconds per pip run: a cold cache downloads about 30 MB of wheels
COMPILE_TIMEOUT = 300.0
PROBE_TIMEOUT = 30.0


class BuildError(Exception):
    """One line saying what failed and what to do."""


# --- reading pyproject and the lock ----------------------------------------------------------------


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


_TOML_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(#.*)')


def runtime_requirements(pyproject: Path) -> list[str]:
    """`[project] dependencies` of pyproject.toml: a list of double-quoted strings (tomllib is 3.11+).

    Reads only that key; fails loudly on any other shape rather than guessing.
    """
    text = pyproject.read_text(encoding="utf-8")
    section = re.search(r"^\[project\][ \t]*$(.*?)(?=^\[)", text + "\n[", re.MULTILINE | re.DOTALL)
    start = re.search(r"^dependencies\s*=\s*\[", section.group(1), re.MULTILINE) if section else None
    if section is None or start is None:
        raise BuildError(f"{pyproject}: no [project] dependencies list found")
    found: list[str] = []
    for line in section.group(1)[start.end() :].splitlines():
        code = line
        for match in _TOML_TOKEN.finditer(line):
            if match.group(2) is not None:  # a comment: the rest of the line
                code = line[: match.start()]
                break
            found.append(match.group(1))
        if "]" in _TOML_TOKEN.sub("", code):
            return found
    raise BuildError(f"{pyproject}: the [project] dependencies list is not closed")


def locked_versions(lock: Path) -> dict[str, str]:
    """requirements.lock: normalized name → exact version."""
    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, separator, version = line.partition("==")
            if not separator:
                raise BuildError(f"{lock}: {line!r} is not an exact pin (name==version)")
            pins[normalized(name.strip())] = version.strip()
    return pins


# --- the compatibility check ------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    dist_info: Path


def installed_distributions(package: Path) -> list[Distribution]:
    found = []
    for dist_info in sorted(package.glob("*.dist-info")):
        name = version = ""
        for line in (dist_info / "METADATA").read_text(encoding="utf-8", errors="replace").splitlines():
            if not line:
                break  # the headers end at the first empty line
            if line.startswith("Name:"):
                name = line[5:].strip()
            elif line.startswith("Version:"):
                version = line[8:].strip()
        found.append(Distribution(name or dist_info.name, version, dist_info))
    return found


def _interpreter_ok(interpreter: str, abi: str, python: tuple[int, int]) -> bool:
    if interpreter.startswith("py"):  # py3, py312: pure Python
        return interpreter in ("py3", f"py{python[0]}{python[1]}") and abi == "none"
    match = re.fullmatch(r"cp(\d)(\d+)", interpreter)
    if match is None:
        return False
    version = (int(match.group(1)), int(match.group(2)))
    if abi == "abi3":  # the stable ABI: built for this version or an older 3.x
        return version[0] == 3 and version <= python
    return version == python and abi in (f"cp{python[0]}{python[1]}", "none")


def _platform_ok(platform: str) -> bool:
    if platform == "any":
        return True
    legacy = {f"manylinux1_{ARCH}": (2, 5), f"manylinux2010_{ARCH}": (2, 12), f"manylinux2014_{ARCH}": (2, 17)}
    if platform in legacy:
        return legacy[platform] <= GLIBC
    match = re.fullmatch(rf"manylinux_(\d+)_(\d+)_{ARCH}", platform)
    return match is not None and (int(match.group(1)), int(match.group(2))) <= GLIBC


def wheel_tag_ok(tag: str, python: tuple[int, int]) -> bool:
    """One `Tag:` of a WHEEL file: loads on CPython `python`, glibc <= 2.31, x86_64."""
    parts = tag.split("-")
    return len(parts) == 3 and _interpreter_ok(parts[0], parts[1], python) and _platform_ok(parts[2])


_ELF_MAGIC = b"\x7fELF"
_EM_X86_64 = 62
_SHT_GNU_VERNEED = 0x6FFFFFFE


def required_symbol_versions(data: bytes) -> tuple[int, list[str]]:
    """(e_machine, the versions an ELF file needs from other libraries: `GLIBC_2.17`, ...), read from
    its `.gnu.version_r` section (SHT_GNU_verneed). Only 64-bit little-endian ELF (x86-64's)."""
    if data[:4] != _ELF_MAGIC:
        raise ValueError("not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (machine,) = struct.unpack_from("<H", data, 18)
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    versions: list[str] = []
    for _name, kind, _flags, _addr, offset, _size, link, count, _align, _entsize in sections:
        if kind != _SHT_GNU_VERNEED:
            continue
        strings = sections[link][4]  # the linked string table (.dynstr): its file offset

        def text(at: int, strings: int = strings) -> str:
            end = data.index(b"\0", strings + at)
            return data[strings + at : end].decode("ascii", "replace")

        entry = offset
        for _ in range(count):
            _version, aux_count, _file, aux, next_entry = struct.unpack_from("<HHIII", data, entry)
            at = entry + aux
            for _ in range(aux_count):
                _hash, _aux_flags, _other, name, next_aux = struct.unpack_from("<IHHII", data, at)
                versions.append(text(name))
                at += next_aux
            entry += next_entry
    return machine, versions


def _glibc(symbol_version: str) -> tuple[int, int] | None:
    """(2, 34) for `GLIBC_2.34` (and for `GLIBC_2.3.4`, (2, 3)); None for other libraries' versions."""
    found = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)*", symbol_version)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _newer_than_runtime(symbol_version: str) -> str | None:
    """`GLIBCXX_3.4.28` when `symbol_version` (e.g. `GLIBCXX_3.4.30`) needs more than FC's runtime has."""
    found = re.fullmatch(r"([A-Z]+)_(\d+(?:\.\d+)*)", symbol_version)
    if found is None or found.group(1) not in RUNTIME_SYMBOL_VERSIONS:
        return None
    have = RUNTIME_SYMBOL_VERSIONS[found.group(1)]
    need = tuple(int(part) for part in found.group(2).split("."))
    return f"{found.group(1)}_{'.'.join(map(str, have))}" if need > have else None


def _is_shared_object(path: Path) -> bool:
    return re.search(r"\.so(\.\d+)*$", path.name) is not None


def _extension_abi_problem(path: Path, python: tuple[int, int]) -> str | None:
    """An extension module's file name carries its CPython ABI; a bundled library (`*.libs/`,
    `lib*.so*`) carries none and is loaded by an extension module, not by Python."""
    name = path.name
    tagged = re.search(r"\.(cpython-(\d)(\d+)-([\w-]+)|abi3)\.so$", name)
    if tagged is None:
        if path.parent.name.endswith(".libs") or name.startswith("lib"):
            return None
        return "an extension module whose file name names no CPython ABI"
    if tagged.group(1) == "abi3":
        return None
    if (int(tagged.group(2)), int(tagged.group(3))) != python:
        return f"built for CPython {tagged.group(2)}.{tagged.group(3)}, not {python[0]}.{python[1]}"
    if tagged.group(4) != f"{ARCH}-linux-gnu":
        return f"built for {tagged.group(4)}, not {ARCH}-linux-gnu"
    return None


def compatibility_problems(package: Path, python_version: str = DEFAULT_PYTHON) -> list[str]:
    """Every reason a native library in `package` would not load on FC's runtime (CPython
    `python_version`, glibc 2.31, x86_64), one line each naming the file; empty when all load."""
    python = _version_tuple(python_version)
    problems: list[str] = []
    for wheel in sorted(package.glob("*.dist-info/WHEEL")):
        tags = [line[4:].strip() for line in wheel.read_text(encoding="utf-8").splitlines() if line.startswith("Tag:")]
        if not tags:
            problems.append(f"{wheel.relative_to(package)}: no Tag line")
        elif not any(wheel_tag_ok(tag, python) for tag in tags):
            problems.append(
                f"{wheel.relative_to(package)}: tags {', '.join(tags)} do not load on CPython {python_version}, "
                f"glibc <= {GLIBC[0]}.{GLIBC[1]}, {ARCH}"
            )
    for path in sorted(p for p in package.rglob("*") if p.is_file() and _is_shared_object(p)):
        where = path.relative_to(package)
        try:
            machine, versions = required_symbol_versions(path.read_bytes())
        except (ValueError, struct.error, IndexError) as unreadable:
            problems.append(f"{where}: unreadable as an x86-64 ELF library ({unreadable})")
            continue
        if machine != _EM_X86_64:
            problems.append(f"{where}: built for ELF machine {machine}, not x86-64 ({_EM_X86_64})")
        too_new = sorted({v for v in versions if (_glibc(v) or (0, 0)) > GLIBC}, key=lambda v: _glibc(v) or (0, 0))
        if too_new:
            problems.append(f"{where}: needs {', '.join(too_new)}; FC's runtime has glibc {GLIBC[0]}.{GLIBC[1]}")
        for version in sorted(versions):
            have = _newer_than_runtime(version)
            if have is not None:
                problems.append(f"{where}: needs {version}; FC's runtime (Debian 11) has at most {have}")
        abi = _extension_abi_problem(path, python)
        if abi is not None:
            problems.append(f"{where}: {abi}")
    return problems


def forbidden_distributions(package: Path) -> list[str]:
    """Installed distributions, or top-level folders, that must not ship."""
    found = [f"{d.name} {d.version}" for d in installed_distributions(package) if normalized(d.name) in FORBIDDEN]
    found += [f"{name}/" for name in ("localcloud", "tests", "functions") if (package / name).exists()]
    return found


# --- building ---------------------------------------------------------------------------------------


def _version_tuple(version: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)\.(\d+)", version)
    if match is None:
        raise BuildError(f"--python-version must look like 3.12, got {version!r}")
    return int(match.group(1)), int(match.group(2))


def _run(command: Sequence[str], timeout: float, what: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what} did not finish within {timeout:.0f} s: check the network and try again") from None
    except OSError as error:
        raise BuildError(f"{what}: cannot run {command[0]}: {error.strerror}") from None


def interpreter_version(interpreter: str) -> str | None:
    """`3.12` for a working Python interpreter, None when it does not run."""
    try:
        done = subprocess.run(
            [interpreter, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _candidates(version: str) -> Iterator[str]:
    yield sys.executable
    for root in filter(None, (os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv"))):
        # Newest patch release first: 3.12.10 after 3.12.9 needs a numeric sort.
        found = glob(os.path.join(root, "versions", f"{version}.*", "bin", "python"))
        yield from sorted(
            found, key=lambda p: [int(n) for n in re.findall(r"\d+", Path(p).parents[1].name)], reverse=True
        )
    for name in (f"python{version}",):
        located = shutil.which(name)
        if located:
            yield located
    yield f"/usr/bin/python{version}"
    yield f"/usr/local/bin/python{version}"


def find_interpreter(version: str) -> str | None:
    """A Python of exactly `version` on this machine: this one, pyenv's, or one on PATH."""
    seen: set[str] = set()
    for candidate in _candidates(version):
        if candidate in seen or not os.path.exists(candidate):
            continue
        seen.add(candidate)
        if interpreter_version(candidate) == version:
            return candidate
    return None


def _pip_error(done: subprocess.CompletedProcess[str]) -> str:
    """pip's reason, in one line. pip logs an unreachable index only at debug level: what it shows then is
    that it found nothing to install, which is what a package missing for this platform also looks like."""
    lines = [line.strip() for line in (done.stderr + "\n" + done.stdout).splitlines()]
    for line in lines:
        found = re.match(r"ERROR: (?:Cannot install|No matching distribution found for) ([^\s,]+)", line)
        if found:
            return f"pip found no usable distribution of {found.group(1)}"
    errors = [line for line in lines if line.startswith("ERROR:")]
    return (errors or [line for line in lines if line] or [f"pip exited with status {done.returncode}"])[0]


def _pip(python: str, arguments: Sequence[str], what: str) -> None:
    done = _run([python, "-m", "pip", *arguments], PIP_TIMEOUT, what)
    if done.returncode != 0:
        raise BuildError(
            f"cannot fetch wheels for {what}: {_pip_error(done)}; check the network and pip's index settings"
        )


def _pure_wheelhouse(pip_python: str, requirements: Sequence[str], lock: Path, wheelhouse: Path) -> None:
    """Pure-Python wheels of the whole dependency tree. Several Alibaba Cloud SDKs (aliyun-log-python-sdk,
    alibabacloud-tea, ...) are published as sdists only, which a `--platform` install refuses; built here
    they are py3-none-any wheels. Binary wheels built or fetched for this machine are dropped: the
    install below takes those from the registry for the target platform."""
    _pip(
        pip_python,
        ["wheel", "-q", "--wheel-dir", str(wheelhouse), "-c", str(lock), *requirements],
        "the runtime dependencies (building pure-Python wheels of the sdist-only ones)",
    )
    for wheel in wheelhouse.glob("*.whl"):
        if not wheel.name.endswith("-none-any.whl"):
            wheel.unlink()


def _install(
    pip_python: str, requirements: Sequence[str], lock: Path, wheelhouse: Path, target: Path, python: str
) -> None:
    platforms = [argument for platform in PLATFORMS for argument in ("--platform", platform)]
    abi = "cp" + python.replace(".", "")
    _pip(
        pip_python,
        [
            "install",
            "-q",
            "--target",
            str(target),
            "--no-compile",  # compiled below by the runtime's Python, if this machine has it
            "--only-binary=:all:",
            *platforms,
            "--implementation",
            "cp",
            "--python-version",
            python,
            "--abi",
            abi,
            "--find-links",
            str(wheelhouse),
            "-c",
            str(lock),
            *requirements,
        ],
        f"the runtime dependencies (CPython {python}, glibc <= {GLIBC[0]}.{GLIBC[1]}, {ARCH})",
    )


def _copy_sources(root: Path, staging: Path) -> None:
    for name in HANDLER_FILES:
        source = root / "functions" / name
        if not source.is_file():
            raise BuildError(f"missing handler file {source}")
        shutil.copy2(source, staging / name)
    library = root / "shared" / "sharetrust"
    if not (library / "__init__.py").is_file():
        raise BuildError(f"missing library {library}")
    shutil.copytree(library, staging / "sharetrust", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _check_pins(package: Path, lock: Path, requirements: Sequence[str]) -> list[Distribution]:
    pins = locked_versions(lock)
    installed = installed_distributions(package)
    for dist in installed:
        pinned = pins.get(normalized(dist.name))
        if pinned != dist.version:
            locked = f"locked at {pinned}" if pinned else "not in requirements.lock"
            raise BuildError(f"installed {dist.name} {dist.version}, {locked}: update requirements.lock")
    names = {normalized(d.name) for d in installed}
    for requirement in requirements:
        wanted = normalized(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0])
        if wanted not in names:
            raise BuildError(f"runtime dependency {requirement} was not installed")
    return installed


def _compile(interpreter: str, package: Path) -> None:
    # unchecked-hash: the .pyc is used without comparing the source's mtime, which unzipping on FC
    # changes; only /tmp is writable there (FC "Execution environment",
    # https://www.alibabacloud.com/help/doc-detail/59223.htm), so a stale-looking .pyc would be
    # recompiled in memory on every cold start.
    done = _run(
        [interpreter, "-I", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(package)],
        COMPILE_TIMEOUT,
        "compiling bytecode",
    )
    if done.returncode != 0:
        failed = next((line for line in done.stdout.splitlines() if line.strip()), f"exit status {done.returncode}")
        raise BuildError(f"compiling bytecode with {interpreter} failed: {failed}")


@dataclass
class Package:
    path: Path
    python_version: str
    distributions: list[Distribution]
    bytecode_by: str | None  # the interpreter that compiled the bytecode; None: no matching one was found
    files: int = 0
    bytes_on_disk: int = 0
    bytes_zipped: int = 0
    notes: list[str] = field(default_factory=list)


def _files(package: Path) -> Iterable[Path]:
    return sorted(p for p in package.rglob("*") if p.is_file())


def measure(result: Package) -> None:
    files = list(_files(result.path))
    result.files = len(files)
    result.bytes_on_disk = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryDirectory(prefix="sharetrust-package-") as scratch:
        archive = Path(scratch) / "code.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            for path in files:
                out.write(path, path.relative_to(result.path).as_posix())
        result.bytes_zipped = archive.stat().st_size


def _replaceable(out: Path) -> None:
    """Only an empty folder or an earlier package is replaced: a mistyped --out must not delete anything."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / HANDLER_FILES[0]).is_file())):
        raise BuildError(
            f"refusing to replace {out}: it is not empty and holds no {HANDLER_FILES[0]}; choose another --out"
        )


def _replace(staging: Path, out: Path) -> None:
    _replaceable(out)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)


def build(out: Path = DEFAULT_OUT, python_version: str = DEFAULT_PYTHON, root: Path = ROOT) -> Package:
    """Builds the package into `out` (replacing a previous build). Raises BuildError."""
    _version_tuple(python_version)
    _replaceable(out)
    lock, pyproject = root / "requirements.lock", root / "pyproject.toml"
    requirements = runtime_requirements(pyproject)
    notes: list[str] = []
    interpreter = find_interpreter(python_version)
    # pip evaluates environment markers for the Python it runs on, not for --python-version: run it
    # on the runtime's version when this machine has one.
    pip_python = interpreter or sys.executable
    if interpreter is None:
        notes.append(
            f"no Python {python_version} here: dependency markers evaluated for Python "
            f"{sys.version_info[0]}.{sys.version_info[1]}, and no bytecode compiled (another version's is never loaded)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _copy_sources(root, staging)
        with tempfile.TemporaryDirectory(prefix="sharetrust-wheels-") as wheelhouse:
            _pure_wheelhouse(pip_python, requirements, lock, Path(wheelhouse))
            _install(pip_python, requirements, lock, Path(wheelhouse), staging, python_version)
        shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts with this machine's shebang
        distributions = _check_pins(staging, lock, requirements)
        forbidden = forbidden_distributions(staging)
        if forbidden:
            raise BuildError(f"the package must not contain {', '.join(forbidden)}: check pyproject dependencies")
        problems = compatibility_problems(staging, python_version)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise BuildError(f"would not load on FC's runtime: {problems[0]}{more}")
        pins = "\n".join(f"{d.name}=={d.version}" for d in sorted(distributions, key=lambda d: normalized(d.name)))
        (staging / "requirements.txt").write_text(
            "# Installed in this folder by `make package` (exact versions, wheels for glibc 2.31 x86_64).\n"
            "# Nothing needs to install them again.\n" + pins + "\n",
            encoding="utf-8",
        )
        if interpreter is not None:
            _compile(interpreter, staging)
        _replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result = Package(out, python_version, distributions, interpreter, notes=notes)
    measure(result)
    return result


def _mb(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Function Compute package (s.yaml's code:).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the package folder (default build/package)")
    parser.add_argument("--python-version", default=DEFAULT_PYTHON, help="the runtime's Python (default 3.12)")
    arguments = parser.parse_args(argv)
    started = time.monotonic()
    try:
        result = build(arguments.out.resolve(), arguments.python_version)
    except BuildError as failed:
        print(f"make package: {failed}", file=sys.stderr)
        return 1
    except OSError as failed:
        print(f"make package: {failed.filename or ''}: {failed.strerror}", file=sys.stderr)
        return 1
    shown = os.path.relpath(result.path) if result.path.is_relative_to(Path.cwd()) else str(result.path)
    bytecode = f"bytecode by {result.bytecode_by}" if result.bytecode_by else "no bytecode"
    print(f"package: {shown}: {', '.join(HANDLER_FILES)}, sharetrust, {len(result.distributions)} distributions")
    print(
        f"  for CPython {result.python_version}, glibc <= {GLIBC[0]}.{GLIBC[1]}, {ARCH}: every native library checked"
    )
    print(f"  {bytecode}")
    for note in result.notes:
        print(f"  note: {note}")
    print(
        f"built in {time.monotonic() - started:.1f} s: {result.files} files, {_mb(result.bytes_on_disk)} on disk, "
        f"{_mb(result.bytes_zipped)} zipped"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
