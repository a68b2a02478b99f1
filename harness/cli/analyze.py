"""Subcommands ``analyze``, ``figures`` and ``compare``: the edge where the analysis reads results,
writes files and prints. See docs/analysis.md for what each table and figure means."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from harness.analysis import defaults
from harness.results.rundir import out_dir
from harness.errors import UsageError, counted

if TYPE_CHECKING:
    from harness.results.load import Results
    from harness.analysis.tables import Options

# pandas, scipy and statsmodels (load, stats, tables) are imported by the handlers that use them,
# so that --help and the other commands start fast (benchmarks/startup.py).

REPORT = "analysis.md"
STAT_DEFAULTS, CARBON_DEFAULTS = defaults.STAT_DEFAULTS, defaults.CARBON_DEFAULTS
TARGET_FRACTION = 0.95  # --target-fraction's default
LONG_TABLES = ("normality", "carbon_trials")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "analyze", help="RQ1-RQ3 and trade-off tables (Markdown, LaTeX, CSV) from a run",
        description="Clean, test normality, answer RQ1-RQ3 and the energy/F1 trade-off; write "
                    "Markdown, LaTeX and CSV tables and print the Markdown.")
    _path_args(p, "analysis", several=True)
    _stat_args(p)
    carbon_args(p)
    p.add_argument("--target-f1", type=float, metavar="F1",
                   help="tuning runs: the validation F1 a search must reach (default: a fraction of the best found)")
    p.add_argument("--target-fraction", type=float, default=TARGET_FRACTION, metavar="X",
                   help="tuning runs: target = X times the best validation F1 any strategy found for the same "
                        "algorithm, data level and repetition (default 0.95); searches that stop short are "
                        "right-censored")
    p.set_defaults(func=run_analyze)

    p = subparsers.add_parser(
        "figures", help="RQ1-RQ3, QQ and trade-off figures (PNG and PDF) from a run",
        description="Draw the study's figures as PNG and PDF.")
    _path_args(p, "figures")
    scale = p.add_mutually_exclusive_group()
    scale.add_argument("--log", action="store_const", const=True, default=None,
                       help="log scale for RQ1 (default: log when the medians span 100x or more)")
    scale.add_argument("--linear", dest="log", action="store_const", const=False,
                       help="linear scale for RQ1")
    p.add_argument("--no-clean", action="store_true", help="keep every trial (no cleaning)")
    p.add_argument("--net", action="store_true", help="energy net of the manifest's idle baseline")
    carbon_args(p)
    p.set_defaults(func=run_figures)

    p = subparsers.add_parser(
        "compare", help="a candidate algorithm against baselines: ratio, tests, effect, verdict",
        description="Compare a candidate's training energy and F1 with each baseline at every "
                    "shared configuration and overall.")
    _path_args(p, "analysis", several=True)
    p.add_argument("--candidate", required=True, metavar="NAME", help="algorithm name as in the results")
    p.add_argument("--baselines", metavar="A,B,...",
                   help="comma-separated algorithm names (default: every other algorithm)")
    _stat_args(p)
    p.set_defaults(func=run_compare)


def _path_args(p: argparse.ArgumentParser, default_dir: str, several: bool = False) -> None:
    if several:
        p.add_argument("paths", metavar="PATH", nargs="+",
                       help="run directory (with trials.csv), or the ICT4S'22 experiment_data.csv; "
                            "several runs are pooled (their library versions must agree, see --mixed-versions)")
        p.add_argument("--mixed-versions", action="store_true",
                       help="pool runs made with different versions of a library that changes results "
                            "(docs/explanation/replication.md, 'Differences'); refused by default")
    else:
        p.add_argument("path", metavar="PATH",
                       help="run directory (with trials.csv), or the ICT4S'22 experiment_data.csv")
    p.add_argument("--host", metavar="NAME",
                   help="only the trials that ran on this host (results/RUN/analysis-NAME/ by default)")
    p.add_argument("--pool-hosts", action="store_true",
                   help="pool trials from hosts with different hardware or meters (refused by default)")
    p.add_argument("--out", metavar="DIR",
                   help=f"output directory (default: PATH/{default_dir}/ of the first PATH; for a CSV file, "
                        f"a '<name>-{default_dir}' directory beside it)")


def _stat_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-clean", action="store_true",
                   help="keep every trial (the published analysis kept them)")
    p.add_argument("--net", action="store_true",
                   help="energy minus idle baseline power x phase duration (needs a baseline in manifest.json)")
    p.add_argument("--f1-tolerance", type=float, default=STAT_DEFAULTS["f1_tolerance"], metavar="PTS",
                   help="largest F1 drop still counted as 'as accurate', in F1 points as every table shows "
                        "them (F1 x 100; default 1 = 0.01 F1)")
    p.add_argument("--bootstrap", type=int, default=STAT_DEFAULTS["bootstrap"], metavar="N",
                   help=f"bootstrap resamples for confidence intervals (default {defaults.N_RESAMPLES})")
    p.add_argument("--seed", type=int, default=STAT_DEFAULTS["seed"], help="bootstrap seed (default 0)")


def carbon_args(p: argparse.ArgumentParser) -> None:
    """--intensity, --pue, --embodied-kg, --lifetime-years (see harness.data.carbon)."""
    g = p.add_argument_group("carbon (operational = energy x intensity x PUE; embodied = "
                             "manufacturing footprint x duration / service life)")
    g.add_argument("--intensity", metavar="G_PER_KWH|ISO3",
                   help="grid carbon intensity in gCO2e/kWh, or an ISO 3166-1 alpha-3 country code "
                        "(DEU, FRA, USA, ...) looked up in Our World in Data's table; "
                        "without it no carbon is computed")
    g.add_argument("--pue", type=float, default=CARBON_DEFAULTS["pue"],
                   help="power usage effectiveness of the facility (default 1.0: no overhead)")
    g.add_argument("--embodied-kg", type=float, metavar="KG",
                   help="manufacturing footprint of the whole machine, kgCO2e (e.g. the vendor's "
                        "product carbon footprint); without it embodied carbon is not computed")
    g.add_argument("--lifetime-years", type=float, default=CARBON_DEFAULTS["lifetime_years"], metavar="Y",
                   help="service life the manufacturing footprint is spread over (default 5)")


def carbon_inputs(args):
    """The ``harness.data.carbon.CarbonInputs`` of the command line, or None without --intensity."""
    if getattr(args, "intensity", None) is None:
        given = _carbon_options_given(args)
        if given:
            raise UsageError(f"{given[0]} needs --intensity (gCO2e/kWh or a country code such as DEU)")
        return None
    from harness.data import carbon

    g, source = carbon.resolve_intensity(args.intensity)
    inputs = carbon.CarbonInputs(g, source, args.pue, args.embodied_kg, args.lifetime_years)
    for warning in inputs.warnings():
        print(f"harness: warning: {warning}", file=sys.stderr)
    return inputs


def _carbon_options_given(args) -> list[str]:
    """The carbon options (as flags, e.g. "--pue") whose value differs from their default."""
    return ["--" + name.replace("_", "-") for name, default in CARBON_DEFAULTS.items()
            if getattr(args, name) != default]


def _load(args) -> Results:
    from harness.analysis.tuning import is_tuning_run

    first = (getattr(args, "paths", None) or [args.path])[0]
    if is_tuning_run(first) and args.func.__name__ not in ("run_analyze", "run_figures"):
        raise UsageError(f"{first}: a tuning run (searches.csv); 'analyze', 'figures', 'report' and 'export "
                         "mlflow' cover it, this command covers data-reduction runs (trials.csv) only")

    from harness.analysis.runs import load_runs

    paths = getattr(args, "paths", None) or [args.path]
    # report and export reuse this loader; their parsers may not have the host options
    results, notes = load_runs(paths, host=getattr(args, "host", None), pool_hosts=getattr(args, "pool_hosts", False),
                               net=args.net, mixed_versions=getattr(args, "mixed_versions", False))
    if results.layout == "ict4s22" and getattr(args, "intensity", None) is not None:
        # its 'energy' is CodeCarbon's kgCO2e x3.6e6: x grid intensity it would be carbon squared
        raise UsageError(f"--intensity: {results.source} is the published ICT4S'22 file, whose 'energy' is "
                         "already CodeCarbon emissions (kgCO2e x3.6e6), not joules; drop the carbon options "
                         "(--intensity, --pue, --embodied-kg, --lifetime-years)")
    for note in notes.torn:  # said once per file, on stderr: the tables below leave that line out
        print(note, file=sys.stderr)
    for note in notes.pooling:
        print(note)
    if notes.unverified:
        print(f"harness: note: {notes.unverified_note()}", file=sys.stderr)
    return results


def _out(args, default_dir: str) -> Path:
    path = (getattr(args, "paths", None) or [args.path])[0]
    return out_dir(path, args.out, f"{default_dir}-{args.host}" if getattr(args, "host", None) else default_dir)


def version_lines(results: Results) -> list[str]:
    """Known library changes that move these results (``harness.models.versions``), per distinct set of
    versions among the sources."""
    from harness.models.versions import notes_for

    lines, seen = [], set()
    for label, versions in results.versions:
        key = tuple(sorted((k, str(v)) for k, v in versions.items() if k == "scikit-learn"))
        if key in seen:
            continue
        seen.add(key)
        notes = notes_for(versions, results.algorithm_classes, results.replication)
        lines.append(f"{notes[0]} [{label}]")
        lines += notes[1:]
    return lines


def _options(args) -> Options:
    from harness.analysis.tables import Options

    if not 0 <= args.f1_tolerance <= 100:
        raise UsageError(f"--f1-tolerance is in F1 points (F1 x 100, as the tables show F1 changes), from 0 "
                         f"to 100; got {args.f1_tolerance:g} (1 point = an F1 drop of 0.01)")
    if args.seed < 0:
        raise UsageError(f"--seed must be an integer >= 0, got {args.seed}")
    if args.bootstrap < 100:
        raise UsageError(f"--bootstrap must be at least 100 resamples, got {args.bootstrap}")
    return Options(clean=not args.no_clean, f1_tolerance=args.f1_tolerance / 100,
                   n_resamples=args.bootstrap, seed=args.seed)


def _averaging_line(trials) -> str:
    from harness.analysis.tables import averaging_note

    return averaging_note(trials)


def header(results: Results, options: Options) -> str:
    t = results.trials
    kind = "ICT4S'22 published CSV" if results.layout == "ict4s22" else "run"
    lines = [f"## Analysis of {results.source}" + (f", host {results.host}" if results.host else ""), ""]
    if results.incomplete:
        lines += [f"**{_incomplete_line(results)}**", ""]
    lines += [f"Source: {kind}; {counted(len(t), 'trial')}, {counted(t['algorithm'].nunique(), 'algorithm')} "
             f"({', '.join(sorted(t['algorithm'].unique()))}), meter {', '.join(results.meters)}.",
             "Energy: " + ("; ".join(results.energy_notes()) or "measured") + ".",
             *([f"Hosts: {results.hosts_note}."] if results.hosts_note else []),
             *([f"Repetitions: {_adaptive_rule(results)}; each configuration's n is its own (see the first table)."]
               if results.adaptive is not None else []),
             "Cleaning: " + ("on (training energy <= 0 J or missing, then |z| >= 3 per configuration)"
                             if options.clean else "off (--no-clean)") + ".",
             "F1: the trade-off tables give the median F1 of each configuration and, as the paper's "
             "analysis.py did (RQ3 table and figure), the F1 of its median-energy trial.",
             _averaging_line(t), ""]
    versions = version_lines(results)
    if versions:
        lines += [*versions, ""]
    return "\n".join(lines)


def _adaptive_rule(results: Results) -> str:
    from harness.analysis.adaptive import rule_line
    from harness.spec import AdaptiveRepetitions

    return rule_line(AdaptiveRepetitions(**results.adaptive["rule"]))


def _incomplete_line(results: Results) -> str:
    note = results.completeness_note()
    return (f"{note[0].upper()}{note[1:]}; every number below covers only the finished trials "
            "(rerun the same 'harness run' command to finish the run).")


def _say_if_incomplete(results: Results) -> None:
    if results.incomplete:
        print(_incomplete_line(results))


def _run_tuning_analyze(args, options) -> int:
    from harness.analysis.tables import to_markdown, write_tables
    from harness.analysis.tuning import load_tuning, tuning_tables

    if len(args.paths) > 1:
        raise UsageError("a tuning run is analysed alone: give one run directory")
    carbon = _carbon_options_given(args)
    if carbon:  # the tuning tables have no carbon columns: say so rather than ignore the option
        raise UsageError(f"{carbon[0]}: a tuning run's tables give energy only (carbon tables cover "
                         f"data-reduction runs); drop {' and '.join(carbon)}")
    results = load_tuning(args.paths[0])
    tables, per = tuning_tables(results, args.target_f1, args.target_fraction, options.n_resamples, options.seed)
    out = out_dir(args.paths[0], args.out, "analysis")
    write_tables(tables, out)
    notes = results.energy_notes()
    per.assign(energy_basis="; ".join(notes) if notes else "measured").to_csv(out / "tuning_per_search.csv",
                                                                               index=False)
    s = results.searches
    lines = [f"## Tuning analysis of {results.source}", ""]
    if results.completeness():
        lines += [f"**{results.completeness()}**", ""]
    lines += [f"{len(s)} searches: {', '.join(sorted(s['strategy'].unique()))} on "
              f"{', '.join(sorted(s['algorithm'].unique()))}; meter {', '.join(sorted(s['meter'].astype(str).unique()))}.",
              "Energy: " + ("; ".join(results.energy_notes()) or "measured") + ".", ""]
    report = "\n".join(lines) + "\n" + "\n".join(to_markdown(t) for t in tables)
    (out / REPORT).write_text(report, encoding="utf-8")
    print(report)
    print(f"Tables written to {out}/ (Markdown, LaTeX, CSV; per-search values in tuning_per_search.csv).")
    return 0


def run_analyze(args) -> int:
    from harness.analysis.study_tables import study_tables
    from harness.analysis.tables import to_markdown, write_tables

    options = _options(args)
    from harness.analysis.tuning import is_tuning_run

    if is_tuning_run(args.paths[0]):
        return _run_tuning_analyze(args, options)
    given = [flag for flag, unset in (("--target-f1", args.target_f1 is None),
                                      ("--target-fraction", args.target_fraction == TARGET_FRACTION)) if not unset]
    if given:  # would be ignored: say so rather than print tables that do not use it
        raise UsageError(f"{given[0]} applies to tuning runs (a searches.csv) only; {args.paths[0]} is a "
                         f"data-reduction run: drop {given[0]}")
    inputs = carbon_inputs(args)
    results = _load(args)
    tables, trials = study_tables(results, options, inputs)
    out = _out(args, "analysis")
    write_tables(tables, out)
    # Per-configuration normality and per-trial carbon are long: they go to their files only.
    report = header(results, options) + "\n" + "\n".join(to_markdown(t) for t in tables
                                                           if t.name not in LONG_TABLES)
    (out / REPORT).write_text(report, encoding="utf-8")
    print(report)
    print(f"Tables written to {out}/ (Markdown, LaTeX, CSV; full report {REPORT}).")
    return 0


def file_backend() -> None:
    """Figures go to files only: matplotlib's Agg backend, chosen here, at the edge of a command that
    draws, not on importing the figures (a library user keeps the backend they chose; a GUI backend
    here would need a display, which a server or CI lacks)."""
    import matplotlib

    matplotlib.use("Agg")


def run_figures(args) -> int:
    file_backend()
    from harness.analysis.tuning import is_tuning_run

    if is_tuning_run(args.path):
        from harness.analysis.tuning import load_tuning
        from harness.output.tuning_figures import tuning_figure

        out = out_dir(args.path, args.out, "figures")
        out.mkdir(parents=True, exist_ok=True)
        from harness.output.draw import save

        for path in save(tuning_figure(load_tuning(args.path)), out, "tuning_curves"):
            print(path)
        return 0
    from harness.output import draw  # matplotlib is slow to import; only this command needs it

    inputs = carbon_inputs(args)
    results = _load(args)
    _say_if_incomplete(results)
    out = _out(args, "figures")
    written = draw.draw_all(results, out, clean=not args.no_clean, log=args.log, carbon=inputs)
    for path in written:
        print(path)
    for skip in draw.skipped(out):
        print(f"skipped {skip['name']}: {skip['reason']}")
    return 0


def run_compare(args) -> int:
    from harness.analysis.tables import compare_table, to_markdown, write_tables

    options = _options(args)
    from harness.analysis.tuning import is_tuning_run

    if is_tuning_run(args.paths[0]):
        raise UsageError(f"{args.paths[0]}: a tuning run; 'analyze' compares its strategies (compare is for "
                         "algorithms of a data-reduction run)")
    results = _load(args)
    _say_if_incomplete(results)
    if results.adaptive is not None:  # each configuration's n is its own: say how it was reached
        from harness.analysis.adaptive import WHY_HONEST

        print(f"Repetitions: {_adaptive_rule(results)}. {WHY_HONEST}\n")
    baselines = [b.strip() for b in args.baselines.split(",") if b.strip()] if args.baselines else None
    from harness.analysis.adaptive import with_rule_note

    table = with_rule_note(compare_table(results, args.candidate, baselines, options), results)
    out = _out(args, "analysis")
    write_tables([table], out)
    print(to_markdown(table))
    print(f"Written to {out}/{table.name}.{{md,tex,csv}}.")
    return 0
