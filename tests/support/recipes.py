"""The recipes of README.md and docs/*.md, read from the documents themselves, and a shell that
runs their commands as written, in the order shown.

A recipe is marked in its document by an HTML comment (invisible on the page) right before a
fenced block: `<!-- recipe: NAME -->` for commands (a recipe may span several blocks, run in
order), `<!-- recipe: NAME, file: PATH -->` for a file it needs, `lines: N` for only the first
N lines of a block (the quick start's second line is the whole CI run).

Installs are not downloaded again: after each `python3 -m venv DIR` of a recipe, the test adds
one step (`provide DIR`) that makes the packages of an environment CI already installed
visible to the new venv (a `.pth` file) and puts that environment's console scripts (`dagster`,
`airflow`, `dbt`) into the venv's bin. The recipe's own `pip install` line then runs as
written: pip finds the dependencies installed and builds and installs cf-bulk-sync itself from
the folder, as it does for a user."""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .checkout import CHECKOUT

DOCUMENTS = [CHECKOUT / "README.md", *sorted((CHECKOUT / "docs").glob("*.md"))]
MARK = re.compile(r"^<!-- recipe: ([\w-]+)((?:, \w+: [^,]+?)*) -->$")
VENV = re.compile(r"python3 -m venv (\S+)")
# what a checkout holds besides its sources (a stale build/ would leak old files into a wheel)
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "*.duckdb*"
)


@dataclass
class Recipe:
    name: str
    blocks: list[tuple[str, list[str]]] = field(default_factory=list)  # (file:line, lines)
    files: dict[str, str] = field(default_factory=dict)  # path as shown -> text
    # in document order: ("run", lines) or ("file", [path, text])
    steps: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def commands(self) -> str:
        """The shell commands, each file written (a here-document) where the recipe shows it,
        relative to the folder the commands before it moved to."""
        script = []
        for kind, step in self.steps:
            if kind == "run":
                script += step
            else:
                path, text = step
                script += [f"cat > {path} <<'RECIPE_FILE'", text.rstrip("\n"), "RECIPE_FILE"]
        return "\n".join(script) + "\n"


def recipe(name: str) -> Recipe:
    """The recipe `name`, from every document that marks a block of it, in document order."""
    found = Recipe(name)
    for document in DOCUMENTS:
        lines = document.read_text().splitlines()
        for number, line in enumerate(lines):
            mark = MARK.match(line)
            if not mark or mark[1] != name:
                continue
            options = dict(o.split(": ", 1) for o in mark[2].split(", ")[1:])
            assert lines[number + 1].startswith("```"), f"{document}:{number + 1}: no block"
            end = lines.index("```", number + 2)
            body = lines[number + 2 : end]
            if "lines" in options:
                body = body[: int(options["lines"])]
            if "file" in options:
                text = "\n".join(body) + "\n"
                found.files[options["file"]] = text
                found.steps.append(("file", [options["file"], text]))
            else:
                where = f"{document.relative_to(CHECKOUT)}:{number + 3}"
                found.blocks.append((where, body))
                found.steps.append(("run", body))
    assert found.steps, f"no block is marked <!-- recipe: {name} -->"
    return found


def clone(folder: Path) -> Path:
    """A copy of the checkout's sources, as a fresh clone has them."""
    shutil.copytree(CHECKOUT, folder, ignore=NOT_SOURCES)
    return folder


@dataclass(frozen=True)
class Provided:
    """What an environment CI made gives a recipe's venv: its packages and console scripts."""

    python: Path  # that environment's interpreter
    scripts: tuple[str, ...] = ()

    def site_packages(self) -> str:
        code = "import sysconfig; print(sysconfig.get_path('purelib'))"
        return subprocess.run(
            [str(self.python), "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()


def running_environment(*scripts: str) -> Provided:
    """The environment running the tests (the wheel with its test extra, in CI)."""
    return Provided(Path(sys.executable), scripts)


def provide_step(venvs: dict[str, Provided]) -> str:
    """The shell function `provide DIR` the test adds after a recipe's `python3 -m venv DIR`."""
    cases = []
    for name, given in venvs.items():
        scripts = " ".join(str(given.python.parent / s) for s in given.scripts)
        cases.append(f'  {name}) site={given.site_packages()}; scripts="{scripts}" ;;')
    return "\n".join(
        [
            "provide() {",
            '  local site scripts here="$(cd "$1" && pwd)"',
            '  case "$1" in',
            *cases,
            '  *) echo "provide: no environment for $1" >&2; return 1 ;;',
            "  esac",
            '  purelib="$("$1/bin/python" -c '
            '\'import sysconfig; print(sysconfig.get_path("purelib"))\')"',
            '  echo "$site" > "$purelib/_provided_by_the_test.pth"',
            "  for script in $scripts; do",
            '    sed "1s|.*|#!$here/bin/python|" "$script" > "$1/bin/${script##*/}"',
            '    chmod +x "$1/bin/${script##*/}"',
            "  done",
            "}",
        ]
    )


def shell_script(commands: str, venvs: dict[str, Provided]) -> str:
    """The recipe's commands, stopping at the first failing one, with `provide DIR` after each
    `python3 -m venv DIR`."""
    provided = VENV.sub(lambda m: f"{m[0]} && provide {m[1]}", commands)
    missing = set(VENV.findall(commands)) - set(venvs)
    assert not missing, f"the recipe makes venvs the test does not provide: {missing}"
    return f"set -euo pipefail\n{provide_step(venvs)}\n{provided}"


def python3_folder(folder: Path) -> Path:
    """A folder holding `python3`: the tests' own Python (the one CI's environments were made
    with), first on the recipe's PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    base = Path(getattr(sys, "_base_executable", sys.executable))
    (folder / "python3").symlink_to(base)
    return folder
