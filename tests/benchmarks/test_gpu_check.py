"""benchmarks/gpu_check.py without a GPU: its comparison, integral and verdict against a fake pynvml
whose counter integrates a known power profile, a sleep for the GPU's work, and its imports with
every package a GPU machine may lack blocked."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

from fake_pynvml_profile import FakeNVMLError, make_fake_pynvml

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "gpu_check.py"
IDLE_W, BUSY_W = 60.0, 300.0
# short windows: the fake's power is exact, so half a second compares as well as four
FAST = dict(seconds=0.5, windows=2, idle_seconds=0.3, warmup_seconds=0.2, settle_seconds=0.2)
FAST_ARGV = ["--seconds", "0.5", "--windows", "2", "--idle-seconds", "0.3", "--warmup-seconds", "0.2",
             "--settle-seconds", "0.2", "--meters-seconds", "0.1"]


def _load():
    spec = importlib.util.spec_from_file_location("bench_gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


gpu_check = _load()


@pytest.fixture
def pynvml(monkeypatch):
    """``pynvml(**options)``: a fake pynvml (see tests/helpers/fake_pynvml_profile.py) installed as the module
    the harness's nvml meter imports."""

    def install(**kw):
        mod = make_fake_pynvml(IDLE_W, **kw)
        monkeypatch.setitem(sys.modules, "pynvml", mod)
        return mod

    return install


def sleep_work(fake):
    """The GPU's work: busy power while it runs, idle power after."""

    def work(seconds: float) -> None:
        fake.set_power(BUSY_W)
        time.sleep(seconds)
        fake.set_power(IDLE_W)

    return work


def sleep_backend(fake):
    return lambda cuda_index: gpu_check.Backend(sleep_work(fake), "sleep (fake GPU)", cuda_index, pci=(0, 0x18, 0))


def test_integrate_is_the_trapezoid_rule_with_interpolated_ends():
    times = [i / 10 for i in range(11)]  # 0.0 .. 1.0
    watts = [100.0 * t for t in times]  # a ramp: the trapezoid rule is exact on it
    joules, inside, gap = gpu_check.integrate(times, watts, 0.05, 0.95)
    assert joules == pytest.approx(50.0 * (0.95 ** 2 - 0.05 ** 2))
    assert inside == 9 and gap == pytest.approx(0.1)
    # past the record the power is held from the nearest sample
    assert gpu_check.integrate([1.0, 2.0], [10.0, 10.0], 0.0, 3.0)[0] == pytest.approx(30.0)
    joules, inside, gap = gpu_check.integrate(times[:2] + times[8:], watts[:2] + watts[8:], 0.0, 1.0)
    assert gap == pytest.approx(0.7) and inside == 3
    assert gpu_check.integrate([], [], 0.0, 1.0)[1] == 0


def test_counter_and_integrated_power_agree(pynvml):
    fake = pynvml()
    result = gpu_check.run_check(fake, 0, sleep_work(fake), **FAST)
    assert [w.name for w in result.windows] == ["busy 1", "busy 2", "idle"]
    for w in result.windows:
        watts = BUSY_W if w.kind == "busy" else IDLE_W
        assert w.counter_j == pytest.approx(watts * w.duration_s, rel=0.01)
        assert w.integrated_j == pytest.approx(watts * w.duration_s, rel=0.01)
        assert abs(w.rel_diff) < 0.01 and w.samples >= 10
    assert result.passed and result.verdict() == "PASS"
    assert gpu_check._mean_w(result.busy) == pytest.approx(BUSY_W, rel=0.01)
    assert gpu_check._mean_w(result.idle) == pytest.approx(IDLE_W, rel=0.01)
    assert fake.calls.count("init") == fake.calls.count("shutdown")  # the meter was closed


@pytest.mark.slow
def test_a_counter_10_percent_high_fails(pynvml):
    fake = pynvml(counter_scale=1.1)
    result = gpu_check.run_check(fake, 0, sleep_work(fake), **FAST)
    assert all(w.rel_diff == pytest.approx(0.10, abs=0.01) for w in result.windows)
    assert not result.passed
    verdict = result.verdict()
    assert verdict.startswith("FAIL busy 1: counter ") and "busy 2:" in verdict and "idle" not in verdict
    assert re.search(r"\(\+(9\.9\d|10\.0\d)%, tolerance 2%\)", verdict)


@pytest.mark.slow
def test_power_averaged_over_a_second_needs_the_warm_up(pynvml):
    """NVML's power reading is a trailing mean on recent GPUs: a window that starts at the step from
    idle reads low power; after the warm-up (here longer than the fake's 0.3 s mean) it does not."""
    fake = pynvml(power_avg_s=0.3)
    assert gpu_check.run_check(fake, 0, sleep_work(fake), **{**FAST, "warmup_seconds": 0.4}).passed
    fake = pynvml(power_avg_s=0.3)
    cold = gpu_check.run_check(fake, 0, sleep_work(fake), **{**FAST, "warmup_seconds": 0.0})
    first, second = cold.busy
    assert first.rel_diff > 0.05 and abs(second.rel_diff) < 0.01
    assert cold.verdict().startswith("FAIL busy 1:") and "busy 2" not in cold.verdict()


def test_sampler_sees_how_often_the_counter_moves(pynvml):
    fake = pynvml(counter_period_s=0.05)
    sampler = gpu_check.PowerSampler(fake, 0, 0.01).start()
    time.sleep(0.6)
    sampler.stop()
    steps = [b - a for a, b in zip(sampler.counter_changes, sampler.counter_changes[1:])]
    assert steps and 0.03 < sorted(steps)[len(steps) // 2] < 0.1
    assert sampler.watts and set(sampler.watts) == {IDLE_W}


def test_main_prints_the_table_and_writes_json(pynvml, tmp_path, capsys):
    fake = pynvml()
    out_json = tmp_path / "gpu.json"
    assert gpu_check.main([*FAST_ARGV, "--json", str(out_json)], nvml=fake, make_backend=sleep_backend(fake)) == 0
    out = capsys.readouterr().out
    lines = out.rstrip("\n").splitlines()
    assert lines[-1] == "PASS"
    assert "GPU: Fake GPU, NVML index 0 = CUDA device 0" in out and "PCI 0000:18:00.0" in out
    # the `meters` command's own lines for nvml, its column width included
    assert "  nvml      available" in out and "domains: gpu0; total = gpu0" in out
    assert re.search(r"sample over 0\.\d\d s: total", out), out  # 0.10 s asked; a loaded machine sleeps longer
    assert any(line.startswith("window") and "counter J" in line and "integrated J" in line for line in lines)
    assert any(line.startswith("busy 2 ") for line in lines)
    assert any(line.startswith("idle: 60.") for line in lines) and any(line.startswith("busy: 30") for line in lines)
    report = json.loads(out_json.read_text())
    assert report["passed"] is True and report["verdict"] == "PASS"
    assert [w["name"] for w in report["windows"]] == ["busy 1", "busy 2", "idle"]
    assert report["busy_w"] == pytest.approx(BUSY_W, rel=0.01) and report["idle_w"] == pytest.approx(IDLE_W, rel=0.01)
    assert report["gpu"]["pci_bus_id"] == "0000:18:00.0" and report["harness_meters_view"][0].startswith("nvml")
    assert fake.calls.count("init") == fake.calls.count("shutdown")


@pytest.mark.slow
def test_main_fail_exits_1(pynvml, tmp_path, capsys):
    fake = pynvml(counter_scale=0.9)
    out_json = tmp_path / "gpu.json"
    assert gpu_check.main([*FAST_ARGV, "--json", str(out_json)], nvml=fake, make_backend=sleep_backend(fake)) == 1
    last = capsys.readouterr().out.rstrip("\n").splitlines()[-1]
    assert last.startswith("FAIL busy 1: ") and re.search(r"\(-(9\.9\d|10\.0\d)%", last)
    assert json.loads(out_json.read_text())["passed"] is False


@pytest.mark.parametrize("options, backend, message", [
    ({"init_error": FakeNVMLError("Driver Not Loaded")}, "sleep", "NVML cannot start (no NVIDIA driver or GPU?): Driver Not Loaded"),
    ({"energy_supported": False}, "sleep", "no total-energy counter on gpu0"),
    ({"power_supported": False}, "sleep", "gives no power reading"),
    ({}, "default", "nothing to load the GPU with: PyTorch is not installed; CuPy is not installed"),
    ({"pci": (0, 0x3b, 0)}, "sleep", "CUDA device 0 is at PCI 0000:18:00.0, which is none of the 1 GPU(s) NVML lists"),
])
def test_nothing_to_check_is_one_line_and_exit_2(pynvml, monkeypatch, capsys, options, backend, message):
    fake = pynvml(**options)
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError, even where it is installed
    monkeypatch.setitem(sys.modules, "cupy", None)
    make = sleep_backend(fake) if backend == "sleep" else None
    assert gpu_check.main(FAST_ARGV, nvml=fake, make_backend=make) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("gpu_check: no GPU to check: ") and message in err
    assert out == ""


def test_meters_view_falls_back_to_describe_when_the_command_does_not_import(pynvml, monkeypatch):
    import harness.meters

    pynvml()
    monkeypatch.delattr(harness.meters, "command", raising=False)
    monkeypatch.setitem(sys.modules, "harness.cli.meters", None)  # as if moved away
    lines = gpu_check.harness_meters_view(0.0)
    assert lines[0].startswith("(the `meters` command's code does not import: ")
    assert lines[0].endswith("the nvml meter's own describe() instead)")
    assert lines[1].startswith("nvml describe(): {") and '"gpus": {"gpu0": "Fake GPU"}' in lines[1]


class StubNvml:
    """Three GPUs for the CUDA -> NVML mapping; nothing else."""

    pcis = [(0, 0x18, 0), (0, 0x3b, 0), (1, 0x18, 0)]
    uuids = ["GPU-aaaa", "GPU-bbbb", "GPU-cccc"]

    def __init__(self, count=3):
        self.count = count

    def nvmlDeviceGetCount(self):
        return self.count

    def nvmlDeviceGetHandleByIndex(self, i):
        return i

    def nvmlDeviceGetPciInfo(self, h):
        d, b, s = self.pcis[h]
        return types.SimpleNamespace(domain=d, bus=b, device=s)

    def nvmlDeviceGetUUID(self, h):
        return self.uuids[h].encode()  # older nvidia-ml-py returns bytes


def test_cuda_device_is_found_in_nvml_by_pci_then_uuid():
    B = gpu_check.Backend
    nvml = StubNvml()
    # CUDA_VISIBLE_DEVICES=2 makes NVML's GPU 2 CUDA's device 0: found by PCI, domain included
    assert gpu_check.nvml_index_for(nvml, B(None, "", 0, pci=(1, 0x18, 0))) == 2
    assert gpu_check.nvml_index_for(nvml, B(None, "", 0, pci=gpu_check.parse_pci("0000:3B:00.0"))) == 1
    assert gpu_check.nvml_index_for(nvml, B(None, "", 0, uuid="BBBB")) == 1
    with pytest.raises(gpu_check.Unavailable, match="at PCI 0000:5e:00.0, which is none of the 3"):
        gpu_check.nvml_index_for(nvml, B(None, "", 1, pci=(0, 0x5e, 0)))
    with pytest.raises(gpu_check.Unavailable, match="cannot tell which of NVML's 3 GPUs is CUDA device 0"):
        gpu_check.nvml_index_for(nvml, B(None, "", 0, uuid="dddd"))
    assert gpu_check.nvml_index_for(StubNvml(count=1), B(None, "", 0)) == 0


def test_parse_pci():
    assert gpu_check.parse_pci("00000000:18:00.0") == (0, 0x18, 0)
    assert gpu_check.parse_pci(b"0001:AF:1f.0") == (1, 0xAF, 0x1F)
    assert gpu_check.parse_pci("junk") is None
    assert gpu_check.format_pci((0, 0xAF, 0x1F)) == "0000:af:1f.0"


# What a GPU machine's Python has besides the standard library; everything else is refused.
ALLOWED = {"harness", "numpy", "torch", "pynvml", "cupy", "fake_pynvml_profile", "bench_gpu_check"}
BLOCKER = textwrap.dedent("""
    import importlib.abc, sys
    ALLOWED = set(sys.stdlib_module_names) | set({allowed!r})
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] not in ALLOWED:
                raise ImportError(f"blocked: {{name}} (not on a bare GPU machine)")
    sys.meta_path.insert(0, Block())
    BEFORE = set(sys.modules)
    def report():
        new = {{m.split(".")[0] for m in set(sys.modules) - BEFORE}}
        print("IMPORTED", sorted(new - set(sys.stdlib_module_names)))
""").format(allowed=sorted(ALLOWED))


def _bare_python(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CUDA"))}
    env["PYTHONPATH"] = str(REPO)  # as on the GPU machine: PYTHONPATH=. python3 benchmarks/gpu_check.py
    return subprocess.run([sys.executable, "-c", BLOCKER + textwrap.dedent(code)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_the_check_runs_with_only_a_gpu_machines_packages():
    """The whole check, `meters` view included, with a fake pynvml and every package outside the
    standard library, NumPy, PyTorch/CuPy and nvidia-ml-py refused (pydantic, pandas, sklearn,
    optuna, nltk, pyRAPL, imblearn, yaml, scipy...): nothing it imports needs them."""
    proc = _bare_python(f"""
        import importlib.util, sys, time
        for name in ("pydantic", "pandas", "sklearn", "optuna", "nltk", "pyRAPL", "imblearn", "yaml", "scipy"):
            try:
                __import__(name)
            except ImportError:
                pass
            else:
                raise SystemExit(f"the blocker let {{name}} through")
        sys.path.insert(0, {str(REPO / "tests" / "helpers")!r})
        import fake_pynvml_profile
        fake = fake_pynvml_profile.make_fake_pynvml({IDLE_W})
        sys.modules["pynvml"] = fake
        spec = importlib.util.spec_from_file_location("bench_gpu_check", {str(SCRIPT)!r})
        gc = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = gc
        spec.loader.exec_module(gc)
        def work(s):
            fake.set_power({BUSY_W}); time.sleep(s); fake.set_power({IDLE_W})
        rc = gc.main({FAST_ARGV!r}, nvml=fake, make_backend=lambda i: gc.Backend(work, "sleep", i, pci=(0, 0x18, 0)))
        report()
        print("RC", rc)
    """)
    assert proc.returncode == 0, proc.stderr
    assert "does not import" not in proc.stdout  # the `meters` command's own code ran, not the fallback
    assert "  nvml      available" in proc.stdout and "\nPASS\n" in proc.stdout
    assert "IMPORTED ['bench_gpu_check', 'fake_pynvml_profile', 'harness', 'pynvml']" in proc.stdout
    assert proc.stdout.rstrip().endswith("RC 0")


def test_without_pynvml_the_script_says_so_in_one_line():
    proc = _bare_python(f"""
        import runpy, sys
        sys.modules["pynvml"] = None  # nvidia-ml-py not installed
        sys.argv = [{str(SCRIPT)!r}]
        try:
            runpy.run_path({str(SCRIPT)!r}, run_name="__main__")
        except SystemExit as e:
            sys.stdout.flush()
            sys.stderr.write(f"EXIT {{e.code}}\\n")
    """)
    err = proc.stderr.splitlines()
    assert err == ["gpu_check: no GPU to check: nvidia-ml-py is not installed (module pynvml): pip install "
                   "nvidia-ml-py", "EXIT 2"], proc.stderr
    assert proc.stdout == ""


def test_help_describes_the_check_in_whole_sentences():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"
    p = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60)
    text = " ".join(p.stdout.split())
    assert p.returncode == 0 and "Run on a machine with an NVIDIA GPU." in text
