"""The report page: one self-contained HTML file (figures embedded as PNG data URIs, CSS inline,
no script, nothing fetched) from what ``analyze`` and ``figures`` wrote and the run's manifest.

It reads generically, so what other parts of the harness add shows up without a change here:
every table in the analysis directory (its ``.md``: title, notes, display table), every figure
in ``figures/index.json`` (caption, notes, skipped figures and why) and any other PNG beside it,
and every top-level key of manifest.json (known ones first, in a fixed order; unknown ones as
nested lists).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import json
import math
from pathlib import Path

from harness.results.load import Results

MAX_ROWS = 300     # rows of one table shown; all are in its CSV
FOLD_ROWS = 40     # tables longer than this are folded (<details>)
# Manifest keys with a section of their own, in this order; any other key follows generically.
KNOWN_KEYS = ("run", "spec", "design_hash", "n_trials", "dataset", "features", "meter", "baseline",
              "hygiene", "machine", "versions", "algorithms", "started_at", "finished_at", "sessions")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:1.5em auto;
padding:0 1em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
h3{font-size:1.05em;margin-bottom:.3em}
.banner{padding:.7em 1em;border-radius:4px;margin:.6em 0;font-weight:600}
.estimated{background:#fff3cd;border:2px solid #e0a800}.incomplete{background:#f8d7da;border:2px solid #c82333}
.info{background:#e8f0fe;border:1px solid #8ab4f8;font-weight:normal}
table{border-collapse:collapse;font-size:.85em;margin:.4em 0 1em}
th,td{border:1px solid #ddd;padding:.2em .5em;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
.note{font-size:.88em;color:#333;margin:.2em 0}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.88em;color:#333}
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;font-size:.9em}dt{font-weight:600}
dd{margin:0;min-width:0;word-break:break-word}pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}
ul.findings li{margin:.25em 0}
"""


@dataclasses.dataclass(frozen=True)
class Page:
    """What goes on the page. ``analysis_dir`` and ``figures_dir`` are read as they are on disk;
    ``fresh_tables`` names the tables written for this report (others found there are marked as
    written earlier); ``findings`` are the headline lines, already worded."""

    results: Results
    analysis_dir: Path
    figures_dir: Path
    fresh_tables: tuple[str, ...]
    findings: tuple[str, ...]
    settings: tuple[str, ...]


def render(page: Page) -> str:
    r = page.results
    manifest = _manifest(r)
    name = manifest.get("run") or r.source.name
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>harness report: {_e(name)}</title><style>{CSS}</style></head><body>",
             f"<h1>Report: {_e(name)}</h1>",
             f"<p class='note'>{_e(str(r.source))}; generated "
             f"{dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')} by harness.</p>"]
    parts += _banners(r, manifest)
    parts.append("<h2 id='findings'>Findings</h2><ul class='findings'>"
                 + "".join(f"<li>{_e(f)}</li>" for f in page.findings) + "</ul>")
    parts.append("<p class='note'>" + "<br>".join(_e(s) for s in page.settings) + "</p>")
    parts.append("<h2 id='figures'>Figures</h2>" + _figures(page.figures_dir))
    parts.append("<h2 id='tables'>Tables</h2>" + _tables(page.analysis_dir, page.fresh_tables))
    parts.append("<h2 id='provenance'>Provenance</h2>" + _provenance(r, manifest))
    parts.append("</body></html>")
    return "\n".join(parts)


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _manifest(r: Results) -> dict:
    if r.manifest is None or not r.manifest.is_file():
        return {}
    try:
        data = json.loads(r.manifest.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _banners(r: Results, manifest: dict) -> list[str]:
    out = []
    if r.incomplete:
        out.append(f"<div class='banner incomplete' id='incomplete'>Incomplete run: "
                   f"{len(r.trials)} of {r.planned_trials} planned trials are in trials.csv; every "
                   f"number below is from those only. Rerun the same 'harness run' command to "
                   f"finish it.</div>")
    elif r.planned_trials is not None:
        out.append(f"<div class='banner info'>Complete: {len(r.trials)} of {r.planned_trials} "
                   f"planned trials.</div>")
    elif r.layout == "run":
        out.append("<div class='banner info'>No manifest.json beside the trials: the planned "
                   "number of trials and the provenance are unknown.</div>")
    for note in r.energy_notes():
        cls = "estimated" if "estimated" in note else "info"
        text = note[0].upper() + note[1:]
        if "estimated" in note:
            text = ("ESTIMATED ENERGY: every energy (and so every carbon figure) on this page is "
                    "modelled from CPU time, not measured by a hardware counter (" + note + ").")
        out.append(f"<div class='banner {cls}'>{_e(text)}</div>")
    return out


# ---------------------------------------------------------------- figures

def _png_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _figures(figures_dir: Path) -> str:
    index_path = figures_dir / "index.json"
    index = {"figures": [], "skipped": []}
    if index_path.is_file():
        index = json.loads(index_path.read_text(encoding="utf-8"))
    out, shown = [], set()
    for fig in index.get("figures", []):
        png = next((figures_dir / f for f in fig.get("files", []) if f.endswith(".png")), None)
        if png is None or not png.is_file():
            continue
        shown.add(png.name)
        notes = "; ".join(fig.get("notes", []))
        out.append(f"<figure id='fig-{_e(fig['name'])}'><img alt='{_e(fig.get('caption', fig['name']))}' "
                   f"src='{_png_uri(png)}'><figcaption><b>{_e(fig['name'])}</b>: "
                   f"{_e(fig.get('caption', ''))}{' [' + _e(notes) + ']' if notes else ''} "
                   f"(PNG and PDF in {_e(figures_dir)})</figcaption></figure>")
    for png in sorted(figures_dir.glob("*.png")) if figures_dir.is_dir() else []:
        if png.name not in shown:  # drawn by something that does not write index.json
            out.append(f"<figure id='fig-{_e(png.stem)}'><img alt='{_e(png.stem)}' src='{_png_uri(png)}'>"
                       f"<figcaption><b>{_e(png.stem)}</b> ({_e(png.name)})</figcaption></figure>")
    skipped = index.get("skipped", [])
    if skipped:
        out.append("<h3>Figures not drawn</h3><ul>" + "".join(
            f"<li><b>{_e(s['name'])}</b>: {_e(s['reason'])}</li>" for s in skipped) + "</ul>")
    return "\n".join(out) or "<p>No figures.</p>"


# ---------------------------------------------------------------- tables

def read_markdown_table(path: Path) -> tuple[str, list[str], list[str], list[list[str]]]:
    """(title, notes, header, rows) of a table written by ``harness.analysis.tables.to_markdown``:
    a heading, note lines, then a pipe table with ``\\|`` for a literal bar."""
    title, notes, header, rows = path.stem, [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") and not header:
            title = line.lstrip("#").strip()
        elif line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in
                     line.strip().strip("|").replace("\\|", "\0").split("|")]
            cells = [c.replace("\0", "|") for c in cells]
            if not header:
                header = cells
            elif not all(set(c) <= set("-:") for c in cells):
                rows.append(cells)
        elif line.strip() and not header and line.strip() != "(none)":
            notes.append(line.strip())
    return title, notes, header, rows


def _table_html(header: list[str], rows: list[list[str]]) -> str:
    if not header:
        return "<p class='note'>(none)</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows[:MAX_ROWS])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _tables(analysis_dir: Path, fresh: tuple[str, ...]) -> str:
    if not analysis_dir.is_dir():
        return "<p>No tables.</p>"
    found = {p.stem: p for p in analysis_dir.glob("*.md") if p.stem != "analysis"}
    order = [n for n in fresh if n in found] + sorted(n for n in found if n not in fresh)
    out = []
    for name in order:
        title, notes, header, rows = read_markdown_table(found[name])
        when = ""
        if name not in fresh:
            stamp = dt.datetime.fromtimestamp(found[name].stat().st_mtime, dt.timezone.utc)
            when = (f"<p class='note'>Found in {_e(analysis_dir.name)}/, written earlier "
                    f"({stamp.isoformat(timespec='seconds')}), not by this report.</p>")
        more = (f"<p class='note'>First {MAX_ROWS} of {len(rows)} rows; all in {_e(name)}.csv.</p>"
                if len(rows) > MAX_ROWS else "")
        table = _table_html(header, rows)
        if len(rows) > FOLD_ROWS:
            table = f"<details><summary>{len(rows)} rows (show)</summary>{table}</details>"
        out.append(f"<section id='table-{_e(name)}'><h3>{_e(title)}</h3>{when}"
                   + "".join(f"<p class='note'>{_e(n)}</p>" for n in notes)
                   + table + more + f"<p class='note'>Files: {_e(name)}.md, .tex, .csv</p></section>")
    return "\n".join(out) or "<p>No tables.</p>"


# ---------------------------------------------------------------- provenance

def _value_html(value) -> str:
    if isinstance(value, dict):
        if not value:
            return "<i>none</i>"
        return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_value_html(v)}</dd>" for k, v in value.items()) + "</dl>"
    if isinstance(value, list):
        if not value:
            return "<i>none</i>"
        if all(isinstance(v, dict) for v in value) and any(isinstance(x, (dict, list)) for v in value
                                                            for x in v.values()):
            # records holding records (sessions with their versions and machine): one list of
            # fields each, not a table of JSON cells as wide as the page allows and more
            return "<ol class='records'>" + "".join(f"<li>{_value_html(v)}</li>" for v in value) + "</ol>"
        if all(isinstance(v, dict) for v in value):
            keys = list(dict.fromkeys(k for v in value for k in v))
            return _table_html(keys, [[_plain(v.get(k, "")) for k in keys] for v in value])
        return ", ".join(_e(_plain(v)) for v in value)
    if value is None:
        return "<i>none</i>"
    return _e(_plain(value))


def _plain(value) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _section(title: str, body: str, anchor: str) -> str:
    return f"<section id='prov-{anchor}'><h3>{_e(title)}</h3>{body}</section>"


def _provenance(r: Results, manifest: dict) -> str:
    t = r.trials
    out = []
    planned = r.planned_trials
    out.append(_section("Trials", _value_html({
        "done": len(t), "planned": planned if planned is not None else "unknown (no manifest)",
        "algorithms": ", ".join(sorted(t["algorithm"].astype(str).unique())),
        "meters in the rows": ", ".join(r.meters),
        "energy": "; ".join(r.energy_notes()) or "measured",
    }), "trials"))
    if not manifest:
        out.append("<p>No manifest.json was read" + (": these are the ICT4S'22 published "
                   "measurements, whose provenance is the study's replication package."
                   if r.layout == "ict4s22" else ".") + "</p>")
        return "\n".join(out)
    spec = manifest.get("spec")
    if spec is not None:
        import yaml

        out.append(_section("Spec (as run)", f"<pre>{_e(yaml.safe_dump(spec, sort_keys=False))}</pre>"
                            f"<p class='note'>design hash {_e(manifest.get('design_hash', 'unknown'))}</p>",
                            "spec"))
    out.append(_section("Seeds", _seeds(t, spec), "seeds"))
    meter = manifest.get("meter")
    if meter is not None:
        meter = dict(meter)
        not_used = meter.pop("not_used", None)
        body = _value_html(meter)
        if not_used:
            body += "<p><b>Why the other meters were not used</b></p>" + _value_html(not_used)
        out.append(_section("Energy meter", body, "meter"))
    baseline = manifest.get("baseline")
    out.append(_section("Idle baseline", _value_html(baseline) if baseline else
                        "<p>None measured (hygiene.baseline_s = 0, or the run started before it "
                        "was taken).</p>", "baseline"))
    hygiene = {}
    if isinstance(spec, dict) and spec.get("hygiene") is not None:
        hygiene["as specified"] = spec["hygiene"]
    if manifest.get("hygiene") is not None:
        hygiene["as recorded"] = manifest["hygiene"]
    out.append(_section("Hygiene and machine state", _value_html(hygiene) if hygiene else
                        "<p>Not recorded.</p>", "hygiene"))
    for key, title in (("machine", "Machine"), ("versions", "Library versions"),
                       ("dataset", "Dataset"), ("features", "Features"),
                       ("algorithms", "Algorithms (classes and parameters)"),
                       ("sessions", "Sessions (start, resume)")):
        if key in manifest:
            out.append(_section(title, _value_html(manifest[key]), key))
    times = {k: manifest[k] for k in ("started_at", "finished_at") if k in manifest}
    if times:
        out.append(_section("Run times (UTC)", _value_html(times), "times"))
    others = {k: v for k, v in manifest.items() if k not in KNOWN_KEYS}
    for key, value in others.items():  # whatever else the manifest records, shown as it is
        out.append(_section(key.replace("_", " ").capitalize(), _value_html(value), key))
    return "\n".join(out)


def _seeds(trials, spec) -> str:
    lines = []
    if isinstance(spec, dict) and "seed" in spec:
        lines.append(f"<p>Spec seed {_e(spec['seed'])}; repetition r uses SeedSequence([seed, r]) "
                     "(the same for every configuration: common random numbers).</p>")
    if "seed" in trials.columns and trials["seed"].notna().any():
        per_rep = (trials.dropna(subset=["seed"]).groupby("repetition")["seed"]
                   .agg(lambda s: ", ".join(str(int(v)) for v in sorted(set(s)))))
        lines.append(_table_html(["repetition", "seed"], [[str(k), v] for k, v in per_rep.items()]))
    return "".join(lines) or "<p>Not recorded.</p>"
