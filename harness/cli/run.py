"""``harness run SPEC``: run (or resume) every unit of a spec (``harness.run.runner.run_spec``)."""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="run (or resume) the trials of an experiment spec",
                              description="Run every trial of a YAML spec; rerun the same command to resume.")
    p.add_argument("spec", help="path of the YAML spec, e.g. experiments/spam.yaml")
    p.add_argument("--dry-run", action="store_true",
                   help="check everything a run checks, print the plan, an estimated duration and what would "
                        "be written; write nothing")
    p.add_argument("--results-dir", default="results", metavar="DIR", help="where runs go (default: results/)")
    p.add_argument("--name", metavar="RUN", help="run name (default: the spec's name)")
    p.add_argument("--fresh", action="store_true",
                   help="start the run over; existing files move to RUN/replaced-<time>/")
    p.add_argument("--meter", metavar="NAME",
                   help="override the spec's meter: auto, rapl, pyrapl, estimate, or nvml (GPUs) alone or "
                        "added to a CPU meter, e.g. rapl+nvml; nvml:3 or nvml:GPU-... names the GPUs (default: "
                        "CUDA_VISIBLE_DEVICES); see python -m harness meters")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--allow-import", action="append", default=[], metavar="PKG",
                   help="let the spec name classes from package PKG (importing runs its code: trust it); "
                        "default: sklearn, imblearn, harness; also $HARNESS_ALLOW_IMPORT")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="run trials on a local Dask cluster of N worker processes (needs .[dask])")
    where.add_argument("--cluster", metavar="ADDRESS|KIND",
                       help="run trials on Dask workers: a scheduler (tcp://HOST:8786), or slurm, pbs, sge, lsf "
                            "(the spec's cluster: section; needs .[dask])")
    p.set_defaults(func=_run)


def _run(a) -> int:
    import time

    from harness.meters.cpus import process_age_s
    from harness.run.runner import run_spec

    began = time.perf_counter() - process_age_s()  # the footprint's setup counts from the process's start
    return run_spec(a.spec, results_dir=a.results_dir, name=a.name, fresh=a.fresh, quiet=a.quiet, meter=a.meter,
                    dry_run=a.dry_run, workers=a.workers, cluster=a.cluster, allow_import=tuple(a.allow_import),
                    began=began)
