"""The Python API: the README's example runs in a fresh process with public names only, and
`import projnet` still imports no TensorFlow."""

import ast
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[1] / "examples" / "python_api.py"


def test_the_example_uses_only_public_names():
    tree = ast.parse(EXAMPLE.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "projnet" in imported and not any(name.startswith("projnet.") for name in imported)
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "projnet"}
    import projnet

    assert used and used <= set(projnet.__all__)


def test_the_example_runs_in_a_fresh_process(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLE), str(tmp_path / "run")], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("student int8: accuracy 0.") and " us on " in lines[1]
    assert lines[2].startswith("ops: ") and "FULLY_CONNECTED" in lines[2] and lines[3].startswith("reloaded student")
    accuracy = float(lines[0].split("accuracy ")[1].split(",")[0])
    assert accuracy >= 0.85  # ten epochs on digits


def test_import_projnet_stays_free_of_tensorflow():
    code = "import sys, projnet; projnet.inspect; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
