"""The ``nvml`` meter: NVIDIA GPU energy from NVML's total-energy counter.

``nvmlDeviceGetTotalEnergyConsumption`` gives millijoules (mJ, not uJ) since the driver was last
loaded (Volta and newer), a 64-bit counter that does not wrap in practice. Domains are ``gpu0``,
``gpu1``, ... (NVML device index); total = their sum. The driver refreshes the counter every few
tens of milliseconds, so windows much shorter than that read 0 or one step.

Which GPUs (:func:`select_gpus`): NVML lists every GPU of the node and ignores
``CUDA_VISIBLE_DEVICES``; this meter measures the GPUs the job was given and only those:

- ``devices`` given (the spec's ``nvml: {devices: [...]}``, ``--meter nvml:3``): those GPUs, by NVML
  index or UUID (``GPU-...``, ``MIG-...``, as ``nvidia-smi -L`` prints them); each must have the counter;
- else ``CUDA_VISIBLE_DEVICES`` set: the GPUs it names, read as CUDA reads it (indices or UUIDs,
  comma-separated; an empty value means no GPU; CUDA stops at the first entry that is invalid, so the
  entries after it are ignored, and said to be);
- else every GPU of the node.

Nothing is dropped silently: ``describe()`` (the manifest), ``notes()`` (the run's first line and
``python -m harness meters``) name every GPU not measured and why (not given to the job, no energy
counter). A GPU of the job without the counter (before Volta: ``NVMLError_NotSupported``) beside one
with it leaves a PARTIAL GPU total, labelled so (``partial``); the run goes on. A GPU in MIG mode is
measured whole: its counter covers every MIG instance, other tenants' work included, not only the
instance the job was given; this is said wherever the meter is described (``whole_gpu_mig``).

A window whose end reading is below its begin is not a measurement: the counter restarts at 0 when
the driver is reloaded or the GPU reset (it counts "since the driver was last reloaded", it does not
wrap). Its energy is NaN and ``Measurement.invalid`` says why; never a negative joule.

Needs the optional extra ``pip install .[nvidia]`` (nvidia-ml-py, imported lazily as ``pynvml``).
Only GPU energy: combine it with a CPU meter, ``meter: [rapl, nvml]``.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field

from harness.errors import MeterError
from harness.meters.common import Measurement, Meter, Resolution

MJ_TO_J = 1e-3  # nvmlDeviceGetTotalEnergyConsumption counts millijoules
UNSUPPORTED_WHY = "no energy counter (needs Volta or newer)"
_UUID = re.compile(r"(GPU|MIG)-", re.IGNORECASE)


def import_pynvml():
    try:
        import pynvml
    except ImportError:
        raise MeterError(
            "nvidia-ml-py is not installed (module pynvml); pip install '.[nvidia]' or drop nvml "
            "from meter"
        ) from None
    return pynvml


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class Gpu:
    """One GPU as NVML lists it: NVML ``index``, ``uuid`` (``GPU-...``), ``model``, MIG mode on."""

    index: int
    uuid: str
    model: str
    mig: bool = False

    @property
    def name(self) -> str:
        return f"gpu{self.index}"


@dataclass
class GpuChoice:
    """Which GPUs to measure and why: ``chosen`` NVML indices in order, ``by`` (how they were chosen,
    e.g. ``CUDA_VISIBLE_DEVICES=3``), ``left_out``: gpuN -> why it is not measured (other than lacking
    the counter, which opening finds out), ``notes``: entries ignored, assumptions made."""

    chosen: list[int]
    by: str
    left_out: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def parse_visible(value: str) -> tuple[list[str], str]:
    """The entries of a ``CUDA_VISIBLE_DEVICES`` value as CUDA reads them, without the GPU list:
    comma-separated indices (``3``) or UUIDs (``GPU-...``, ``MIG-...``, a unique prefix of one), up
    to the first entry that is neither (CUDA ignores it and every entry after it, ``-1`` included).
    Returns (entries, the ignored tail or "")."""
    entries = [e.strip() for e in value.split(",")] if value.strip() else []
    for i, e in enumerate(entries):
        if not (e.isdigit() or _UUID.match(e)):
            return entries[:i], ",".join(entries[i:])
    return entries, ""


def _find_uuid(entry: str, gpus: list[Gpu]) -> list[Gpu]:
    """GPUs whose UUID is ``entry`` or starts with it (CUDA accepts a unique prefix)."""
    e = entry.lower()
    exact = [g for g in gpus if g.uuid.lower() == e]
    return exact or [g for g in gpus if g.uuid.lower().startswith(e)]


def _mig_parent(nvml, entry: str, gpus: list[Gpu]) -> tuple[Gpu | None, str]:
    """The GPU that holds MIG instance ``entry`` (``MIG-<uuid>``, or the older
    ``MIG-GPU-<uuid>/<gi>/<ci>``), and how it was found ("" when NVML said so)."""
    old = re.match(r"MIG-(GPU-[0-9a-fA-F-]+)/", entry)
    if old:
        found = _find_uuid(old.group(1), gpus)
        return (found[0] if len(found) == 1 else None), ""
    try:  # R470+: a MIG device's handle, then its parent's
        mig = nvml.nvmlDeviceGetHandleByUUID(entry)
        parent = nvml.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(mig)
        index = int(nvml.nvmlDeviceGetIndex(parent))
        return next((g for g in gpus if g.index == index), None), ""
    except Exception:  # an older driver or binding, or an unknown UUID: look through the instances
        pass
    for g in gpus:
        if not g.mig:
            continue
        try:
            h = nvml.nvmlDeviceGetHandleByIndex(g.index)
            for j in range(int(nvml.nvmlDeviceGetMaxMigDeviceCount(h))):
                try:
                    m = nvml.nvmlDeviceGetMigDeviceHandleByIndex(h, j)
                except Exception:  # an empty slot
                    continue
                if _text(nvml.nvmlDeviceGetUUID(m)).lower() == entry.lower():
                    return g, ""
        except Exception:
            break
    in_mig = [g for g in gpus if g.mig]
    if len(in_mig) == 1:  # NVML cannot say which; only one GPU can hold a MIG instance here
        return in_mig[0], f"taken to be on {in_mig[0].name}, the only GPU in MIG mode (NVML could not say)"
    return None, ""


def select_gpus(nvml, gpus: list[Gpu], devices: list | None, visible: str | None,
                order: str = "FASTEST_FIRST") -> GpuChoice:
    """The GPUs to measure (see the module docstring). ``gpus``: every GPU NVML lists; ``devices``:
    the ones named explicitly (NVML indices, or UUID strings); ``visible``: ``CUDA_VISIBLE_DEVICES``
    (None: unset); ``order``: ``CUDA_DEVICE_ORDER``. Raises MeterError when a GPU named does not
    exist, or when CUDA's indices cannot be told apart from NVML's (GPUs of different models with
    ``CUDA_DEVICE_ORDER`` not ``PCI_BUS_ID``)."""
    by_index = {g.index: g for g in gpus}
    if devices is not None:
        chosen = []
        for d in devices:
            text = str(d).strip()
            if text.isdigit():
                if int(text) not in by_index:
                    raise MeterError(f"nvml.devices: GPU {text} does not exist (NVML sees {len(gpus)} GPU(s))")
                g = by_index[int(text)]
            elif text[:4].upper() == "MIG-":
                g, _ = _mig_parent(nvml, text, gpus)
                if g is None:
                    raise MeterError(f"nvml.devices: no GPU holds MIG instance {text}; see nvidia-smi -L")
            else:
                found = _find_uuid(text, gpus)
                if len(found) != 1:
                    raise MeterError(f"nvml.devices: {text!r} names {'no' if not found else 'more than one'} GPU; "
                                     "give an NVML index or a UUID as nvidia-smi -L prints it")
                g = found[0]
            if g.index not in chosen:
                chosen.append(g.index)
        choice = GpuChoice(chosen, "nvml.devices")
        left = "not named in nvml.devices"
        if visible is not None:
            choice.notes.append(f"nvml.devices chooses the GPUs; CUDA_VISIBLE_DEVICES={visible} is not used")
    elif visible is not None:
        choice = _from_visible(nvml, gpus, visible, order)
        left = "not given to this job"
    else:
        return GpuChoice([g.index for g in gpus], "every GPU (CUDA_VISIBLE_DEVICES is unset)")
    choice.left_out.update({g.name: left for g in gpus if g.index not in choice.chosen})
    return choice


def _from_visible(nvml, gpus: list[Gpu], visible: str, order: str) -> GpuChoice:
    entries, ignored = parse_visible(visible)
    choice = GpuChoice([], f"CUDA_VISIBLE_DEVICES={visible}")
    if not visible.strip():
        choice.notes.append("CUDA_VISIBLE_DEVICES is empty: this job was given no GPU")
    by_index = {g.index: g for g in gpus}
    models = {g.model for g in gpus}
    for i, e in enumerate(entries):
        g, how = None, ""
        if e.isdigit():
            if len(models) > 1 and order != "PCI_BUS_ID":
                raise MeterError(
                    f"CUDA_VISIBLE_DEVICES={visible}: CUDA numbers GPUs fastest first, NVML by PCI bus, and "
                    f"this node's GPUs differ ({', '.join(sorted(models))}), so index {e} may not be NVML's GPU "
                    f"{e}; set CUDA_DEVICE_ORDER=PCI_BUS_ID, give UUIDs (nvidia-smi -L), or name nvml.devices")
            g = by_index.get(int(e))
        elif e[:4].upper() == "MIG-":
            g, how = _mig_parent(nvml, e, gpus)
        else:
            found = _find_uuid(e, gpus)
            g = found[0] if len(found) == 1 else None
        if g is None:  # CUDA stops here: this entry and the rest show the job no GPU
            ignored = ",".join(entries[i:] + ([ignored] if ignored else []))
            break
        if how:
            choice.notes.append(f"{e}: {how}")
        if g.index not in choice.chosen:
            choice.chosen.append(g.index)
    if ignored:
        choice.notes.append(f"CUDA_VISIBLE_DEVICES entries {ignored!r} ignored: CUDA stops at the first entry "
                            "that names no GPU of this node")
    return choice


class NvmlMeter(Meter):
    """Energy of NVIDIA GPUs (J; the counter's mJ x 1e-3).

    ``devices``: the GPUs to read, as NVML indices (ints) or UUID strings; each must have the energy
    counter. Default: the GPUs in ``CUDA_VISIBLE_DEVICES`` when it is set, else every GPU, those
    without the counter left out of a total labelled partial. Attributes after opening: ``measured``
    (gpuN -> model), ``not_measured`` (gpuN -> why), ``unsupported`` (GPUs of the job without the
    counter, "gpuN: error"), ``partial`` (True when one of those exists), ``whole_gpu_mig`` (measured
    GPUs in MIG mode), ``chosen_by``. Raises MeterError (one line) without a driver, without a GPU,
    when a GPU named does not exist or has no counter, or when no GPU of the job has the counter.
    """

    name = "nvml"
    estimated = False

    def __init__(self, devices: list[int | str] | None = None):
        from harness.environment import cuda_device_order, cuda_visible_devices

        nvml = import_pynvml()
        self._nvml = None
        try:
            nvml.nvmlInit()
        except Exception as e:  # NVMLError_LibraryNotFound, _DriverNotLoaded, ...
            raise MeterError(f"NVML cannot start (no NVIDIA driver or GPU?): {e}; drop nvml from meter") from None
        self._nvml = nvml
        try:
            gpus = [self._gpu(i) for i in range(nvml.nvmlDeviceGetCount())]
            choice = select_gpus(nvml, gpus, None if devices is None else list(devices), cuda_visible_devices(),
                                 cuda_device_order())
            handles, measured, unsupported, left_out = [], {}, [], {}
            for i in choice.chosen:
                g = gpus[i]
                h = nvml.nvmlDeviceGetHandleByIndex(i)
                try:
                    nvml.nvmlDeviceGetTotalEnergyConsumption(h)
                except Exception as e:  # NVMLError_NotSupported before Volta
                    unsupported.append(f"{g.name} ({g.model}): {e}")  # "Not Supported"
                    left_out[g.name] = f"{UNSUPPORTED_WHY}: {e}"
                    continue
                handles.append(h)
                measured[g.name] = g.model
            if devices is not None and unsupported:  # named explicitly: a partial total was not asked for
                raise MeterError("nvml: no total-energy counter on " + "; ".join(unsupported)
                                 + " (needs Volta or newer); name GPUs that have one in nvml.devices")
            if not handles:
                why = "; ".join(unsupported + choice.notes) or "NVML sees no GPU"
                raise MeterError(f"nvml: no GPU of this job with an energy counter ({why}); drop nvml from meter")
        except BaseException:
            self.close()
            raise
        self._handles = tuple(handles)
        self._names = tuple(measured)
        self.models = list(measured.values())
        self.measured = measured
        self.chosen_by = choice.by
        self.unsupported = unsupported
        self.partial = bool(unsupported)
        self.not_measured = {**left_out, **choice.left_out}
        self.selection_notes = choice.notes
        self.whole_gpu_mig = [gpus[i].name for i in choice.chosen if gpus[i].name in measured and gpus[i].mig]

    def _gpu(self, index: int) -> Gpu:
        nvml = self._nvml
        h = nvml.nvmlDeviceGetHandleByIndex(index)
        try:
            uuid = _text(nvml.nvmlDeviceGetUUID(h))
        except Exception:  # a binding without it: the GPU can still be named by index
            uuid = ""
        try:
            mig = bool(nvml.nvmlDeviceGetMigMode(h)[0])  # [current, pending]
        except Exception:  # NotSupported: a GPU without MIG (before Ampere), or an old binding
            mig = False
        return Gpu(index, uuid, _text(nvml.nvmlDeviceGetName(h)), mig)

    def _read(self) -> tuple[int, ...]:
        get = self._nvml.nvmlDeviceGetTotalEnergyConsumption
        return tuple(get(h) for h in self._handles)

    def begin(self):
        return (time.perf_counter(), self._read())

    def end(self, token) -> Measurement:
        e1 = self._read()
        t1 = time.perf_counter()
        t0, e0 = token
        domains, backwards = {}, []
        for n, a, b in zip(self._names, e1, e0):
            if a < b:  # restarted: a driver reload or GPU reset inside the window; the counter does not wrap
                domains[n] = math.nan
                backwards.append(f"{n} counter went backwards ({b} -> {a} mJ: driver reloaded or GPU reset)")
            else:
                domains[n] = (a - b) * MJ_TO_J
        return Measurement(total_j=math.nan if backwards else sum(domains.values()), duration_s=t1 - t0,
                           domains_j=domains, invalid="; ".join(backwards))

    def domains(self) -> list[str]:
        return list(self._names)

    def resolution(self) -> Resolution:
        """The counter counts in mJ; the driver refreshes it every few tens of ms. 0.1 s is an
        assumed, conservative update period (NVML documents none for this counter)."""
        return Resolution(energy_j=1e-3, update_s=0.1,
                          source="NVML total-energy counter: 1 mJ steps, update period assumed 0.1 s")

    def notes(self) -> list[str]:
        """What the GPU total covers and what it leaves out, for the run's first line and ``meters``."""
        out = []
        if self.partial:
            out.append("PARTIAL GPU total: not measured: " + "; ".join(self.unsupported) + f" ({UNSUPPORTED_WHY})")
        for n in self.whole_gpu_mig:
            out.append(f"{n} is the whole {self.measured[n]} in MIG mode: its counter covers every MIG instance, "
                       "other tenants' work included, not only this job's instance")
        left = {k: v for k, v in self.not_measured.items() if not v.startswith(UNSUPPORTED_WHY)}
        if left or self.chosen_by != "every GPU (CUDA_VISIBLE_DEVICES is unset)":
            line = f"GPUs measured: {', '.join(self._names)} ({self.chosen_by})"
            if left:
                reasons = {}
                for k, v in left.items():
                    reasons.setdefault(v, []).append(k)
                line += "; not measured: " + "; ".join(f"{', '.join(ks)} ({why})" for why, ks in reasons.items())
            out.append(line)
        out += self.selection_notes
        return out

    def describe(self) -> dict:
        return {
            **super().describe(),
            "gpus": dict(self.measured),
            "chosen_by": self.chosen_by,
            "not_measured": dict(self.not_measured),
            "unsupported": self.unsupported,
            "partial": self.partial,
            "whole_gpu_mig": list(self.whole_gpu_mig),
            "notes": self.notes(),
            "unit": "NVML counter in mJ (x 1e-3 = J); a window whose end reading is below its begin is invalid (NaN)",
        }

    def close(self) -> None:
        nvml, self._nvml = self._nvml, None
        if nvml is not None:
            try:
                nvml.nvmlShutdown()
            except Exception:
                pass
