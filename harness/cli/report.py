"""Subcommand ``report``: analysis tables, figures and one self-contained HTML page of a run.

Only argparse at import time: the analysis (pandas, matplotlib) is imported when the command runs.
"""

from __future__ import annotations


def register(subparsers) -> None:
    from harness.cli import analyze as analysis

    p = subparsers.add_parser(
        "report", help="one self-contained HTML page: findings, every table and figure, carbon, provenance",
        description="Run the analysis and the figures of a run, then write PATH/report.html: the "
                    "headline findings, every table and figure, carbon, and the run's provenance "
                    "(spec, seeds, meter, idle baseline, hygiene, machine, versions). Figures are "
                    "embedded; the page needs no network.")
    p.add_argument("path", metavar="PATH",
                   help="run directory (with trials.csv), or the ICT4S'22 experiment_data.csv")
    p.add_argument("--out", metavar="FILE",
                   help="the HTML file (default: PATH/report.html; for a CSV, '<name>-report.html' beside it)")
    analysis._stat_args(p)
    analysis.carbon_args(p)
    p.set_defaults(func=run_report)


def run_report(args) -> int:
    from harness.cli import analyze as analysis

    analysis.file_backend()
    from harness.output.report.build import default_paths, write_report

    from harness.analysis.tuning import is_tuning_run

    options = analysis._options(args)
    if is_tuning_run(args.path):
        html = _tuning_report(args, options)
        from harness.output.report import options as report_options

        report_options.save(html, args)
        print(html)
        return 0
    inputs = analysis.carbon_inputs(args)
    results = analysis._load(args)
    html, analysis_dir, figures_dir = default_paths(args.path, args.out)
    write_report(results, html, analysis_dir, figures_dir, options, inputs)
    from harness.output.report import options as report_options

    report_options.save(html, args)  # export rebuilds this report: with these options, not the defaults
    if results.incomplete:
        print(f"note: {results.completeness_note()}; the report says so at the top")
    print(html)
    return 0


def _tuning_report(args, options, before_write=None):
    """A tuning run's report (tables and figure of ``harness.analysis.tuning``); returns its path.
    Raises UsageError for a carbon option (its tables give energy only). ``before_write``: called
    once the inputs are checked and before anything is written (``export`` checks its store there)."""
    from harness.cli import analyze as analysis
    from harness.errors import UsageError
    from harness.analysis.tuning import load_tuning
    from harness.output.report.build import default_paths, write_tuning_report

    carbon = analysis._carbon_options_given(args)
    if carbon:  # the tuning tables have no carbon columns: say so rather than ignore the option
        raise UsageError(f"{carbon[0]}: a tuning run's report gives energy only (carbon covers "
                           f"data-reduction runs); drop {' and '.join(carbon)}")
    results = load_tuning(args.path)
    html, analysis_dir, figures_dir = default_paths(args.path, getattr(args, "out", None))
    if before_write is not None:
        before_write()
    write_tuning_report(results, html, analysis_dir, figures_dir, options)
    if results.completeness():
        print(f"note: {results.completeness()}; the report says so at the top")
    return html
