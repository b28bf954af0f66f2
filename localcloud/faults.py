"""Deterministic fault injection: latency, throttling, 5xx and dropped connections, per action or global."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any, Literal

# `drop` closes the connection before the call is processed; `lose` processes it, then closes the
# connection instead of answering (the write happened, the caller cannot know): what a retry must survive.
FaultKind = Literal["latency", "throttle", "unavailable", "drop", "lose"]
KINDS: tuple[FaultKind, ...] = ("latency", "throttle", "unavailable", "drop", "lose")


@dataclass
class FaultRule:
    """`action` is `*`, an action name (`DescribeImages`) or `Product:Action` (`Ram:UpdateRole`)."""

    kind: FaultKind
    action: str = "*"
    rate: float = 1.0
    latency_ms: int = 0
    times: int | None = None  # how many more times it may fire; None = unlimited
    retry_after_ms: int | None = None  # throttle only: sent as x-acs-retry-after
    region: str | None = None  # only calls acting in this region (POP); None = every region

    def matches(self, product: str, action: str, region: str | None = None) -> bool:
        if self.region is not None and region != self.region:
            return False
        return self.action in ("*", action, f"{product}:{action}")

    @staticmethod
    def from_dict(raw: dict[str, Any]) -> FaultRule:
        kind = raw.get("kind")
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, got {kind!r}")
        rate = float(raw.get("rate", 1.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, got {rate}")
        unknown = set(raw) - {"kind", "action", "rate", "latency_ms", "times", "retry_after_ms", "region"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        times = raw.get("times")
        retry_after = raw.get("retry_after_ms")
        return FaultRule(
            kind=kind,
            action=str(raw.get("action", "*")),
            rate=rate,
            latency_ms=int(raw.get("latency_ms", 0)),
            times=None if times is None else int(times),
            retry_after_ms=None if retry_after is None else int(retry_after),
            region=None if raw.get("region") is None else str(raw["region"]),
        )


@dataclass(frozen=True)
class FaultDecision:
    latency_ms: int = 0
    failure: FaultRule | None = None


class Faults:
    """The active rules. Same seed, same rules and same call sequence give the same faults."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)

    def configure(self, rules: list[FaultRule], seed: int | None = None) -> None:
        with self._lock:
            self._rules = list(rules)
            if seed is not None:
                self._random = random.Random(seed)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def decide(self, product: str, action: str, region: str | None = None) -> FaultDecision:
        latency = 0
        failure: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(product, action, region) or rule.times == 0:
                    continue
                if self._random.random() >= rule.rate:
                    continue
                if rule.kind == "latency":
                    latency += rule.latency_ms
                elif failure is None:
                    failure = rule
                else:
                    continue
                if rule.times is not None:
                    rule.times -= 1
        return FaultDecision(latency, failure)
