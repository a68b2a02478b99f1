"""Trials from several hosts: refuse to pool energies measured on different hardware or with
different meters, or keep one host's trials (``--host``) to analyse hosts one at a time.

A host's hardware is what the run's manifest recorded for it (``hosts``: CPU model, core count,
meter); without a manifest only the rows' ``meter`` column can be compared. Accuracy and F1 do not
depend on the host (trials keep their seeds), only energy and time do, and energies from two
machines, or two meters, are not draws from one distribution.
"""

from __future__ import annotations

import dataclasses
import json

from harness.results.load import Results
from harness.errors import UsageError

HARDWARE = ("cpu_model", "cpu_count", "meter")


def _manifest_hosts(results: Results) -> dict:
    if results.manifest is None or not results.manifest.is_file():
        return {}
    try:
        return json.loads(results.manifest.read_text(encoding="utf-8")).get("hosts") or {}
    except (ValueError, AttributeError):
        return {}


def check_hosts(results: Results, host: str | None = None, pool: bool = False) -> Results:
    """``results`` restricted to ``host`` (its idle baseline, if the manifest has exactly one, becomes
    the baseline for ``--net``; ``planned_trials`` drops the trials other hosts ran, so the
    restriction is incomplete only when the run is), or unchanged after checking that its hosts may be pooled.

    Raises UsageError naming two hosts that differ (CPU model, cores or meter) unless ``pool``,
    or when ``host`` ran none of the trials.
    """
    t = results.trials
    hosts_in_rows = sorted(t["host"].dropna().astype(str).unique()) if "host" in t.columns else []
    recorded = _manifest_hosts(results)
    if host is not None:
        if host not in hosts_in_rows:
            raise UsageError(f"{results.source}: --host {host}: no trial ran there; hosts: "
                             f"{', '.join(hosts_in_rows) or 'none recorded'}")
        kept = t[t["host"].astype(str) == host].reset_index(drop=True)
        entry = recorded.get(host, {})
        baselines = [entry["baseline"]] if entry.get("baseline") else [b for b in entry.get("baselines", {}).values() if b]
        baseline = baselines[0] if len(baselines) == 1 and entry.get("workers", 1) == 1 else None
        # the other hosts' trials are not missing: the plan left for this host is what they did not run
        planned = None if results.planned_trials is None else results.planned_trials - (len(t) - len(kept))
        note = f"host {host} only (--host): {len(kept)} of the {len(t)} trials, from {len(hosts_in_rows)} host(s)"
        return dataclasses.replace(results, trials=kept, baseline=baseline, planned_trials=planned, host=host,
                                   hosts_note=note)
    if len(hosts_in_rows) < 2:
        return results
    meters = t.groupby(t["host"].astype(str))["meter"].agg(lambda m: ",".join(sorted(set(m.astype(str)))))
    key = {h: tuple(recorded.get(h, {}).get(k) for k in HARDWARE[:2]) + (meters.get(h),) for h in hosts_in_rows}
    first = hosts_in_rows[0]
    for other in hosts_in_rows[1:]:
        if key[other] != key[first]:
            what = next(name for name, a, b in zip(HARDWARE, key[first], key[other]) if a != b)
            differ = (f"different {what} ({first}: {key[first][HARDWARE.index(what)]}, "
                      f"{other}: {key[other][HARDWARE.index(what)]})")
            if pool:
                return dataclasses.replace(results, hosts_note=(
                    f"pooled over {len(hosts_in_rows)} hosts ({', '.join(hosts_in_rows)}) with {differ}, as "
                    "--pool-hosts asked: energies and times from different hardware or meters are mixed"))
            raise UsageError(
                f"{results.source}: trials ran on hosts with {differ}; their energies are not one sample: analyse one "
                "host with --host NAME, or pool them anyway with --pool-hosts")
    return dataclasses.replace(results, hosts_note=(
        f"pooled over {len(hosts_in_rows)} hosts ({', '.join(hosts_in_rows)}) with the same CPU model, cores and meter"))
