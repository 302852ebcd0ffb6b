"""The deployment files run the same commands: the Procfile, the systemd units and scripts/two_nodes.py."""

import ast
import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
UNITS = {
    "release": "gas-utility-release.service",
    "web": "gas-utility-web@.service",
    "worker": "gas-utility-worker.service",
    "beat": "gas-utility-beat.service",
}


def procfile() -> dict[str, str]:
    lines = (PROJECT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


@pytest.mark.parametrize("process", sorted(UNITS))
def test_each_systemd_unit_runs_the_procfile_command(process):
    unit = (PROJECT / "deploy" / "systemd" / UNITS[process]).read_text()

    [exec_start] = re.findall(r"^ExecStart=(.*)$", unit, re.MULTILINE)

    assert exec_start == f"/bin/bash -c 'exec {procfile()[process]}'"


def test_the_two_node_script_starts_the_procfile_commands():
    source = (PROJECT / "scripts" / "two_nodes.py").read_text()
    started = {node.args[0].value for node in ast.walk(ast.parse(source)) if _is_start_call(node)}

    assert started == {"release", "web", "worker", "beat"} <= set(procfile())
    assert 'f"exec {command}"' in source and "procfile()[name]" in source


def _is_start_call(node) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "start"
        and isinstance(node.args[0], ast.Constant)
    )
