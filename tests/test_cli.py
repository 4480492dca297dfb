"""One vocabulary across the subcommands (docs/cli.md): a flag means, parses and
defaults the same wherever it appears, as its Python parameter does; every
--json takes a PATH, - for standard output; old spellings still work and say
so; times print in the unit that suits them."""

import argparse
import contextlib
import dataclasses
import inspect
import io
import json
import math
import pathlib
import re
import signal
import subprocess
import sys

import pytest

import nogilkit
from nogilkit import demos, mixed, overhead
from nogilkit._text import format_seconds
from nogilkit.cli import SHARED_FLAGS, _Deprecated, build_parser
from nogilkit.engine import compare as engine
from nogilkit.engine.function_compare import compare_function
from nogilkit.net import server
from nogilkit.strategies import Options

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = pathlib.Path(nogilkit.__file__).parent
# Arguments each subcommand needs before its flags can be parsed.
POSITIONAL = {"probe": ["x = 1"], "demo": ["counter"]}
OLD_SPELLINGS = {("compare", "--repeat"): "--repeats", ("serve", "--size"): "--response-bytes"}


def subcommands():
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return commands.choices


def flags(command):
    """{option string: action} of a subcommand's flags, --help left out."""
    return {name: action for action in command._actions for name in action.option_strings
            if not isinstance(action, argparse._HelpAction)}


def current(action):
    """Whether ``action`` is a flag's current spelling, not an old one."""
    return not isinstance(action, _Deprecated)


def parse(*args):
    with contextlib.redirect_stderr(io.StringIO()) as stderr:
        parsed = build_parser().parse_args(list(args))
    return parsed, stderr.getvalue()


def test_a_flag_parses_and_defaults_the_same_in_every_subcommand():
    seen = {}  # option string -> (subcommand, what it parses to)
    used_by = {}  # option string -> subcommands
    for name, command in subcommands().items():
        for flag, action in flags(command).items():
            if not current(action) or (name, flag) == ("info", "--json"):
                continue  # old spellings; info's --json also takes its old, bare form
            parses = (type(action), action.type, action.nargs, action.const, action.choices,
                      action.default, action.metavar, action.dest)
            first = seen.setdefault(flag, (name, parses))
            assert parses == first[1], f"{flag} differs between {first[0]} and {name}"
            used_by.setdefault(flag, set()).add(name)
    shared = {flag for flag, names in used_by.items() if len(names) > 1 and flag != "-s"}
    assert shared == set(SHARED_FLAGS)  # each defined once, in SHARED_FLAGS


def test_a_flag_that_takes_a_list_has_a_plural_name():
    for name, command in subcommands().items():
        for flag, action in flags(command).items():
            if "," in (action.metavar or ""):
                assert flag.endswith("s"), f"{name} {flag} takes a list"
    assert flags(subcommands()["compare"])["--start-method"].choices  # one method
    assert parse("overhead", "--start-methods", "fork,spawn")[0].start_methods == "fork,spawn"


@pytest.mark.parametrize("command", ["compare", "mixed", "overhead", "probe", "demo", "info"])
def test_every_json_takes_a_path_and_dash_means_standard_output(command):
    action = flags(subcommands()[command])["--json"]
    assert action.metavar == "PATH"
    base = [command, *POSITIONAL.get(command, [])]
    assert parse(*base, "--json", "out.json")[0].json == "out.json"
    assert parse(*base, "--json", "-")[0].json == "-"


def nogilkit_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nogilkit", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_json_to_standard_output_comes_alone_and_the_table_to_standard_error():
    done = nogilkit_cli("demo", "counter", "--threads", "2", "--json", "-")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # nothing but the JSON
    assert data["threads"] == 2 and "provenance" in data
    assert "how threads update the counter" in done.stderr


def test_info_json_to_a_file_to_standard_output_and_in_its_old_form(tmp_path):
    done = nogilkit_cli("info", "--json", "info.json", cwd=tmp_path)
    assert done.returncode == 0 and "wrote info.json" in done.stdout
    assert json.loads((tmp_path / "info.json").read_text())["nogilkit"] == nogilkit.__version__
    new = nogilkit_cli("info", "--json", "-")
    old = nogilkit_cli("info", "--json")
    assert json.loads(old.stdout).keys() == json.loads(new.stdout).keys()
    assert new.stderr == ""
    assert old.stderr == "nogilkit info: --json without a PATH is deprecated; use --json -\n"


@pytest.mark.posix("a closed pipe is EPIPE, as SIGPIPE's exit status says (Windows: EINVAL)")
@pytest.mark.parametrize("args", [["info"], ["info", "--json", "-"]])
def test_a_reader_that_leaves_early_ends_the_command_quietly(args):
    # `nogilkit info | head -1`: standard output is closed before the command writes.
    process = subprocess.Popen([sys.executable, "-m", "nogilkit", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=300) == 128 + getattr(signal, "SIGPIPE", 13)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_old_spellings_work_and_name_the_new_one():
    found = {(name, flag) for name, command in subcommands().items()
             for flag, action in flags(command).items() if not current(action)}
    assert found == set(OLD_SPELLINGS)
    values = {"--repeat": "7", "--size": "100"}
    for (name, old), new in OLD_SPELLINGS.items():
        was, note = parse(name, old, values[old])
        now, silent = parse(name, new, values[old])
        handlers = ("handler", "subparser")
        assert ({k: v for k, v in vars(was).items() if k not in handlers}
                == {k: v for k, v in vars(now).items() if k not in handlers})
        assert silent == ""
        assert note == f"nogilkit {name}: {old} is deprecated; use {new}\n"


def test_the_new_spellings_reach_python():
    assert parse("compare", "--repeats", "7")[0].repeats == 7
    assert parse("serve", "--response-bytes", "100")[0].response_bytes == 100
    assert parse("mixed", "--workers", "3")[0].workers == [3]


@pytest.mark.parametrize("args, message", [
    (["mixed", "--workers", "2,3"], "mixed takes one --workers count, got 2"),
    (["demo", "histogram", "--threads", "2,3"], "demo histogram takes one --threads count, got 2"),
    (["serve", "--response-bytes", "-1"], "--response-bytes must be >= 0, got -1"),
])
def test_a_bad_value_is_refused_naming_its_flag(args, message):
    done = nogilkit_cli(*args)
    assert done.returncode == 2 and message in done.stderr


def python_default(function, parameter):
    if dataclasses.is_dataclass(function):
        return {f.name: f.default for f in dataclasses.fields(function)}[parameter]
    return inspect.signature(function).parameters[parameter].default


# (subcommand, the parser's dest) -> the Python functions taking that parameter.
PYTHON = {
    ("compare", "workloads"): [], ("compare", "implementations"): [],  # engine.DEFAULT_*
    ("compare", "strategies"): [], ("compare", "size"): [],
    ("compare", "workers"): [(engine.compare, "workers"), (compare_function, "workers")],
    ("compare", "repeats"): [(engine.compare, "repeats"), (compare_function, "repeats")],
    ("compare", "check"): [(compare_function, "check")],
    ("compare", "python"): [(engine.compare, "pythons")],
    ("compare", "start_method"): [],  # Options' default_factory: the platform's best
    ("compare", "pool"): [(Options, "pool")],
    ("compare", "chunksize"): [(Options, "chunksize")],
    ("compare", "transfer"): [(Options, "transfer")],
    ("compare", "scheduler"): [(Options, "scheduler")],
    ("compare", "chunks_per_worker"): [(Options, "chunks_per_worker")],
    ("serve", "host"): [(server.serve_forever, "host")],
    ("serve", "port"): [(server.serve_forever, "port")],
    ("serve", "latency"): [(server.serve_forever, "latency")],
    ("serve", "response_bytes"): [(server.serve_forever, "size")],
    ("mixed", "variants"): [(mixed.service_under_load, "variants")],
    ("mixed", "duration"): [(mixed.service_under_load, "duration")],
    ("mixed", "rate"): [(mixed.service_under_load, "rate")],
    ("mixed", "workers"): [(mixed.service_under_load, "workers")],
    ("overhead", "quick"): [(overhead.measure_overheads, "quick")],
    ("overhead", "max_payload"): [(overhead.measure_overheads, "max_payload")],
    ("overhead", "start_methods"): [(overhead.measure_overheads, "start_methods")],
    ("probe", "threads"): [(nogilkit.probe, "threads")],
    ("probe", "min_time"): [(nogilkit.probe, "min_time")],
    ("probe", "timeout"): [(nogilkit.probe, "timeout")],
    ("demo", "threads"): [],  # each demo its own count (the table in docs/cli.md)
}
# Flags with no Python parameter: what the command line itself does.
CLI_ONLY = {"json", "quiet", "setup", "items", "list", "baseline", "plot", "no_plot"}


def test_the_command_line_defaults_are_the_python_defaults():
    checked = set()
    for name, command in subcommands().items():
        for action in command._actions:
            if not action.option_strings or action.dest in CLI_ONLY | {"help"} \
                    or not current(action):
                continue
            key = (name, action.dest)
            assert key in PYTHON, f"{name} {action.option_strings[-1]}: which Python parameter?"
            for function, parameter in PYTHON[key]:
                assert action.default == python_default(function, parameter), (key, function)
            checked.add(key)
    assert checked == set(PYTHON)
    # A flag left to None takes the Python side's default, named once.
    assert python_default(engine.compare, "size") == engine.DEFAULT_SIZE
    assert python_default(demos.counter_race, "threads") == 4
    assert python_default(demos.lock_contention, "threads") == demos.DEFAULT_CONTENTION_THREADS


def test_help_points_to_the_table_and_the_table_lists_every_flag():
    assert "docs/cli.md" in build_parser().format_help()
    table = (ROOT / "docs" / "cli.md").read_text()
    for name, command in subcommands().items():
        for flag, action in flags(command).items():
            if current(action):
                assert re.search(rf"^\| `[^|]*{re.escape(flag)}\b", table, re.M), flag
                row = next(line for line in table.splitlines()
                           if re.match(rf"\| `[^|]*{re.escape(flag)}\b", line))
                assert name in row, f"{name} {flag}: not in its row of docs/cli.md"
            else:
                assert f"`{name} {flag} " in table, f"{name} {flag}: not under Old spellings"


@pytest.mark.parametrize("seconds, text, fixed", [
    (1.5, "1.5 s", "1.50 s"),
    (0.00502, "5.02 ms", "5.02 ms"),
    (120e-6, "120 µs", "120 µs"),
    (45e-9, "45 ns", "45.0 ns"),
    (0.99996e-3, "1 ms", "1.00 ms"),  # the unit is chosen after rounding
    (4000.4, "4000 s", "4000 s"),
    (-0.002, "-2 ms", "-2.00 ms"),
    (0, "0 s", "0 s"),
    (None, "-", "-"),
    (math.nan, "nan s", "nan s"),
])
def test_seconds_print_in_the_unit_that_suits_them(seconds, text, fixed):
    assert format_seconds(seconds) == text
    assert format_seconds(seconds, fixed=True) == fixed


def test_no_module_formats_a_time_by_hand():
    # A time scaled by hand into a unit ("{t * 1e3:.2f} ms") or written "us"
    # bypasses format_seconds: units and precision then differ between tables.
    by_hand = re.compile(r"\*\s*1e[369]\s*:[^}]*\}\s*(ms|us|µs|ns)\b|\d\s?us\b")
    found = [f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
             for path in PACKAGE.rglob("*.py")
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if by_hand.search(line)]
    assert found == []

