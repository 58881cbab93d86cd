"""environment.yml and pyproject.toml must name the same packages (no conda runs here: parse both)."""

from __future__ import annotations

import re
import tomllib

import yaml


def _name(requirement: str) -> str:
    name = re.match(r"\s*([A-Za-z0-9_.\-]+)", requirement).group(1)
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    names = {_name(r) for r in project["dependencies"] + extras["cpu"] + extras["test"]}
    pins = {_name(r): r.replace(" ", "") for r in project["dependencies"] + extras["cpu"] + extras["test"]}
    return names, pins, extras


def _conda(repo_root):
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return conda, pip


def test_same_packages(repo_root):
    names, _, _ = _pyproject(repo_root)
    _, pip = _conda(repo_root)
    pip_names = {_name(r) for r in pip if not r.startswith("-e")}
    assert pip_names == names, (f"only in environment.yml: {sorted(pip_names - names)}; "
                                f"only in pyproject.toml: {sorted(names - pip_names)}")


def test_same_version_ranges(repo_root):
    _, pins, _ = _pyproject(repo_root)
    _, pip = _conda(repo_root)
    for requirement in pip:
        if not requirement.startswith("-e"):
            assert requirement.replace(" ", "") == pins[_name(requirement)]


def test_conda_gets_only_python_and_pip_and_installs_the_kit(repo_root):
    conda, pip = _conda(repo_root)
    assert sorted(conda) == ["pip", "python=3.11"]
    assert "-e ." in pip


def test_gpu_extra_uses_full_tensorflow(repo_root):
    _, _, extras = _pyproject(repo_root)
    assert _name(extras["gpu"][0]) == "tensorflow" and _name(extras["cpu"][0]) == "tensorflow-cpu"
    assert "bagan-kit[cpu,test]" in extras["dev"]
