"""Subcommand ``export mlflow``: a run's configurations, metrics, report and figures into an MLflow
tracking store. Only argparse at import time; MLflow and the analysis load when it runs."""

from __future__ import annotations


def register(subparsers) -> None:
    from harness.cli import analyze as analysis

    p = subparsers.add_parser("export", help="export a run to another tool (mlflow)",
                              description="Export a run to another tool.")
    targets = p.add_subparsers(dest="target", metavar="TARGET", required=True)
    m = targets.add_parser(
        "mlflow", help="one MLflow run per configuration, the report and figures as artifacts",
        description="Write the report, then export to MLflow: a parent run with the report, figures "
                    "and tables as artifacts, one child run per configuration with its parameters and "
                    "metrics (medians and IQR). Exporting again updates the same runs. The report is "
                    "rebuilt with the options of the last 'report' command (PATH/report.json) for every "
                    "option not given here. Needs pip install -e '.[mlflow]'.")
    m.add_argument("path", metavar="PATH", help="run directory (with trials.csv), or the ICT4S'22 CSV")
    m.add_argument("--tracking-uri", required=True, metavar="URI",
                   help="MLflow tracking store, e.g. sqlite:///mlruns.db or file:///abs/mlruns")
    m.add_argument("--experiment", metavar="NAME", help="MLflow experiment (default: the run's name)")
    analysis._stat_args(m)
    analysis.carbon_args(m)
    from harness.output.report.options import unset_defaults

    unset_defaults(m)  # an option left out takes the last report's value (harness.output.report.options.fill)
    m.set_defaults(func=run_export)


def run_export(args) -> int:
    from harness.cli import analyze as analysis

    analysis.file_backend()
    from harness.analysis import stats
    from harness.output.export import mlflow as export
    from harness.output.report.build import default_paths, write_report

    from harness.output.report import options as report_options

    html, analysis_dir, figures_dir = default_paths(args.path, None)
    taken = report_options.fill(args, html)  # a bad options file: one line, before the store is touched
    if taken:
        print(f"note: {report_options.path_for(html)} gave the report's "
              + ", ".join(f"--{name.replace('_', '-')} {getattr(args, name)}" if not isinstance(getattr(args, name), bool)
                          else f"--{name.replace('_', '-')}" for name in taken)
              + " (as the last 'report' command); give an option here to change it")
    options = analysis._options(args)
    from harness.analysis.tuning import is_tuning_run

    if is_tuning_run(args.path):  # one MLflow run per search
        from harness.analysis.tuning import load_tuning
        from harness.cli.report import _tuning_report

        # refusals first (a carbon option, a malformed run), then the store, then the report: nothing
        # is written, the MLflow database included, before a refusal
        _tuning_report(args, options, before_write=lambda: export._client(args.tracking_uri))
        report_options.save(html, args)
        out = export.export_tuning(load_tuning(args.path), args.tracking_uri, args.experiment, [html],
                                   {"figures": figures_dir, "analysis": analysis_dir})
        print(f"MLflow experiment {out['experiment_id']} at {args.tracking_uri}: parent run "
              f"{out['parent_run_id']}, {len(out['runs'])} search runs "
              f"({out['created']} created, {out['updated']} updated)")
        return 0
    inputs = analysis.carbon_inputs(args)
    results = analysis._load(args)  # a malformed results file: one line, before the store is touched
    export._client(args.tracking_uri)  # MLflow installed and the store usable? before the report is written
    write_report(results, html, analysis_dir, figures_dir, options, inputs)
    report_options.save(html, args)
    trials = stats.analysed_rows(results.trials, options.clean)
    out = export.export_run(results, args.tracking_uri, args.experiment, trials, inputs, [html],
                            {"figures": figures_dir, "analysis": analysis_dir})
    print(f"MLflow experiment {out['experiment_id']} at {args.tracking_uri}: parent run "
          f"{out['parent_run_id']}, {len(out['runs'])} configuration runs "
          f"({out['created']} created, {out['updated']} updated)")
    return 0
