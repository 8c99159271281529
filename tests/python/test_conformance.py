"""Jupyter protocol conformance with jupyter_kernel_test: every attribute of `KernelTests` is set,
plus the IOPub welcome (JEP 65) test."""

from __future__ import annotations

import jupyter_kernel_test as jkt

from conftest import KERNEL_NAME, WARMUP_TIMEOUT

FRAME = 'Frame::from_string_rows(&["host", "user"], &[vec![Some("ws01"), Some("alice")]]).unwrap()'


class RustMsticKernelTests(jkt.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "rust"
    file_extension = ".rs"

    code_hello_world = 'println!("hello, world");'
    code_stderr = 'eprintln!("something went wrong");'
    completion_samples = [
        {"text": "std::collections::HashM", "matches": {"HashMap"}},
        {"text": "let unique_name_for_completion = 1;\nunique_name_for_compl", "matches": {"unique_name_for_completion"}},
    ]
    complete_code_samples = ["1 + 1", "fn f() -> u8 { 1 }", 'let s = "}";', "let c = '(';"]
    incomplete_code_samples = ["fn f() {", 'let s = "abc', "let v = vec![1,", "/* open comment"]
    invalid_code_samples = ["let x = 1; }", "let v = [1, 2);"]
    code_page_something = 'page("Rust MSTIC: every cell is Rust with `use mstic::prelude::*;` loaded.");'
    code_generate_error = 'let number: u32 = "not a number";'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": 'String::from("mstic")', "result": '"mstic"'},
        {"code": FRAME, "mime": "text/html"},
    ]
    code_display_data = [
        {"code": f"{FRAME}.display();", "mime": "text/html"},
        {"code": f"{FRAME}.display();", "mime": "text/plain"},
    ]
    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "6 *"
    code_inspect_sample = "std::vec::Vec"
    code_clear_output = "clear_output(false);"

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # The suite's per-message timeouts are short: load the crates before any test runs.
        reply = cls.kc.execute_interactive("let warm = 1;", timeout=WARMUP_TIMEOUT)
        assert reply["content"]["status"] == "ok", reply["content"]


class RustMsticIopubWelcomeTests(jkt.IopubWelcomeTests):
    kernel_name = KERNEL_NAME
    support_iopub_welcome = True
