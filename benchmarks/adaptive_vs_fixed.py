"""Fixed 30 repetitions versus adaptive repetitions on the same design, side by side:
``python benchmarks/adaptive_vs_fixed.py --run [--results-dir results/green] [--cooldown 0]`` runs both, or
``python benchmarks/adaptive_vs_fixed.py --fixed DIR --adaptive DIR`` compares two finished runs.

``--run`` writes two specs from ``experiments/spam.yaml`` (or ``--spec``): the fixed design with its
repetitions, and the same design with ``repetitions: {min: 6, max: <fixed>, energy: train,
energy_half_width: 0.05, f1_half_width: 1.0}`` (``--rule`` changes it), both with ``--cooldown`` seconds
of cool-down (the paper's 5 s makes the fixed study ~5 h of waiting here), and runs them one after the
other with the spec's meter. It then prints, as Markdown:

- what each run cost: trials, trial energy (preprocess + train + predict, J), the study's own
  footprint (``harness.run.footprint``: energy and wall time of its sessions);
- whether the findings hold (the adaptive run against the fixed run): RQ1's ranking of algorithms by
  median training energy at 100% data; RQ2's sign and significance (Holm p < 0.05) of Spearman's
  rho per algorithm and factor; every training-energy saving inside the fixed run's 95% bootstrap CI;
  every F1 change within 1 point of the fixed run's.

With ``--json FILE`` the same as JSON. Uses the Python API (``harness.analyze``), as a user would.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import yaml

RULE = {"min": 6, "energy": "train", "energy_half_width": 0.05, "f1_half_width": 1.0}


def _manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text(encoding="utf-8"))


def cost(run: Path) -> dict:
    t = pd.read_csv(run / "trials.csv")
    trial_j = t[["preprocess_energy_j", "train_energy_j", "predict_energy_j"]].sum(axis=1).sum()
    f = _manifest(run).get("footprint") or {}
    return {"trials": len(t), "trial_energy_j": float(trial_j), "footprint_energy_j": f.get("energy_j"),
            "footprint_wall_s": f.get("wall_s"), "footprint_setup_s": f.get("setup_s"),
            "energy_estimated": bool(t["energy_estimated"].any())}


def findings(fixed: dict, adaptive: dict, f1_points: float = 1.0) -> dict:
    """Do the adaptive run's findings match the fixed run's? ``fixed``/``adaptive``: ``harness.analyze`` frames."""
    r1f = list(fixed["rq1_energy"].sort_values("median_train_energy_j")["algorithm"])
    r1a = list(adaptive["rq1_energy"].sort_values("median_train_energy_j")["algorithm"])
    key = ["algorithm", "factor"]
    q2 = fixed["rq2_energy_spearman"].merge(adaptive["rq2_energy_spearman"], on=key, suffixes=("_f", "_a"))
    sig = lambda p: p < 0.05  # noqa: E731
    q2["same"] = (q2["rho_f"].apply(lambda x: x > 0) == q2["rho_a"].apply(lambda x: x > 0)) & (
        q2["holm_p_f"].apply(sig) == q2["holm_p_a"].apply(sig))
    tkey = ["algorithm", "factor", "fraction"]
    tr = fixed["tradeoff"].merge(adaptive["tradeoff"], on=tkey, suffixes=("_f", "_a"))
    tr = tr[tr["fraction"] < 1.0]
    inside = (tr["saving_pct_a"] >= tr["saving_ci_low_pct_f"]) & (tr["saving_pct_a"] <= tr["saving_ci_high_pct_f"])
    close = (tr["f1_change_pts_a"] - tr["f1_change_pts_f"]).abs() <= f1_points
    return {"rq1_ranking_fixed": r1f, "rq1_ranking_adaptive": r1a, "rq1_same": r1f == r1a,
            "rq2_same": int(q2["same"].sum()), "rq2_tests": len(q2),
            "rq2_differ": q2.loc[~q2["same"], key + ["rho_f", "holm_p_f", "rho_a", "holm_p_a"]].to_dict("records"),
            "savings_inside_ci": int(inside.sum()), "savings": len(tr),
            "savings_outside": tr.loc[~inside, tkey + ["saving_pct_f", "saving_ci_low_pct_f", "saving_ci_high_pct_f",
                                                       "saving_pct_a"]].to_dict("records"),
            "f1_within": int(close.sum()),
            "f1_outside": tr.loc[~close, tkey + ["f1_change_pts_f", "f1_change_pts_a"]].to_dict("records")}


def replay(fixed: Path, rule: dict, out: Path) -> Path:
    """The trials an adaptive run with ``rule`` would have run, replayed on the fixed run's own rows
    (an adaptive run's trials are a subset of the fixed run's with identical scores; the energies are
    the fixed run's measurements, not new ones): a run directory at ``out`` holding that subset."""
    import shutil

    from harness.plan import make_plan
    from harness.plan.adaptive import next_round, summary, watched_energy
    from harness.spec import AdaptiveRepetitions, parse_spec

    m = _manifest(fixed)
    spec = parse_spec({**m["spec"], "repetitions": {**rule, "max": m["spec"]["repetitions"]}}, "replay")
    plan = make_plan(spec)
    rows = pd.read_csv(fixed / "trials.csv", dtype=str, keep_default_na=False).set_index("trial_id", drop=False)
    rows.index = rows.index.astype(int)
    values, a = {}, spec.adaptive
    while True:
        batch = next_round(plan, values, a, spec.seed, spec.hygiene.shuffle)
        if not batch:
            break
        for t in batch:
            r = rows.loc[t.trial_id].to_dict()
            values[t.trial_id] = (watched_energy(r, a.energy), float(r["f1"]))
    out.mkdir(parents=True, exist_ok=True)
    rows.loc[sorted(values)].to_csv(out / "trials.csv", index=False)
    kept = {**m, "adaptive": summary(plan, values, a), "footprint": None}
    (out / "manifest.json").write_text(json.dumps(kept))
    return out


def _run(spec: Path, results: Path) -> None:
    subprocess.run([sys.executable, "-m", "harness", "run", str(spec), "--results-dir", str(results), "--quiet"],
                   check=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", action="store_true", help="run both designs first")
    p.add_argument("--spec", default="experiments/spam.yaml")
    p.add_argument("--results-dir", default="results/green")
    p.add_argument("--cooldown", type=float, default=0.0, help="cool-down of both runs, s (default 0)")
    p.add_argument("--rule", default=json.dumps(RULE), help=f"adaptive rule as JSON (default {json.dumps(RULE)})")
    p.add_argument("--fixed")
    p.add_argument("--adaptive")
    p.add_argument("--json")
    p.add_argument("--replay", action="append", default=[], metavar="RULE_JSON",
                   help="also replay this rule on the fixed run's rows (repeatable)")
    args = p.parse_args(argv)
    results = Path(args.results_dir)
    if args.run:
        base = yaml.safe_load(Path(args.spec).read_text())
        base["hygiene"] = {**base.get("hygiene", {}), "cooldown_s": args.cooldown}
        results.mkdir(parents=True, exist_ok=True)
        fixed = {**base, "name": f"{base['name']}-fixed"}
        adaptive = {**base, "name": f"{base['name']}-adaptive",
                    "repetitions": {**json.loads(args.rule), "max": base.get("repetitions", 30)}}
        for spec in (fixed, adaptive):
            path = results / f"{spec['name']}.yaml"
            path.write_text(yaml.safe_dump(spec, sort_keys=False))
            _run(path, results)
        args.fixed, args.adaptive = results / fixed["name"], results / adaptive["name"]
    if not (args.fixed and args.adaptive):
        p.error("give --run, or --fixed DIR and --adaptive DIR")
    import harness

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f, a = harness.analyze(args.fixed), harness.analyze(args.adaptive)
    cf, ca = cost(Path(args.fixed)), cost(Path(args.adaptive))
    out = {"fixed": cf, "adaptive": ca, "findings": findings(f, a),
           "adaptive_summary": _manifest(Path(args.adaptive)).get("adaptive", {}).get("configurations")}
    share = lambda k: ca[k] / cf[k] if cf.get(k) and ca.get(k) is not None else float("nan")  # noqa: E731
    print("| | fixed | adaptive | adaptive / fixed |\n|---|---|---|---|")
    for k, label in (("trials", "trials"), ("trial_energy_j", "trial energy (J)"),
                     ("footprint_energy_j", "footprint energy (J)"), ("footprint_wall_s", "footprint wall time (s)")):
        fmt = (lambda x: "-" if x is None else f"{x:,.0f}" if k == "trials" else f"{x:,.1f}")  # noqa: E731
        print(f"| {label} | {fmt(cf[k])} | {fmt(ca[k])} | {share(k):.1%} |")
    g = out["findings"]
    print(f"\nRQ1 ranking (greenest first): fixed {', '.join(g['rq1_ranking_fixed'])}; adaptive "
          f"{', '.join(g['rq1_ranking_adaptive'])}: {'same' if g['rq1_same'] else 'DIFFERENT'}")
    print(f"RQ2 sign and significance of rho: {g['rq2_same']} of {g['rq2_tests']} the same")
    print(f"Savings inside the fixed run's 95% CI: {g['savings_inside_ci']} of {g['savings']}")
    print(f"F1 changes within 1 point of the fixed run's: {g['f1_within']} of {g['savings']}")
    print(f"Adaptive configurations: {out['adaptive_summary']}")
    for k in ("rq2_differ", "savings_outside", "f1_outside"):
        for row in g[k]:
            print(f"  {k}: {row}")
    if args.replay:
        print("\nReplayed on the fixed run's own rows (which trials each rule would have run; energies as the "
              "fixed run measured them):\n")
        print("| rule | trials | trial energy | RQ1 same | RQ2 same | savings inside CI | F1 within 1 pt |")
        print("|---|---|---|---|---|---|---|")
        out["replays"] = []
        import tempfile

        for i, text in enumerate(args.replay):
            rule = {**RULE, **json.loads(text)}
            sub = replay(Path(args.fixed), rule, Path(tempfile.mkdtemp()) / f"replay{i}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g = findings(f, harness.analyze(sub))
            c = cost(sub)
            out["replays"].append({"rule": rule, "cost": c, "findings": g})
            print(f"| {json.dumps(rule)} | {c['trials']} ({c['trials'] / cf['trials']:.0%}) | "
                  f"{c['trial_energy_j'] / cf['trial_energy_j']:.0%} | {g['rq1_same']} | {g['rq2_same']}/{g['rq2_tests']} | "
                  f"{g['savings_inside_ci']}/{g['savings']} | {g['f1_within']}/{g['savings']} |")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
