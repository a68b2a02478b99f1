"""What identifies a machine: the kernel's boot_id (one per running kernel, shared by every container
on it), and /etc/machine-id only where it is the host's (outside a container)."""

from fake_machine import make_fake_machine
from harness.hygiene import machine

BOOT = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab"
MID = "0123456789abcdef0123456789abcdef"


def _root(tmp_path, machine_id=MID, marker=None):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    if machine_id is not None:
        (root / "etc/machine-id").write_text(machine_id + "\n")
    if marker is not None:
        (root / marker.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / marker.lstrip("/")).write_text("")
    return root


def test_boot_id_is_read_under_the_procfs_root(tmp_path, monkeypatch):
    _, proc = make_fake_machine(tmp_path, boot_id=BOOT.upper())
    assert machine.boot_id(proc) == BOOT
    monkeypatch.setenv("HARNESS_PROCFS_ROOT", str(proc))
    assert machine.boot_id() == BOOT  # the default root is $HARNESS_PROCFS_ROOT


def test_an_absent_or_garbled_boot_id_is_unknown_not_guessed(tmp_path):
    _, proc = make_fake_machine(tmp_path / "a")
    assert machine.boot_id(proc) is None
    _, proc = make_fake_machine(tmp_path / "b", boot_id="not a uuid")
    assert machine.boot_id(proc) is None


def test_machine_id_is_the_hosts_outside_a_container(tmp_path):
    _, proc = make_fake_machine(tmp_path, boot_id=BOOT)
    ident = machine.machine_identity(proc, _root(tmp_path))
    assert ident == {"boot_id": BOOT, "machine_id": MID, "container": None}


def test_in_a_container_the_images_machine_id_is_not_taken_for_the_hosts(tmp_path):
    """Every container of one image carries the same /etc/machine-id, on any server: it names no
    machine; the kernel's boot_id (shared by the containers of one server) is what is kept."""
    _, proc = make_fake_machine(tmp_path, boot_id=BOOT)
    ident = machine.machine_identity(proc, _root(tmp_path, marker="/.dockerenv"))
    assert ident == {"boot_id": BOOT, "machine_id": None, "container": "/.dockerenv"}
    ident = machine.machine_identity(proc, _root(tmp_path / "p", marker="/run/.containerenv"))
    assert ident["container"] == "/run/.containerenv" and ident["machine_id"] is None


def test_a_malformed_machine_id_is_unknown(tmp_path):
    assert machine.machine_id(_root(tmp_path, machine_id="uninitialized")) is None
    assert machine.machine_id(_root(tmp_path / "none", machine_id=None)) is None


def test_this_machine_has_a_boot_id():
    """Linux has had /proc/sys/kernel/random/boot_id since 2.6: the default path is right."""
    assert machine.boot_id("/proc") is not None
