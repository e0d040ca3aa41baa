"""The README's example questions, asked as the README says, of a warehouse built from the
simulator: each must run (a renamed column or a mixed-currency sum is a failing test)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import cli_env, run_cli
from tests.support.simulator import simulator

README = Path(__file__).resolve().parents[2] / "README.md"
SIZES = {"nb_signups": 300, "nb_donations": 120, "an_people": 150, "an_actions": 300}


def readme_queries() -> list[str]:
    """Every statement of the README's ```sql blocks."""
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(), flags=re.S)
    statements = [s.strip() for block in blocks for s in block.split(";")]
    return [
        s for s in statements if s and not all(line.startswith("--") for line in s.splitlines())
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    with simulator(**SIZES) as sim:
        warehouse = tmp_path_factory.mktemp("readme") / "civic.duckdb"
        env = cli_env(sim)
        result = run_cli("run", "--warehouse", str(warehouse), env=env)
        assert result.returncode == 0, result.stderr
        yield warehouse, env


def test_the_readme_has_example_questions() -> None:
    assert len(readme_queries()) >= 6


@pytest.mark.parametrize("sql", readme_queries(), ids=lambda sql: sql.splitlines()[0][:60])
def test_each_readme_question_runs(built: tuple[Path, dict[str, str]], sql: str) -> None:
    warehouse, env = built
    result = run_cli("query", sql, "--warehouse", str(warehouse), "--format", "csv", env=env)
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert header, "the query printed its columns"


def test_query_refuses_what_is_not_a_select_and_says_so(
    built: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    warehouse, env = built
    target = tmp_path / "out.csv"
    result = run_cli(
        "query", f"copy (select 1) to '{target}'", "--warehouse", str(warehouse), env=env
    )
    assert result.returncode == 2 and "COPY statement" in result.stderr
    assert not target.exists()


def test_query_lists_the_tables_people_query(built: tuple[Path, dict[str, str]]) -> None:
    warehouse, env = built
    result = run_cli("query", ".tables", "--warehouse", str(warehouse), "--format", "csv", env=env)
    rows = {tuple(line.split(",")) for line in result.stdout.splitlines()[1:]}
    assert ("analytics", "people") in rows and ("nationbuilder", "signups") in rows
    assert not any(name.startswith("_dlt") for _, name in rows)


def test_a_query_piped_into_head_ends_quietly(built: tuple[Path, dict[str, str]]) -> None:
    """`civic-etl query ... | head -1`: the reader leaves early; no BrokenPipe line follows."""
    warehouse, env = built
    sql = "select * from range(200000)"  # more than a pipe holds, so the write meets a closed end
    line = f"{sys.executable} -m pipelines.cli query '{sql}' --warehouse {warehouse} | head -1"
    piped = subprocess.run(
        ["bash", "-o", "pipefail", "-c", line],
        cwd=README.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert piped.stdout.split() == ["range"]
    assert piped.stderr == "" and piped.returncode == 0, piped.stderr[-2000:]


def test_version_and_make_help_say_what_they_mean() -> None:
    result = run_cli("--version", env={})
    assert result.returncode == 0 and re.match(r"civic-etl \d+\.\d+", result.stdout)

    shown = subprocess.run(
        ["make", "-s", "help", "WAREHOUSE=data/x.duckdb"],
        cwd=README.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "$(WAREHOUSE)" not in shown and "into data/x.duckdb" in shown


def test_simulate_help_gives_every_option_a_meaning_and_names_the_credentials() -> None:
    from simulator.command import build_parser

    parser = build_parser()
    undocumented = [a.dest for a in parser._actions if not a.help and a.dest != "help"]
    assert undocumented == []
    assert "nb-test-token" in parser.format_help() and "an-test-key" in parser.format_help()


def readme_code() -> list[str]:
    """The README's code: each line of its fenced blocks (shell comments cut off) and each
    inline code span."""
    text = README.read_text()
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    lines = [line.split(" #")[0] for block in blocks for line in block.splitlines()]
    spans = re.findall(r"`([^`\n]+)`", text)
    return [code for code in lines + spans if not code.lstrip().startswith("#")]


def test_every_make_target_and_command_the_readme_names_exists() -> None:
    """A renamed target, subcommand or option leaves the README telling users to type what
    fails: each one it names must be one that `make` and `civic-etl` accept."""
    from pipelines.cli import build_parser
    from simulator.command import build_parser as simulator_parser

    code = readme_code()
    targets = {m for c in code for m in re.findall(r"(?:^|[;&|]\s*)make ([a-z][a-z-]*)", c.strip())}
    makefile = README.parent / "Makefile"
    defined = set(re.findall(r"^([a-z][a-z-]*):", makefile.read_text(), flags=re.M))
    assert {"demo", "test"} <= targets
    assert sorted(targets - defined) == []

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    named = {m for c in code for m in re.findall(r"\bcivic-etl ([a-z][a-z-]*)", c)}
    assert {"run", "status", "query"} <= named
    assert sorted(named - set(commands.choices)) == []

    accepted = {o for a in parser._actions for o in a.option_strings}
    for sub in [*commands.choices.values(), simulator_parser()]:
        accepted |= {o for a in sub._actions for o in a.option_strings}
    options = {m for c in code for m in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", c)}
    assert "--warehouse" in options
    assert sorted(options - accepted) == []
