"""A real OpenSSH server on 127.0.0.1 for the ssh target's tests, with its own keys and config.

It runs in the foreground (-D) under the test's control and is killed when the fixture ends. The
client side gets an ssh_config naming the key and a known_hosts file holding the server's host key,
so nothing in ~/.ssh is read or written.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class LoopbackSshd:
    port: int
    user: str
    client_config: Path

    @property
    def target(self) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}"


def sshd_available() -> bool:
    return os.path.exists(SSHD) and shutil.which("ssh") is not None and shutil.which("ssh-keygen") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return (path.with_suffix(".pub")).read_text().strip()


def _wait_listening(port: int, proc: subprocess.Popen, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}: {proc.stderr.read().decode()[-500:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"sshd did not listen on 127.0.0.1:{port} within {timeout_s} s")


@contextlib.contextmanager
def loopback_sshd(workdir: Path):
    """Start sshd on a free loopback port; yield how to reach it; stop it."""
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o700)
    host_key = _keygen(workdir / "host_ed25519")
    (workdir / "authorized_keys").write_text(_keygen(workdir / "client_ed25519") + "\n")
    port, user = _free_port(), getpass.getuser()
    (workdir / "sshd_config").write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {workdir / 'host_ed25519'}",
        f"AuthorizedKeysFile {workdir / 'authorized_keys'}", f"PidFile {workdir / 'sshd.pid'}",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
        "StrictModes no", "PermitRootLogin prohibit-password", "LogLevel ERROR", ""]))
    (workdir / "known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(host_key.split()[:2])}\n")
    client = workdir / "ssh_config"
    client.write_text("\n".join([
        "Host 127.0.0.1", f"  IdentityFile {workdir / 'client_ed25519'}", "  IdentitiesOnly yes",
        f"  UserKnownHostsFile {workdir / 'known_hosts'}", "  StrictHostKeyChecking yes",
        "  LogLevel ERROR", ""]))
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # privilege separation directory, made by systemd elsewhere
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(workdir / "sshd_config")], stderr=subprocess.PIPE)
    try:
        _wait_listening(port, proc)
        yield LoopbackSshd(port=port, user=user, client_config=client)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
