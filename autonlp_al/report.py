"""Counting what was read, written and skipped, so nothing is ever dropped silently."""

from __future__ import annotations

from collections import Counter

import attrs

from .types import Origin

__all__ = ["Issue", "Report"]

# Enough locations to find the pattern in a bad file without growing with the file.
_MAX_ISSUES_PER_REASON = 20


@attrs.frozen
class Issue:
    """One skipped or adjusted item: why, where, and the offending value."""

    reason: str
    origin: Origin | None
    detail: str

    def __str__(self) -> str:
        where = f"{self.origin}: " if self.origin else ""
        return f"{where}{self.reason}: {self.detail}"


@attrs.define
class Report:
    """Counters plus the first few locations per reason.

    ``counts`` holds plain tallies (``read``, ``written`` ...); ``skipped`` and ``adjusted`` count by
    reason. Every skipped item increments ``skipped[reason]``; :meth:`summary` prints all of them.
    """

    counts: Counter[str] = attrs.field(factory=Counter)
    skipped: Counter[str] = attrs.field(factory=Counter)
    adjusted: Counter[str] = attrs.field(factory=Counter)
    issues: list[Issue] = attrs.field(factory=list)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def skip(self, reason: str, origin: Origin | None, detail: str) -> None:
        """Record that one item was left out, and why."""
        self.skipped[reason] += 1
        self._keep(reason, origin, detail, self.skipped[reason])

    def adjust(self, reason: str, origin: Origin | None, detail: str) -> None:
        """Record that one item was kept but changed (e.g. a span expanded to token edges)."""
        self.adjusted[reason] += 1
        self._keep(reason, origin, detail, self.adjusted[reason])

    def _keep(self, reason: str, origin: Origin | None, detail: str, seen: int) -> None:
        if seen <= _MAX_ISSUES_PER_REASON:
            self.issues.append(Issue(reason, origin, detail))

    def merge(self, other: Report) -> None:
        """Add ``other``'s counts and locations to this report (e.g. a worker process's)."""
        self.counts.update(other.counts)
        for mine, theirs in ((self.skipped, other.skipped), (self.adjusted, other.adjusted)):
            for reason, n in theirs.items():
                shown = sum(1 for i in self.issues if i.reason == reason)
                kept = [i for i in other.issues if i.reason == reason]
                self.issues.extend(kept[: max(0, _MAX_ISSUES_PER_REASON - shown)])
                mine[reason] += n

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        """A few human-readable lines: the counts, then every reason with its tally and examples."""
        lines = [", ".join(f"{k}: {v}" for k, v in sorted(self.counts.items())) or "nothing read"]
        for title, counter in (("skipped", self.skipped), ("adjusted", self.adjusted)):
            for reason, n in sorted(counter.items()):
                lines.append(f"{title} {n} ({reason})")
                shown = [i for i in self.issues if i.reason == reason][:3]
                lines.extend(f"  e.g. {issue}" for issue in shown)
        return "\n".join(lines)
