"""A meter made of several (``meter: [rapl, nvml]``): one CPU meter plus GPU meters.

Total = sum of the parts' totals. Domains keep their names (``package-0``, ``gpu0``) unless two
parts use the same name, which is then prefixed with its meter's name (``rapl:cpu``).
``name`` joins the parts (``rapl+nvml``); ``estimated`` is True if any part is.
"""

from __future__ import annotations

import time

from harness.meters.common import Measurement, Meter, Resolution


class CombinedMeter(Meter):
    def __init__(self, meters: list[Meter]):
        if not meters:
            raise ValueError("CombinedMeter needs at least one meter")
        self.meters = list(meters)
        self.name = "+".join(m.name for m in self.meters)
        self.estimated = any(m.estimated for m in self.meters)
        all_names = [d for m in self.meters for d in m.domains()]
        clash = {d for d in all_names if all_names.count(d) > 1}
        # Per part: its domain name -> combined domain name.
        self._maps = [
            {d: (f"{m.name}:{d}" if d in clash else d) for d in m.domains()} for m in self.meters
        ]

    def begin(self):
        return (time.perf_counter(), tuple(m.begin() for m in self.meters))

    def end(self, token) -> Measurement:
        t0, tokens = token
        parts = [m.end(tok) for m, tok in zip(reversed(self.meters), reversed(tokens))][::-1]
        t1 = time.perf_counter()
        domains = {}
        for mapping, part in zip(self._maps, parts):
            for d, j in part.domains_j.items():
                domains[mapping.get(d, d)] = j
        invalid = "; ".join(p.invalid for p in parts if p.invalid)
        return Measurement(total_j=sum(p.total_j for p in parts), duration_s=t1 - t0, domains_j=domains,
                           invalid=invalid)

    def domains(self) -> list[str]:
        return [v for mapping in self._maps for v in mapping.values()]

    def total_domains(self) -> list[str]:
        out = []
        for m, mapping in zip(self.meters, self._maps):
            out += [mapping.get(d, d) for d in m.total_domains()]
        return out

    def resolution(self) -> Resolution | None:
        """The coarsest part's update interval and the sum of the parts' energy steps; None if
        any part's resolution is unknown."""
        parts = [m.resolution() for m in self.meters]
        if any(r is None for r in parts):
            return None
        return Resolution(energy_j=sum(r.energy_j for r in parts), update_s=max(r.update_s for r in parts),
                          source="; ".join(r.source for r in parts))

    def probe(self, timeout_s: float | None = None) -> None:
        for m in self.meters:
            m.probe(timeout_s)

    def mirror_note(self) -> str:
        return "; ".join(n for n in (m.mirror_note() for m in self.meters) if n)

    def notes(self) -> list[str]:
        return [f"{m.name}: {n}" for m in self.meters for n in m.notes()]

    def describe(self) -> dict:
        return {**super().describe(), "parts": [m.describe() for m in self.meters]}

    def close(self) -> None:
        for m in self.meters:
            m.close()
