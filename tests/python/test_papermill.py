"""papermill on the Rust MSTIC kernel: the Rust translator of `rust-mstic-papermill` (every value
type, escaping, keyword names, errors, the parameters-cell reader), its registration when papermill
is imported, and the example notebook run by the real `papermill` CLI with parameters."""

from __future__ import annotations

import csv
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.translators import papermill_translators
from rust_mstic_papermill import EvcxrTranslator, RustParameterError, RustTranslator

from conftest import REPO, WARMUP_TIMEOUT, run_cell, stream_text

VENV_BIN = Path(sys.executable).parent
EXAMPLE = REPO / "examples" / "papermill-parameters.ipynb"
JSON = "mstic::serde_json::Value"


def binding(value) -> str:
    """The one `let` the translator writes for parameter `p`."""
    lines = RustTranslator.codify({"p": value}).splitlines()
    assert lines[0] == "// Parameters"
    assert len(lines) == 2, lines
    return lines[1]


# --- registration -------------------------------------------------------------------------------


def test_importing_papermill_registers_the_translators_by_kernel_and_language():
    # A fresh interpreter that imports only papermill: the entry point must do the registering.
    script = (
        "from papermill.translators import papermill_translators as t\n"
        "print(t.find_translator('rust-mstic', 'python').__name__)\n"
        "print(t.find_translator('another-kernel', 'rust').__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["RustTranslator", "EvcxrTranslator"]


def test_registered_translators_are_ours_in_this_process():
    assert papermill_translators.find_translator("rust-mstic", "rust") is RustTranslator
    assert papermill_translators.find_translator("rust", "rust") is EvcxrTranslator
    assert papermill_translators.find_translator("python3", "python").__name__ == "PythonTranslator"


# --- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, "let p: i64 = 2;"),
        (-17, "let p: i64 = -17;"),
        (0, "let p: i64 = 0;"),
        (2**63 - 1, "let p: i64 = 9223372036854775807;"),
        (-(2**63), "let p: i64 = i64::MIN;"),
        (0.5, "let p: f64 = 0.5;"),
        (3.0, "let p: f64 = 3.0;"),
        (-0.0, "let p: f64 = -0.0;"),
        (1e-05, "let p: f64 = 1e-05;"),
        (1.5e300, "let p: f64 = 1.5e+300;"),
        (0.1 + 0.2, "let p: f64 = 0.30000000000000004;"),
        (float("nan"), "let p: f64 = f64::NAN;"),
        (float("inf"), "let p: f64 = f64::INFINITY;"),
        (float("-inf"), "let p: f64 = f64::NEG_INFINITY;"),
        (True, "let p: bool = true;"),
        (False, "let p: bool = false;"),
        (None, f"let p: Option<{JSON}> = None;"),
    ],
    ids=repr,
)
def test_scalars(value, expected):
    assert binding(value) == expected


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("WS1", r'"WS1"'),
        ("", r'""'),
        ('say "hi"', r'"say \"hi\""'),
        ("C:\\Windows\\System32", r'"C:\\Windows\\System32"'),
        ("line 1\nline 2\r\n\tend\0", r'"line 1\nline 2\r\n\tend\0"'),
        ("{} {host} {{x}}", r'"{} {host} {{x}}"'),
        ("café – Zürich 東京 😀", '"café – Zürich 東京 😀"'),
        ("a\u202eb\u200dc", r'"a\u{202e}b\u{200d}c"'),  # bidi override and zero-width joiner
        ("no\u00a0break\u2028sep\x7f\x85", r'"no\u{a0}break\u{2028}sep\u{7f}\u{85}"'),
        ("r#\"raw\"#", r'"r#\"raw\"#"'),
        ("'single'", '"\'single\'"'),
    ],
    ids=repr,
)
def test_strings_are_escaped_rust_literals(text, literal):
    assert binding(text) == f"let p: String = String::from({literal});"


def test_dates_and_times_are_iso_strings():
    assert binding(datetime.date(2024, 5, 1)) == 'let p: String = String::from("2024-05-01");'
    moment = datetime.datetime(2024, 5, 1, 8, 30, 5, tzinfo=datetime.timezone.utc)
    assert binding(moment) == 'let p: String = String::from("2024-05-01T08:30:05+00:00");'
    assert binding([datetime.date(2024, 1, 2)]) == 'let p: Vec<String> = vec![String::from("2024-01-02")];'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([1, 2, 3], "let p: Vec<i64> = vec![1, 2, 3];"),
        ([0.5, float("nan")], "let p: Vec<f64> = vec![0.5, f64::NAN];"),
        ([1, 2.5], "let p: Vec<f64> = vec![1.0, 2.5];"),
        (["a", "b"], 'let p: Vec<String> = vec![String::from("a"), String::from("b")];'),
        ([True, False], "let p: Vec<bool> = vec![true, false];"),
        ((1, 2), "let p: Vec<i64> = vec![1, 2];"),
        ([], f"let p: Vec<{JSON}> = Vec::new();"),
        ([[1, 2], [3]], "let p: Vec<Vec<i64>> = vec![vec![1, 2], vec![3]];"),
        ([[], [1]], "let p: Vec<Vec<i64>> = vec![Vec::new(), vec![1]];"),
        ([[1], [2.5]], "let p: Vec<Vec<f64>> = vec![vec![1.0], vec![2.5]];"),
        ([[]], f"let p: Vec<Vec<{JSON}>> = vec![Vec::new()];"),
        ([[["x"]]], 'let p: Vec<Vec<Vec<String>>> = vec![vec![vec![String::from("x")]]];'),
    ],
    ids=repr,
)
def test_homogeneous_lists_are_typed_vecs(value, expected):
    assert binding(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([1, "a"], f'let p: Vec<{JSON}> = mstic::serde_json::from_str(r#"[1, "a"]"#)?;'),
        ([1, None], f'let p: Vec<{JSON}> = mstic::serde_json::from_str(r#"[1, null]"#)?;'),
        ([True, 1], f'let p: Vec<{JSON}> = mstic::serde_json::from_str(r#"[true, 1]"#)?;'),
        ([[1], "a"], f'let p: Vec<{JSON}> = mstic::serde_json::from_str(r#"[[1], "a"]"#)?;'),
        ([[1], ["a"]], f'let p: Vec<Vec<{JSON}>> = mstic::serde_json::from_str(r#"[[1], ["a"]]"#)?;'),
        ([{"a": 1}, {"b": 2}], f'let p: Vec<{JSON}> = mstic::serde_json::from_str(r#"[{{"a": 1}}, {{"b": 2}}]"#)?;'),
    ],
    ids=repr,
)
def test_mixed_lists_are_json_values(value, expected):
    assert binding(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({}, f'let p: {JSON} = mstic::serde_json::from_str(r#"{{}}"#)?;'),
        (
            {"host": "WS1", "days": 2, "ratio": 0.5, "on": True, "none": None, "hosts": ["a", "b"], "nested": {"k": [1]}},
            f'let p: {JSON} = mstic::serde_json::from_str(r#"{{"host": "WS1", "days": 2, "ratio": 0.5, "on": true, '
            '"none": null, "hosts": ["a", "b"], "nested": {"k": [1]}}"#)?;',
        ),
        # A quote followed by `#` in the JSON text needs a longer raw-string fence.
        ({'k"#': 'v"##'}, f'let p: {JSON} = mstic::serde_json::from_str(r###"{{"k\\"#": "v\\"##"}}"###)?;'),
        ({"path": "C:\\x", "text": "a\nb"}, f'let p: {JSON} = mstic::serde_json::from_str(r#"{{"path": "C:\\\\x", "text": "a\\nb"}}"#)?;'),
        ({"é": "東京 😀"}, f'let p: {JSON} = mstic::serde_json::from_str(r#"{{"é": "東京 😀"}}"#)?;'),
        # Invisible and bidirectional characters become JSON escapes (surrogate pairs above U+FFFF).
        ({"t": "a\u202eb\U000e0041"}, f'let p: {JSON} = mstic::serde_json::from_str(r#"{{"t": "a\\u202eb\\udb40\\udc41"}}"#)?;'),
        ({1: "one"}, f'let p: {JSON} = mstic::serde_json::from_str(r#"{{"1": "one"}}"#)?;'),
        ({"when": datetime.date(2024, 5, 1)}, f'let p: {JSON} = mstic::serde_json::from_str(r#"{{"when": "2024-05-01"}}"#)?;'),
    ],
    ids=repr,
)
def test_dicts_are_json_values_from_json_text(value, expected):
    assert binding(value) == expected


def test_json_text_in_dicts_reads_back_to_the_value():
    value = {"a": [1, 2.5, None], "b": {"c": "x\"y\\z\n"}, "d": 'quote"#hash'}
    match = re.fullmatch(r'let p: mstic::serde_json::Value = mstic::serde_json::from_str\(r(#+)"(.*)"\1\)\?;', binding(value))
    assert match.group(1) == "##"  # the text holds `"#`
    assert json.loads(match.group(2)) == value


def test_other_rust_kernels_name_serde_json_directly():
    assert EvcxrTranslator.codify({"p": {"a": 1}, "q": None}) == (
        "// Parameters\n"
        'let p: serde_json::Value = serde_json::from_str(r#"{"a": 1}"#)?;\n'
        "let q: Option<serde_json::Value> = None;\n"
    )


def test_translate_and_rust_type_give_the_binding_parts():
    assert RustTranslator.translate(["a"]) == 'vec![String::from("a")]'
    assert RustTranslator.rust_type(["a"]) == "Vec<String>"
    assert RustTranslator.translate(None) == "None"
    assert RustTranslator.rust_type([1.5, 2]) == "Vec<f64>"


# --- the injected cell --------------------------------------------------------------------------


def test_codify_writes_a_comment_header_and_one_let_per_parameter_in_order():
    parameters = {"host_name": "WS1", "days": 2, "hosts": ["a", "b"], "threshold": 0.75, "verbose": False}
    assert RustTranslator.codify(parameters) == (
        "// Parameters\n"
        'let host_name: String = String::from("WS1");\n'
        "let days: i64 = 2;\n"
        'let hosts: Vec<String> = vec![String::from("a"), String::from("b")];\n'
        "let threshold: f64 = 0.75;\n"
        "let verbose: bool = false;\n"
    )


def test_codify_comment_lines():
    assert RustTranslator.codify({}, comment="Injected\nby papermill") == "// Injected\n// by papermill\n"
    assert RustTranslator.codify({"x": 1}, comment="") == "//\nlet x: i64 = 1;\n"


def test_translate_parameters_through_papermill_uses_the_kernel_name():
    from papermill.translators import translate_parameters

    text = translate_parameters("rust-mstic", "rust", {"days": 2, "cfg": {"a": 1}}, "Parameters")
    assert text == (
        "// Parameters\n"
        "let days: i64 = 2;\n"
        f'let cfg: {JSON} = mstic::serde_json::from_str(r#"{{"a": 1}}"#)?;\n'
    )


@pytest.mark.parametrize(
    ("name", "rust_name"),
    [("type", "r#type"), ("fn", "r#fn"), ("match", "r#match"), ("async", "r#async"), ("gen", "r#gen"),
     ("true", "r#true"), ("yield", "r#yield"), ("union", "union"), ("_host", "_host"), ("Days2", "Days2")],
)
def test_keyword_names_become_raw_identifiers(name, rust_name):
    assert RustTranslator.codify({name: 1}).splitlines()[1] == f"let {rust_name}: i64 = 1;"


@pytest.mark.parametrize("name", ["self", "Self", "super", "crate"])
def test_keywords_without_raw_form_are_refused(name):
    with pytest.raises(RustParameterError, match=rf"papermill parameter '{name}': parameter name '{name}' is a Rust keyword"):
        RustTranslator.codify({name: 1})


@pytest.mark.parametrize("name", ["my-param", "2fa", "", "_", "größe", "a b", "r#type"])
def test_names_that_are_not_identifiers_are_refused(name):
    with pytest.raises(RustParameterError, match="cannot be a Rust variable: use ASCII letters, digits and '_'"):
        RustTranslator.codify({name: 1})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2**63, "papermill parameter 'p': the integer 9223372036854775808 does not fit in i64"),
        ([1, -(2**63) - 1], r"papermill parameter 'p': at \[1\]: the integer -9223372036854775809 does not fit in i64"),
        ({"n": 2**64}, r"papermill parameter 'p': at \['n'\]: the integer 18446744073709551616 does not fit in 64 bits"),
        ("bad\udc80bytes", "papermill parameter 'p': text contains the unpaired surrogate U\\+DC80"),
        ([["ok", "x\ud800"]], r"papermill parameter 'p': at \[0\]\[1\]: text contains the unpaired surrogate U\+D800"),
        ({"k": "x\ud800"}, r"papermill parameter 'p': at \['k'\]: text contains the unpaired surrogate U\+D800"),
        ({"x": float("nan")}, "papermill parameter 'p': the value has no JSON form: Out of range float values"),
        ([1, "a", float("inf")], "papermill parameter 'p': the value has no JSON form: Out of range float values"),
        ({1, 2}, "papermill parameter 'p': a value of Python type set has no Rust form"),
        ([1, b"raw"], r"papermill parameter 'p': at \[1\]: a value of Python type bytes has no Rust form"),
        ({"k": {1, 2}}, "papermill parameter 'p': the value has no JSON form: a value of Python type set has no JSON form"),
        ({(1, 2): "tuple key"}, "papermill parameter 'p': the value has no JSON form: keys must be"),
    ],
    ids=repr,
)
def test_values_without_rust_form_are_errors_naming_the_parameter(value, message):
    with pytest.raises(RustParameterError, match=message):
        RustTranslator.codify({"ok": 1, "p": value})


def test_parameter_errors_are_papermill_exceptions():
    from papermill.exceptions import PapermillException

    assert issubclass(RustParameterError, PapermillException)
    assert issubclass(RustParameterError, ValueError)


# --- reading the parameters cell ----------------------------------------------------------------

PARAMETERS_CELL = """:dep regex = "1"
// Host to investigate.
let host_name: String = String::from("WKS; FIN // 01");
let days: i64 = 1; // Days back from now.
/// Hosts whose logons are counted.
/// (several lines of explanation)
let hosts: Vec<String> = vec![
    String::from("a"),   // the first one
    String::from("b"),
];

let mut threshold = 0.5;
let r#type = "x";
/* a block comment; with a semicolon */
let f: Box<dyn Fn(i64) -> i64> = Box::new(|x| x + 1);
let counts: std::collections::HashMap<String, i64> = Default::default();
fn helper() -> i64 { let inner = 1; inner }
let (a, b) = (1, 2);
let n = 3_u8;
let ratio = 2.5e3;
let label = format!("{}-{}", 1, 2);
let c = 'x';
let s: &'static str = "it's";
let on = true;
let later: Option<String> = None;
let flag = a == b;
let last = 7"""


def test_inspect_reads_each_let_binding_of_the_parameters_cell():
    cell = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    found = [tuple(p) for p in RustTranslator.inspect(cell)]
    assert found == [
        ("host_name", "String", 'String::from("WKS; FIN // 01")', "Host to investigate."),
        ("days", "i64", "1", "Days back from now."),
        ("hosts", "Vec<String>", 'vec![String::from("a"), String::from("b")]',
         "Hosts whose logons are counted. (several lines of explanation)"),
        ("threshold", "f64", "0.5", ""),
        ("type", "&str", '"x"', ""),
        ("f", "Box<dyn Fn(i64) -> i64>", "Box::new(|x| x + 1)", ""),
        ("counts", "std::collections::HashMap<String, i64>", "Default::default()", ""),
        ("n", "u8", "3_u8", ""),
        ("ratio", "f64", "2.5e3", ""),
        ("label", "String", 'format!("{}-{}", 1, 2)', ""),
        ("c", "char", "'x'", ""),
        ("s", "&'static str", '"it\'s"', ""),
        ("on", "bool", "true", ""),
        ("later", "Option<String>", "None", ""),
        ("flag", "None", "a == b", ""),
        ("last", "i32", "7", ""),
    ]


@pytest.mark.parametrize(
    "source",
    ["", "// only a comment", "let", "let x", "let x: = ;", 'let s = "unterminated', "let x = /* open", "}}}; let", "let = 3;"],
)
def test_inspect_of_broken_cells_finds_nothing_and_does_not_raise(source):
    assert RustTranslator.inspect(nbformat.v4.new_code_cell(source)) == []


def test_inspect_notebook_lists_the_example_parameters():
    assert papermill.inspect_notebook(EXAMPLE) == {
        "host_name": {
            "name": "host_name",
            "inferred_type_name": "String",
            "default": 'String::from("WKS-FIN-01")',
            "help": "Host whose process creations are listed (a host of the sample estate).",
        },
        "days": {"name": "days", "inferred_type_name": "i64", "default": "1", "help": "Days back from now to search."},
        "hosts": {
            "name": "hosts",
            "inferred_type_name": "Vec<String>",
            "default": 'vec![String::from("DC-01"), String::from("SRV-FILE-01")]',
            "help": "Hosts whose successful logons are counted.",
        },
    }


def test_help_notebook_lists_rust_parameters_with_types_and_defaults():
    result = subprocess.run(
        [str(VENV_BIN / "papermill"), "--help-notebook", str(EXAMPLE)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "days: i64 (default 1)           Days back from now to search." in result.stdout
    assert 'host_name: String (default String::from("WKS-FIN-01"))' in lines
    assert 'hosts: Vec<String> (default vec![String::from("DC-01"), String::from("SRV-FILE-01")])' in lines
    assert "Hosts whose successful logons are counted." in lines


def test_committed_example_has_no_outputs_and_a_tagged_parameters_cell():
    notebook = nbformat.read(EXAMPLE, as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code_cells)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code_cells[0]
    assert notebook.metadata.kernelspec.name == "rust-mstic"


# --- on the kernel ------------------------------------------------------------------------------


def test_injected_bindings_compile_and_persist_in_the_kernel(kernel):
    _, kc, _ = kernel
    parameters = {
        "host_name": 'WS "1"\\{x}\n\u202e',
        "days": 2,
        "big": -(2**63),
        "ratio": 0.25,
        "missing": float("nan"),
        "on": True,
        "hosts": ["a", "b"],
        "grid": [[1, 2], []],
        "mixed": [1, "a", None],
        "config": {"k": 'v"#', "n": [1, 2]},
        "nothing": None,
        "type": "keyword",
        "empty": [],
    }
    reply, outputs = run_cell(kc, RustTranslator.codify(parameters), timeout=WARMUP_TIMEOUT)
    assert reply["content"]["status"] == "ok", (reply["content"], outputs)
    reply, outputs = run_cell(
        kc,
        'println!("{host_name:?}|{days}|{big}|{ratio}|{}|{on}|{hosts:?}|{grid:?}", missing.is_nan());\n'
        'println!("{}|{}|{nothing:?}|{}|{}", mstic::serde_json::to_string(&mixed)?, config["k"], r#type, empty.len());',
        timeout=WARMUP_TIMEOUT,
    )
    assert reply["content"]["status"] == "ok", (reply["content"], outputs)
    assert stream_text(outputs).splitlines() == [
        '"WS \\"1\\"\\\\{x}\\n\\u{202e}"|2|-9223372036854775808|0.25|true|true|["a", "b"]|[[1, 2], []]',
        '[1,"a",null]|"v\\"#"|None|keyword|0',
    ]


def test_papermill_runs_the_example_with_parameters(tmp_path):
    output = tmp_path / "report.ipynb"
    command = [
        str(VENV_BIN / "papermill"), str(EXAMPLE), str(output), "-k", "rust-mstic",
        "-p", "host_name", "SRV-SQL-02", "-p", "days", "2", "-y", "hosts: [a, b]",
        "--start-timeout", "300", "--cwd", str(EXAMPLE.parent),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Passed unknown parameter" not in result.stderr

    notebook = nbformat.read(output, as_version=4)
    assert notebook.metadata.papermill.parameters == {"host_name": "SRV-SQL-02", "days": 2, "hosts": ["a", "b"]}
    tags = [cell.metadata.get("tags", []) for cell in notebook.cells]
    parameters_index = next(i for i, t in enumerate(tags) if "parameters" in t)
    injected = notebook.cells[parameters_index + 1]
    assert tags[parameters_index + 1] == ["injected-parameters"]
    # papermill's CLI gathers `-y` parameters before `-p` ones.
    assert injected.source == (
        "// Parameters\n"
        'let hosts: Vec<String> = vec![String::from("a"), String::from("b")];\n'
        'let host_name: String = String::from("SRV-SQL-02");\n'
        "let days: i64 = 2;\n"
    )
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors

    printed = {}
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and out.name == "stdout":
                for line in out.text.splitlines():
                    key, _, value = line.partition(": ")
                    printed[key] = value
    assert printed["host_name"] == "SRV-SQL-02"
    assert printed["days"] == "2"
    assert printed["hosts"] == "a, b"
    assert printed["logons on a"] == "0"
    assert printed["logons on b"] == "0"
    assert printed["computers"] == "SRV-SQL-02"

    # The window is the last `days` days.
    start_text, _, end_text = printed["window"].partition(" to ")
    start, end = datetime.datetime.fromisoformat(start_text), datetime.datetime.fromisoformat(end_text)
    assert end - start == datetime.timedelta(days=2)

    # The host's process creations in the window, counted from the generated file itself (rows
    # within a second of the window's start may fall either side of the query's bound).
    count = int(printed["process creations"])
    rows = _csv_rows(Path(printed["data"]) / "processes.csv")
    times = [_parse_time(r["TimeGenerated"]) for r in rows if r["Computer"] == "SRV-SQL-02"]
    inside = sum(1 for t in times if start + datetime.timedelta(seconds=1) <= t <= end)
    near = sum(1 for t in times if start - datetime.timedelta(seconds=1) <= t <= end)
    assert 0 < inside <= count <= near
    assert start <= _parse_time(printed["first"]) <= _parse_time(printed["last"]) <= end


def _csv_rows(path: Path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _parse_time(text: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(text.strip().replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)
