"""`--target ssh://user@host[:port]`: benchmark on another machine (a Raspberry Pi, a board) over ssh.

One ssh connection per model: the runner tarball (payload.py) goes to the host on stdin, the host
unpacks it into a temporary directory, runs it with its own Python and prints the JSON result,
which comes back on stdout; the directory is removed when the runner exits. The host needs only
numpy and a TFLite runtime (`pip install ai-edge-litert`). Authentication is ssh's own (keys, agent,
~/.ssh/config or `--ssh-config`); projnet never asks for a password (BatchMode).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from projnet.device_bench.local import read_runner_result
from projnet.device_bench.payload import runner_tarball, unpack_and_run_script
from projnet.device_bench.runner import BenchSettings
from projnet.errors import ProjnetError, UsageError

SSH_UNREACHABLE = 255  # ssh's own exit status for connection and authentication failures
SHELL_NOT_FOUND = 127


@dataclass(frozen=True)
class SshTarget:
    host: str
    user: str | None = None
    port: int | None = None

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    def __str__(self) -> str:
        return f"ssh://{self.destination}" + (f":{self.port}" if self.port else "")


@dataclass(frozen=True)
class SshOptions:
    python: str = "python3"  # the host's interpreter; a venv's python when the runtime lives in one
    config_file: Path | None = None  # passed as `ssh -F`: host aliases, keys, known_hosts for tests
    connect_timeout_s: int = 10  # an unreachable host fails in this long, never hangs
    run_timeout_s: float = 600.0


def parse_ssh_target(target: str) -> SshTarget:
    """ssh://[user@]host[:port] -> SshTarget, or a usage error that shows the expected form."""
    parts = urlsplit(target)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme != "ssh" or not parts.hostname or port == -1 or parts.path not in ("", "/") or parts.password:
        raise UsageError(f"invalid ssh target {target!r}; expected ssh://[user@]host[:port]")
    return SshTarget(host=parts.hostname, user=parts.username, port=port)


def ssh_command(target: SshTarget, options: SshOptions, remote_command: str) -> list[str]:
    ssh = shutil.which("ssh")
    if ssh is None:
        raise ProjnetError("--target ssh needs the OpenSSH client: apt-get install openssh-client")
    command = [ssh, "-o", "BatchMode=yes", "-o", f"ConnectTimeout={options.connect_timeout_s}",
               "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]
    if options.config_file is not None:
        if not Path(options.config_file).is_file():
            raise UsageError(f"--ssh-config file not found: {options.config_file}")
        command += ["-F", str(options.config_file)]
    if target.port:
        command += ["-p", str(target.port)]
    return command + [target.destination, remote_command]


def bench_over_ssh(model: Path, target: SshTarget, settings: BenchSettings,
                   options: SshOptions = SshOptions()) -> dict:
    """Benchmark `model` on the ssh host; the result is tagged with the target."""
    archive, inside = runner_tarball(Path(model))
    script = unpack_and_run_script(options.python, inside, settings)
    command = ssh_command(target, options, "sh -c " + shlex.quote(script))
    try:
        done = subprocess.run(command, input=archive, capture_output=True, timeout=options.run_timeout_s)
    except subprocess.TimeoutExpired:
        raise ProjnetError(f"{target}: the benchmark of {model} did not finish within "
                           f"{options.run_timeout_s:.0f} s") from None
    done = subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(errors="replace"),
                                       done.stderr.decode(errors="replace"))
    _raise_for_transport(done, target, options)
    result = read_runner_result(done, str(model), where=str(target))
    return {**result, "model": str(model), "target": str(target)}


def _raise_for_transport(done: subprocess.CompletedProcess, target: SshTarget, options: SshOptions) -> None:
    """Failures of ssh itself or of the host's Python, before the runner could speak for itself."""
    last = (done.stderr.strip().splitlines() or ["no message"])[-1]
    if done.returncode == SSH_UNREACHABLE:
        raise ProjnetError(f"cannot reach {target} over ssh: {last}")
    if done.returncode == SHELL_NOT_FOUND:
        raise ProjnetError(f"{target}: {options.python} not found on the host; pass --remote-python PATH")
    if "No module named" in last:
        missing = last.split("No module named")[-1].strip(" '\"")
        raise ProjnetError(f"{target}: the host's {options.python} lacks {missing}; install numpy and a "
                           f"TFLite runtime there (pip install ai-edge-litert)")
