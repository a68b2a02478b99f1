"""Carbon footprint of trials: operational (energy x grid intensity x PUE) and embodied (the
machine's manufacturing footprint amortised over its service life).

Following Clemm, Stobbe, Wimalawarne and Druschke, "Towards Green AI: current status and future
research" (2024, arXiv:2407.10237), who ask tools to report both; CodeCarbon and its peers report
only the operational part:

- operational gCO2e = energy (kWh) x grid carbon intensity (gCO2e/kWh) x PUE;
- embodied gCO2e = manufacturing footprint (gCO2e) x duration / service life.

Energy comes from the trials (J; 3.6e6 J = 1 kWh), so an estimated energy gives an estimated
carbon: the tables and figures carry the results' energy notes. The embodied share is charged
by wall time, i.e. the machine is taken as dedicated to the run while a trial lasts.

The country table (``data/grid_intensity.csv``) is Our World in Data's "Carbon intensity of
electricity generation" (Ember, Energy Institute), one year per country (mostly 2022-2023),
keyed by ISO 3166-1 alpha-3 code; its header names the source.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import math
from pathlib import Path

from harness.errors import CarbonError  # noqa: F401  (raised here; re-exported for callers)

J_PER_KWH = 3.6e6
S_PER_YEAR = 365 * 24 * 3600  # 8,760 h: the year of Clemm et al.'s worked example
INTENSITY_TABLE = Path(__file__).parent / "grid_intensity.csv"
INTENSITY_SOURCE = ("Our World in Data, carbon intensity of electricity generation "
                    "(Ember; Energy Institute)")
PHASES = ("preprocess", "train", "predict")

# Bounds of the carbon inputs: refused beyond the MAX_ values (a unit slip such as g/MWh, or a
# typo), warned about beyond the usual ones.
# - Intensity: warned about above the dirtiest national grid in INTENSITY_TABLE (Turkmenistan,
#   1,306 gCO2e/kWh in 2022); refused above 2,000, about 1.5 times that: room for a regional grid or
#   an hour dirtier than any national yearly average, none for a unit slip (per MWh is 1,000 times
#   per kWh). Coal plants' life-cycle emissions are 740-910 gCO2e/kWh (IPCC AR5 WGIII, Annex III).
# - PUE = facility energy / IT energy (The Green Grid; ISO/IEC 30134-2) is >= 1 by definition. The
#   Uptime Institute's annual surveys put the industry average at about 2.5 in 2007 and 1.5-1.6
#   since 2014: above 2 is unusual, above 3 is no facility anyone surveyed.
MAX_INTENSITY_G_PER_KWH = 2000.0
USUAL_PUE, MAX_PUE = 2.0, 3.0


@dataclasses.dataclass(frozen=True)
class CarbonInputs:
    """What a carbon figure is computed from; ``describe()`` names it on every table and figure.

    ``intensity_g_per_kwh``: grid carbon intensity (gCO2e/kWh); ``intensity_source``: where it
    came from ("given", or the country, year and dataset). ``pue``: power usage effectiveness
    (>= 1; 1.0 = no facility overhead). ``embodied_kg``: manufacturing footprint of the whole
    machine (kgCO2e) or None when not given (embodied carbon is then not computed);
    ``lifetime_years``: its service life.
    """

    intensity_g_per_kwh: float
    intensity_source: str = "given"
    pue: float = 1.0
    embodied_kg: float | None = None
    lifetime_years: float = 5.0

    def __post_init__(self):
        if not (math.isfinite(self.intensity_g_per_kwh) and self.intensity_g_per_kwh >= 0):
            raise CarbonError(f"--intensity must be >= 0 gCO2e/kWh, got {self.intensity_g_per_kwh}")
        if self.intensity_g_per_kwh > MAX_INTENSITY_G_PER_KWH:
            raise CarbonError(f"--intensity {self.intensity_g_per_kwh:g} gCO2e/kWh: no grid emits more than "
                              f"{MAX_INTENSITY_G_PER_KWH:g} (the dirtiest country in {INTENSITY_TABLE.name}: "
                              f"{_dirtiest()}); give gCO2e per kWh (not per MWh) or a country code such as DEU")
        if not (math.isfinite(self.pue) and self.pue >= 1):
            raise CarbonError(f"--pue must be >= 1 (1.0 = no data-centre overhead), got {self.pue}")
        if self.pue > MAX_PUE:
            raise CarbonError(f"--pue must be at most {MAX_PUE:g} (facility / IT energy; surveyed data centres "
                              f"average about 1.6), got {self.pue:g}")
        if self.embodied_kg is not None and not (math.isfinite(self.embodied_kg) and self.embodied_kg >= 0):
            raise CarbonError(f"--embodied-kg must be >= 0 kgCO2e, got {self.embodied_kg}")
        if not (math.isfinite(self.lifetime_years) and self.lifetime_years > 0):
            raise CarbonError(f"--lifetime-years must be > 0, got {self.lifetime_years}")

    def warnings(self) -> list[str]:
        """One line per input that is possible but unusual (see the bounds above ``MAX_PUE``)."""
        out = []
        if self.intensity_g_per_kwh > _dirtiest_row()[1]:
            out.append(f"--intensity {self.intensity_g_per_kwh:g} gCO2e/kWh is above every country in "
                       f"{INTENSITY_TABLE.name} (highest: {_dirtiest()}); check the unit (per kWh)")
        if self.pue > USUAL_PUE:
            out.append(f"--pue {self.pue:g} is unusual: surveyed data centres average about 1.6 (Uptime "
                       f"Institute) and few exceed {USUAL_PUE:g}; check it is facility / IT energy")
        return out

    @property
    def has_embodied(self) -> bool:
        return self.embodied_kg is not None

    def describe(self, short: bool = False) -> str:
        """One line naming every input, e.g. for a table note; ``short`` (for a figure title)
        keeps only the country and year of a looked-up intensity."""
        source = self.intensity_source.split(",")[0] if short else self.intensity_source
        text = f"grid {self.intensity_g_per_kwh:.4g} gCO2e/kWh ({source}), PUE {self.pue:g}"
        if self.has_embodied:
            text += (f"; embodied {self.embodied_kg:g} kgCO2e over {self.lifetime_years:g} years"
                     + ("" if short else ", charged by trial wall time"))
        else:
            text += "; embodied not computed (no --embodied-kg)"
        return text


@functools.lru_cache(maxsize=1)
def intensity_table() -> dict[str, tuple[str, float, int]]:
    """ISO 3166-1 alpha-3 code -> (country, gCO2e/kWh, year), from ``INTENSITY_TABLE``."""
    with open(INTENSITY_TABLE, encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {r["iso3"]: (r["country"], float(r["gco2e_per_kwh"]), int(r["year"])) for r in rows}


def _dirtiest_row() -> tuple[str, float, int]:
    """The country table's row with the highest intensity: (country, gCO2e/kWh, year)."""
    return max(intensity_table().values(), key=lambda row: row[1])


def _dirtiest() -> str:
    """The highest intensity in the country table, e.g. "Turkmenistan 1306 gCO2e/kWh (2022)"."""
    country, g, year = _dirtiest_row()
    return f"{country} {g:g} gCO2e/kWh ({year})"


def resolve_intensity(value: str | float) -> tuple[float, str]:
    """(gCO2e/kWh, source) from a number in gCO2e/kWh or an ISO 3166-1 alpha-3 country code.

    Raises CarbonError for a negative number or an unknown code (the message lists codes that
    share its first letter).
    """
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        if not (math.isfinite(number) and number >= 0):
            raise CarbonError(f"--intensity must be >= 0 gCO2e/kWh or a country code, got {text}")
        return number, "given"
    table = intensity_table()
    code = text.upper()
    if code not in table:
        near = sorted(c for c in table if c[:1] == code[:1])[:12]
        raise CarbonError(f"--intensity {text!r}: not a number (gCO2e/kWh) nor an ISO 3166-1 alpha-3 "
                          f"code in {INTENSITY_TABLE.name} (e.g. DEU, FRA, USA"
                          + (f"; with {code[:1]}: {', '.join(near)}" if near else "") + ")")
    country, g, year = table[code]
    return g, f"{country} {year}, {INTENSITY_SOURCE}"


def operational_g(energy_j, intensity_g_per_kwh: float, pue: float = 1.0):
    """Operational gCO2e of ``energy_j`` (J; scalar or array): kWh x gCO2e/kWh x PUE."""
    return energy_j / J_PER_KWH * intensity_g_per_kwh * pue


def embodied_g(duration_s, embodied_kg: float, lifetime_years: float):
    """Embodied gCO2e charged to ``duration_s`` (s; scalar or array) of a machine whose
    manufacture cost ``embodied_kg`` kgCO2e over ``lifetime_years`` years of service."""
    return 1000.0 * embodied_kg * duration_s / (lifetime_years * S_PER_YEAR)


def trial_carbon(trials, inputs: CarbonInputs):
    """Per trial and phase: ``<phase>_operational_g``, ``<phase>_embodied_g`` (NaN without a
    manufacturing footprint) and ``<phase>_gco2e`` (their sum, or operational alone), plus the
    same three summed over the phases (``operational_g``, ``embodied_g``, ``gco2e``), all gCO2e.

    ``trials``: a DataFrame with ``<phase>_energy_j`` and ``<phase>_s``; the result keeps its
    index and adds the columns to a copy. A ``concurrent_trials`` column (trials that ran at once
    on the trial's host: ``harness.results.load`` takes it from the manifest's ``hosts``) divides
    the embodied share: two trials at once on one machine share its wall time, they do not each
    use the whole machine.
    """
    out = trials.copy()
    sharing = (out["concurrent_trials"].astype(float).clip(lower=1) if "concurrent_trials" in out.columns
               else 1.0)
    for phase in PHASES:
        op = operational_g(out[f"{phase}_energy_j"].astype(float), inputs.intensity_g_per_kwh, inputs.pue)
        out[f"{phase}_operational_g"] = op
        if inputs.has_embodied:
            emb = embodied_g(out[f"{phase}_s"].astype(float), inputs.embodied_kg, inputs.lifetime_years) / sharing
            out[f"{phase}_embodied_g"] = emb
            out[f"{phase}_gco2e"] = op + emb
        else:
            out[f"{phase}_embodied_g"] = math.nan
            out[f"{phase}_gco2e"] = op
    for part in ("operational_g", "embodied_g", "gco2e"):
        cols = [f"{p}_{part}" for p in PHASES]
        out[part] = out[cols].sum(axis=1, min_count=len(PHASES))
    return out
