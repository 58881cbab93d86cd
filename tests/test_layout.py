"""The library's layout: sub-packages with index docstrings, no import cycles, no branching on a model's name."""

from __future__ import annotations

import ast
import subprocess
import textwrap
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bagan_lib"
TOP_LEVEL = {"__init__", "__main__", "cli", "errors", "profiles", "notebook_setup"}  # the package face and cross-cutting


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def library_modules() -> dict:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(name: str, path: Path, known: set) -> set:
    """The ``bagan_lib`` modules ``name`` imports anywhere in its source (inside functions too).

    ``from package import submodule`` counts as importing the submodule only, as Python runs it.
    """
    found = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            submodules = {f"{source}.{alias.name}" for alias in node.names} & known
            found |= submodules
            if source in known and len(submodules) < len(node.names):
                found.add(source)
    return found - {name}


def import_graph(modules: dict) -> dict:
    return {name: imported_modules(name, path, set(modules)) for name, path in modules.items()}


def find_cycle(graph: dict) -> list:
    """One import cycle as a list of modules (first == last), or [] when the graph is acyclic."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_module_of_the_library_imports_itself_back_through_another():
    cycle = find_cycle(import_graph(library_modules()))
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_the_top_of_the_package_holds_only_its_face_and_cross_cutting_modules():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == TOP_LEVEL


def test_every_sub_package_has_an_index_docstring_naming_each_of_its_modules():
    for package in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert doc, f"{package.name}/__init__.py has no index docstring"
        for module in sorted(p.stem for p in package.glob("*.py") if p.stem != "__init__"):
            assert f":mod:`.{module}`" in doc, f"{package.name}/__init__.py does not list {module}"


def model_name_branches(source: str, names: set) -> list:
    """Line numbers of comparisons of a model (``model``, ``config.model``, ``m`` of a loop over models) with a
    model's name. Protocol names such as "capgan" and objective names such as "acgan" share words with models
    and are not flagged."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        constants, subjects = set(), []
        for operand in [node.left, *node.comparators]:
            if isinstance(operand, ast.Constant):
                constants.add(operand.value)
            elif isinstance(operand, (ast.Tuple, ast.List, ast.Set)):
                constants |= {e.value for e in operand.elts if isinstance(e, ast.Constant)}
            else:
                subjects.append(ast.unparse(operand))
        if constants & names and any("model" in subject or subject == "m" for subject in subjects):
            lines.append(node.lineno)
    return sorted(lines)


def test_a_comparison_with_a_models_name_is_found():
    source = "if config.model == 'bagan':\n    pass\nif m in ('acgan', 'cgan'):\n    pass\nif protocol == 'capgan':\n    pass\n"
    assert model_name_branches(source, {"bagan", "acgan", "cgan", "capgan"}) == [1, 3]


def test_no_code_outside_the_recipe_table_branches_on_a_models_name():
    sys.path.insert(0, str(PACKAGE.parent))
    try:
        from bagan_lib.models.recipes import MODEL_NAMES
    finally:
        sys.path.pop(0)
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{line}" for name, path in library_modules().items()
                 if name != "bagan_lib.models.recipes"
                 for line in model_name_branches(path.read_text(), set(MODEL_NAMES))]
    assert not offenders, "ask the recipe instead: " + ", ".join(offenders)


@pytest.mark.parametrize("code", [
    "from bagan_lib.cli import build_parser; build_parser()",
    "import bagan_lib.training.config, bagan_lib.perf.sizes, bagan_lib.perf.command, bagan_lib.models.recipes",
    "import bagan_lib.runtime.main_job, bagan_lib.runtime.notebook_hygiene, bagan_lib.experiments.augmentation_study",
])
def test_the_command_line_reads_its_options_without_importing_tensorflow(code):
    check = f"import sys; {code}; bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; print(bad); " \
            "sys.exit(1 if bad else 0)"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def library_map() -> str:
    """The README's library map, made from the package: each sub-package's index (first line) and its modules."""
    lines = ["bagan_lib/       the library; each sub-package's __init__.py docstring is its index",
             "  " + ", ".join(sorted(f"{name}.py" for name in TOP_LEVEL))]
    for package in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        lines.append(f"  {package.name + '/':<14}{doc.splitlines()[0].rstrip('.').replace('``', '')}")
        modules = ", ".join(sorted(p.stem for p in package.glob("*.py") if p.stem != "__init__"))
        lines += textwrap.wrap(modules, 118, initial_indent=" " * 16, subsequent_indent=" " * 16)
    return "\n".join(lines)


def test_the_readme_library_map_is_the_one_the_package_indexes_make():
    readme = (PACKAGE.parent / "README.md").read_text()
    expected = library_map()
    assert expected in readme, "README.md's library map is stale; replace it with:\n" + expected
