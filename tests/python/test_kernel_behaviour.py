"""Behaviour of the Rust MSTIC kernel beyond the conformance suite: signatures, execution counts,
panics, interrupts, partial lines, rich tables, compile errors and the small replies."""

from __future__ import annotations

import os
import queue
import time

from jupyter_client.session import Session

from conftest import CELL_TIMEOUT, WARMUP_TIMEOUT, cold_kernel, collect_iopub, drain, result_text, run_cell, stream_text


def test_execution_count_starts_at_one_and_silent_cells_do_not_count(kernel):
    km, kc, first = kernel
    assert first["content"]["status"] == "ok"
    assert first["content"]["execution_count"] == 1
    reply, outputs = run_cell(kc, "let silent_value = 5;", silent=True)
    assert reply["content"]["status"] == "ok"
    assert outputs == []
    reply, _ = run_cell(kc, "silent_value + kept")
    assert reply["content"]["execution_count"] == 2


def test_message_with_wrong_signature_is_ignored(kernel):
    km, kc, _ = kernel
    drain(kc.get_shell_msg)
    good_session = kc.session
    for key in (b"not-the-key", b""):
        bad = Session(key=key, username=good_session.username)
        kc.session = bad
        kc.shell_channel.session = bad
        try:
            kc.kernel_info()
        finally:
            kc.session = good_session
            kc.shell_channel.session = good_session
        try:
            kc.get_shell_msg(timeout=3)
            raise AssertionError(f"the kernel answered a message signed with key {key!r}")
        except queue.Empty:
            pass
    msg_id = kc.kernel_info()
    reply = kc.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["language_info"]["name"] == "rust"


def test_kernel_info_describes_rust(kernel):
    km, kc, _ = kernel
    msg_id = kc.kernel_info()
    reply = kc.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg_id
    info = reply["content"]["language_info"]
    assert info["name"] == "rust"
    assert info["mimetype"] == "text/rust"
    assert info["file_extension"] == ".rs"
    assert info["pygments_lexer"] == "rust"
    assert info["codemirror_mode"] == "rust"
    assert info["version"][0].isdigit(), info["version"]


def test_panic_keeps_earlier_variables(kernel):
    km, kc, _ = kernel
    reply, _ = run_cell(kc, "let before_panic = String::from(\"still here\");")
    assert reply["content"]["status"] == "ok"
    reply, outputs = run_cell(kc, 'let lost = 1; panic!("deliberate failure {}", 7);')
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "panic"
    assert "deliberate failure 7" in "\n".join(reply["content"]["traceback"])
    assert [m["msg_type"] for m in outputs].count("error") == 1
    assert result_text(kc, "before_panic.len() + kept as usize") == "51"


def single_error(kc, code: str, ename: str, text: str) -> dict:
    """Runs `code`, which must fail with one `error` message of `ename` naming `text`; returns it."""
    reply, outputs = run_cell(kc, code)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == ename
    assert text in reply["content"]["evalue"]
    errors = [m for m in outputs if m["msg_type"] == "error"]
    assert len(errors) == 1
    return errors[0]


def test_compile_error_points_at_the_users_line(kernel):
    km, kc, _ = kernel
    error = single_error(kc, "let a = 1;\nlet b: u32 = undefined_name + a;", "E0425", "undefined_name")
    traceback = "\n".join(error["content"]["traceback"])
    assert "cell line 2" in traceback
    assert "let b: u32 = undefined_name + a;" in traceback


def test_let_whose_type_cannot_be_inferred_reports_the_error(kernel):
    # evcxr type-checks such a cell with `cargo check`; the warm template holds the check results,
    # so this answers within the normal cell timeout instead of checking every dependency first.
    km, kc, _ = kernel
    single_error(kc, "let typo = kept.no_such_method();", "E0599", "no_such_method")
    assert result_text(kc, "kept + 1") == "42"


def test_variables_typed_by_the_reexported_crates_persist_and_cells_see_the_users_cargo_home(kernel):
    # rust-analyzer is shown only the packages whose types a notebook can hold (kernel/src/analysis.rs):
    # variables typed by arrow, chrono, serde_json and DataFusion must still infer and persist.
    km, kc, _ = kernel
    cell = ("let ids = mstic::arrow::array::Int64Array::from(vec![3i64, 4]);\n"
            "let when = mstic::chrono::DateTime::from_timestamp(86_400, 0).unwrap();\n"
            "let doc = mstic::serde_json::json!({\"n\": 2});\n"
            "let expr = mstic::datafusion::prelude::col(\"port\").gt(mstic::datafusion::prelude::lit(1024));")
    reply, _ = run_cell(kc, cell)
    assert reply["content"]["status"] == "ok", reply["content"]
    text = result_text(kc, 'format!("{} {} {} {}", ids.value(1), when.date_naive(), doc["n"], expr)')
    assert text == '"4 1970-01-02 2 port > Int32(1024)"'
    # The kernel's stand-in CARGO_HOME (for rust-analyzer's `cargo metadata`) stays out of cells.
    assert result_text(kc, 'std::env::var("CARGO_HOME").ok()') == repr_option(os.environ.get("CARGO_HOME"))
    assert result_text(kc, 'std::env::var_os("MSTIC_REAL_CARGO_HOME").is_none()') == "true"
    # So does the link rust-analyzer reads the standard library's sources through.
    assert result_text(kc, 'std::env::var("RUST_SRC_PATH").ok()') == repr_option(os.environ.get("RUST_SRC_PATH"))
    assert result_text(kc, 'std::env::var_os("MSTIC_REAL_RUST_SRC_PATH").is_none()') == "true"


def test_a_cold_kernel_types_variables_without_the_analysis_and_widens_it_only_when_the_compiler_cannot(tmp_path):
    # kernel/src/analysis.rs: an engine starts with rust-analyzer's lean view (no crates, no standard
    # library), so cells run without waiting for the analysis; kernel/src/type_probe.rs: the types
    # the lean view cannot infer come from the compiler.
    log = tmp_path / "kernel.log"
    with cold_kernel(log) as (km, kc):
        reply, _ = run_cell(kc, "let count: i64 = 40;", timeout=WARMUP_TIMEOUT)
        assert reply["content"]["status"] == "ok", reply["content"]
        # `frame`, `names` and `label` need their types inferred: the compiler names them.
        cell = ('let frame = Frame::from_string_rows(&["host"], &[vec![Some("ws01")], vec![Some("ws02")]])?;\n'
                'let mut names: Vec<_> = vec![frame.len().to_string()];\n'
                'let label = format!("{} rows", frame.len());\nnames.push(label.clone());\nnames.len()')
        reply, outputs = run_cell(kc, cell)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["2"]
        assert "loading rust-analyzer's view" not in stream_text(outputs, "stderr")
        assert "types of frame, names, label from the compiler" in log.read_text()
        assert result_text(kc, 'format!("{label} {count} {names:?} {}", frame.len())') == '"2 rows 40 [\\"2\\", \\"2 rows\\"] 2"'
        # Idle time does not widen a kernel's view (a cell sent meanwhile would wait for it).
        time.sleep(3)
        assert "view widened" not in log.read_text()
        # A destructuring `let` is beyond the probe: the cell says it widens the view. An interrupt
        # meanwhile waits for rust-analyzer, then the cell ends unrun and nothing is lost.
        pair = "let (first, rows) = (frame.clone(), frame.len());"
        drain(kc.get_iopub_msg)
        msg_id = kc.execute(pair)
        wait_for_stream(kc, msg_id, "loading rust-analyzer's view of the crates")
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=CELL_TIMEOUT)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=CELL_TIMEOUT)
        assert reply["content"]["ename"] == "Interrupted", reply["content"]
        assert "no variables were lost" in reply["content"]["evalue"]
        collect_iopub(kc, msg_id)
        assert result_text(kc, "count + 2") == "42"
        assert log.read_text().count("rust-analyzer's view widened") == 1
        # The view stays wide: the cell now runs at once.
        reply, outputs = run_cell(kc, pair)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert "loading rust-analyzer's view" not in stream_text(outputs, "stderr")
        assert result_text(kc, 'format!("{rows} {} {label}", first.len())') == '"2 2 2 rows"'
        assert log.read_text().count("rust-analyzer's view widened") == 1


def test_a_type_from_a_crate_left_out_of_the_analysis_comes_from_the_compiler(kernel):
    # DataFusion's physical plans are left out of rust-analyzer's view (kernel/src/analysis.rs); the
    # compiler names the type (kernel/src/type_probe.rs), with a path the cell can write.
    km, kc, _ = kernel
    plan = "mstic::datafusion::physical_plan::empty::EmptyExec::new(std::sync::Arc::new(mstic::arrow::datatypes::Schema::empty()))"
    reply, _ = run_cell(kc, f"let plan = {plan};")
    assert reply["content"]["status"] == "ok", reply["content"]
    assert result_text(kc, "format!(\"{plan:?}\").starts_with(\"EmptyExec\")") == "true"
    # A destructuring `let` is beyond the probe: the message says what to do.
    reply, _ = run_cell(kc, f"let (other_plan, n) = ({plan}, 1);")
    assert reply["content"]["status"] == "error"
    assert "Couldn't automatically determine type of variable `other_plan`" in reply["content"]["evalue"]
    assert "bind the parts one by one" in reply["content"]["evalue"]
    assert "MSTIC_ANALYSIS=full" in reply["content"]["evalue"]
    reply, _ = run_cell(kc, f"let other_plan = {plan}; let n = 1;")
    assert reply["content"]["status"] == "ok", reply["content"]
    assert result_text(kc, "format!(\"{other_plan:?} {n}\").starts_with(\"EmptyExec\")") == "true"


def repr_option(value: str | None) -> str:
    """How Rust's Debug shows an `Option<String>` (paths here have no quotes or backslashes)."""
    return "None" if value is None else f'Some("{value}")'


def test_frame_is_an_html_table(kernel):
    # The module's first cell with `?`: evcxr's first `?` must not switch the cell to plain text.
    km, kc, _ = kernel
    code = 'Frame::from_string_rows(&["ip", "country"], &[vec![Some("10.0.0.1"), Some("NZ")]])?'
    reply, outputs = run_cell(kc, code)
    assert reply["content"]["status"] == "ok"
    result = [m for m in outputs if m["msg_type"] == "execute_result"][0]["content"]
    assert "<table" in result["data"]["text/html"]
    assert "10.0.0.1" in result["data"]["text/html"]
    assert "10.0.0.1" in result["data"]["text/plain"]


def test_partial_lines_stream_before_the_line_ends(kernel):
    km, kc, _ = kernel
    code = 'print!("partial"); std::thread::sleep(std::time::Duration::from_millis(1500)); println!(" done"); print!("tail")'
    reply, outputs = run_cell(kc, code)
    assert reply["content"]["status"] == "ok"
    streams = [m["content"]["text"] for m in outputs if m["msg_type"] == "stream"]
    assert streams[0] == "partial"
    assert "".join(streams) == "partial done\ntail"


def test_stderr_arrives_before_the_reply(kernel):
    km, kc, _ = kernel
    for i in range(3):
        reply, outputs = run_cell(kc, f'eprintln!("warning {i}"); eprint!("no newline {i}");')
        assert reply["content"]["status"] == "ok"
        assert stream_text(outputs, "stderr") == f"warning {i}\nno newline {i}"


def test_display_updates_and_clear_output(kernel):
    km, kc, _ = kernel
    code = (
        'let h = MimeBundle::new().with_text("text/plain", "step 1").display_with_handle();\n'
        'h.update(&MimeBundle::new().with_text("text/plain", "step 2"));\n'
        "clear_output(true);"
    )
    reply, outputs = run_cell(kc, code)
    assert reply["content"]["status"] == "ok"
    outputs = [m for m in outputs if m["msg_type"] != "execute_input"]
    kinds = [m["msg_type"] for m in outputs]
    assert kinds == ["display_data", "update_display_data", "clear_output"], kinds
    display_id = outputs[0]["content"]["transient"]["display_id"]
    assert outputs[1]["content"]["transient"]["display_id"] == display_id
    assert outputs[1]["content"]["data"]["text/plain"] == "step 2"
    assert outputs[2]["content"]["wait"] is True


def test_comm_info_and_history(kernel):
    km, kc, _ = kernel
    msg_id = kc.comm_info()
    reply = kc.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"] == {"status": "ok", "comms": {}}
    msg_id = kc.history(hist_access_type="search", pattern="let kept*", output=False, raw=True)
    reply = kc.get_shell_msg(timeout=10)
    assert reply["content"]["history"][0][1:] == [1, "let kept: u64 = 41;"]


def test_interrupt_stops_an_endless_loop(kernel):
    km, kc, _ = kernel
    drain(kc.get_iopub_msg)
    msg_id = kc.execute("let before_loop = 3;\nprintln!(\"looping\");\nloop {}")
    wait_for_stream(kc, msg_id, "looping")  # the cell runs its loop (it is no longer compiling)
    time.sleep(1)
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=60)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    assert "Variables lost" in reply["content"]["evalue"]
    collect_iopub(kc, msg_id)
    assert result_text(kc, "1 + 1") == "2"
    # The support code is back in the new process: panics are still reported as such.
    reply, _ = run_cell(kc, 'panic!("after restart")')
    assert reply["content"]["ename"] == "panic"


def wait_for_stream(kc, msg_id: str, text: str) -> None:
    """Waits until the cell `msg_id` has printed `text` (IOPub messages read meanwhile are dropped)."""
    seen = ""
    while text not in seen:
        msg = kc.get_iopub_msg(timeout=CELL_TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
            seen += msg["content"]["text"]


def test_question_mark_error_fails_the_cell_and_keeps_earlier_variables(kernel):
    km, kc, _ = kernel
    reply, _ = run_cell(kc, "let before_question: i32 = 7;")
    assert reply["content"]["status"] == "ok"
    reply, outputs = run_cell(kc, 'let a = 1; let b: i32 = "x".parse()?;')
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Error"
    assert "invalid digit" in reply["content"]["evalue"]
    errors = [m for m in outputs if m["msg_type"] == "error"]
    assert len(errors) == 1
    assert "invalid digit" in errors[0]["content"]["evalue"]
    assert "invalid digit" in "\n".join(errors[0]["content"]["traceback"])
    assert result_text(kc, "before_question + 1") == "8"


def test_question_mark_on_the_final_expression_fails_the_cell(kernel):
    km, kc, _ = kernel
    reply, outputs = run_cell(kc, '"x".parse::<i32>()?')
    assert reply["content"]["status"] == "error"
    assert "invalid digit" in reply["content"]["evalue"]
    assert [m["msg_type"] for m in outputs].count("error") == 1
    assert not [m for m in outputs if m["msg_type"] == "execute_result"]
    # A `?` that does not fail still gives the value.
    assert result_text(kc, '"12".parse::<i32>()? + 1') == "13"


def test_input_request_is_answered_on_the_stdin_channel(kernel):
    km, kc, _ = kernel
    drain(kc.get_iopub_msg)
    drain(kc.get_stdin_msg)
    # The dependency line makes the test independent of how the facade exposes `evcxr_input`.
    code = ':dep evcxr_input = "1"\nlet answer = evcxr_input::get_string("Your name");\nprintln!("hello {answer}");'
    msg_id = kc.execute(code, allow_stdin=True)
    request = kc.get_stdin_msg(timeout=WARMUP_TIMEOUT)
    assert request["msg_type"] == "input_request"
    assert request["parent_header"]["msg_id"] == msg_id
    assert request["content"]["prompt"] == "Your name"
    assert request["content"]["password"] is False
    kc.input("analyst")
    reply = kc.get_shell_msg(timeout=CELL_TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=CELL_TIMEOUT)
    outputs = collect_iopub(kc, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert "hello analyst" in stream_text(outputs)


def test_input_without_allow_stdin_gets_an_empty_string(kernel):
    km, kc, _ = kernel
    code = ':dep evcxr_input = "1"\nlet secret = evcxr_input::get_password("Token");\nsecret.len()'
    reply, outputs = run_cell(kc, code, allow_stdin=False)
    assert reply["content"]["status"] == "ok"
    results = [m for m in outputs if m["msg_type"] == "execute_result"]
    assert results[0]["content"]["data"]["text/plain"] == "0"
    assert "allow_stdin is false" in stream_text(outputs, "stderr")
