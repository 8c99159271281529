"""Widgets as a front end drives them, through jupyter_client: comm messages both ways on the real
kernel, Rust seeing the front end's values in the next cell, the widget-control comm that
JupyterLab and VS Code open, static views where no widget manager is connected, and the comms of
a cell process that ends closing cleanly.

Each model the kernel opens is checked against the state Python's own ipywidgets declares for the
same model (same keys, names and module versions), so JupyterLab's widget manager gets what it
expects."""

from __future__ import annotations

import os
import queue
import time
import uuid

import ipywidgets
import pytest
from jupyter_client.manager import start_new_kernel

from conftest import CELL_TIMEOUT, KERNEL_NAME, WARMUP_TIMEOUT, collect_iopub, drain, run_cell, stream_text

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CONTROL = "jupyter.widget.control"

# A QueryTime with a fixed origin, so its start and end are known.
QUERY_TIME = """let qt = QueryTime::new()
    .origin("2024-05-01T12:00:00Z")?
    .units("day")?
    .before(1)
    .after(0);
qt"""


class FrontEnd:
    """Sends comm messages on the shell channel as a widget manager does."""

    def __init__(self, kc):
        self.kc = kc

    def send(self, msg_type: str, content: dict, metadata: dict | None = None) -> str:
        msg = self.kc.session.msg(msg_type, content, metadata=metadata or {})
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def open_control(self) -> str:
        comm_id = uuid.uuid4().hex
        msg_id = self.send("comm_open", {"comm_id": comm_id, "target_name": CONTROL, "data": {}}, {"version": "1.0.0"})
        collect_iopub(self.kc, msg_id)
        return comm_id

    def request_states(self) -> dict:
        """What JupyterLab's widget manager does when it connects (and on a page reload): opens a
        control comm, asks for every widget's state, and closes the comm again."""
        control = self.open_control()
        answers = self.message(control, {"method": "request_states"})
        (states,) = [m["content"]["data"] for m in answers if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == control]
        assert states["method"] == "update_states", states
        collect_iopub(self.kc, self.send("comm_close", {"comm_id": control, "data": {}}))
        return states

    def message(self, comm_id: str, data: dict) -> list:
        """Sends a comm_msg and returns what the kernel published for it (until idle), waiting a
        little longer for answers the cell process sends after the kernel's idle."""
        msg_id = self.send("comm_msg", {"comm_id": comm_id, "data": data})
        outputs = collect_iopub(self.kc, msg_id)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                if outputs:
                    break
                continue
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] != "status":
                outputs.append(msg)
        return outputs

    def comm_info(self, target: str | None = None) -> dict:
        content = {"target_name": target} if target else {}
        msg_id = self.send("comm_info_request", content)
        reply = self.kc.get_shell_msg(timeout=CELL_TIMEOUT)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=CELL_TIMEOUT)
        return reply["content"]["comms"]


def opened_models(outputs) -> dict:
    """Models opened on `jupyter.widget` among `outputs`, as a front end holds them: comm id → the
    state of the comm_open with the later `update`s applied."""
    models = {}
    for m in outputs:
        content = m["content"]
        if m["msg_type"] == "comm_open" and content["target_name"] == "jupyter.widget":
            models[content["comm_id"]] = dict(content["data"]["state"])
        elif m["msg_type"] == "comm_msg" and content["comm_id"] in models and content["data"].get("method") == "update":
            models[content["comm_id"]].update(content["data"]["state"])
    return models


def displayed(outputs) -> list:
    return [m["content"]["data"] for m in outputs if m["msg_type"] in ("display_data", "execute_result")]


def python_state(model_name: str) -> dict:
    """The state Python's ipywidgets declares for `model_name`."""
    classes, seen = [ipywidgets.Widget], set()
    while classes:
        cls = classes.pop()
        if cls in seen:
            continue
        seen.add(cls)
        classes.extend(cls.__subclasses__())
        declared = cls.class_traits().get("_model_name")
        if declared is not None and declared.default_value == model_name and not cls.__name__.startswith("_"):
            return cls().get_state()
    raise AssertionError(f"ipywidgets has no model {model_name}")


def model_by_name(models: dict, model_name: str) -> tuple[str, dict]:
    found = [(comm_id, state) for comm_id, state in models.items() if state["_model_name"] == model_name]
    assert found, f"no {model_name} among {sorted(s['_model_name'] for s in models.values())}"
    return found[0]


def test_query_time_syncs_both_ways_like_a_front_end(kernel):
    _, kc, _ = kernel
    front = FrontEnd(kc)
    front.request_states()
    assert front.comm_info(CONTROL) == {}, "the control comm was closed"

    reply, outputs = run_cell(kc, QUERY_TIME)
    assert reply["content"]["status"] == "ok", reply["content"]
    models = opened_models(outputs)
    names = sorted(state["_model_name"] for state in models.values())
    for wanted in ["IntRangeSliderModel", "DatePickerModel", "DropdownModel", "TextModel", "VBoxModel", "LayoutModel"]:
        assert wanted in names, names
    # Every model has exactly the state ipywidgets declares for it, with its module versions.
    for comm_id, state in models.items():
        expected = python_state(state["_model_name"])
        assert sorted(state) == sorted(expected), (state["_model_name"], set(state) ^ set(expected))
        for key in ["_model_module", "_model_module_version", "_view_module", "_view_module_version", "_view_name"]:
            assert state[key] == expected[key], (state["_model_name"], key)
        for reference in [state.get("layout"), state.get("style")]:
            if reference is not None:
                assert reference.startswith("IPY_MODEL_") and reference[len("IPY_MODEL_"):] in models, reference
    # The cell's value is the widget's view, with a static fallback.
    (bundle,) = displayed(outputs)
    view = bundle[WIDGET_VIEW]
    assert view["version_major"] == 2 and models[view["model_id"]]["_model_name"] == "VBoxModel"
    assert "2024-04-30" in bundle["text/plain"]
    info = front.comm_info("jupyter.widget")
    assert set(models) <= set(info)

    slider_id, slider = model_by_name(models, "IntRangeSliderModel")
    assert slider["value"] == [-1, 0]
    answers = front.message(slider_id, {"method": "update", "state": {"value": [-3, 0]}, "buffer_paths": []})
    echoes = [m for m in answers if m["msg_type"] == "comm_msg" and m["content"]["data"]["method"] == "echo_update"]
    assert echoes and echoes[0]["content"]["comm_id"] == slider_id
    assert echoes[0]["content"]["data"]["state"] == {"value": [-3, 0]}
    # The start label follows the slider.
    updates = [m["content"]["data"]["state"] for m in answers if m["msg_type"] == "comm_msg" and m["content"]["data"]["method"] == "update"]
    assert any("2024-04-28" in str(state.get("value")) for state in updates), updates

    reply, outputs = run_cell(kc, 'println!("{} {}", qt.start().to_rfc3339(), qt.end().to_rfc3339());')
    assert reply["content"]["status"] == "ok", reply["content"]
    assert stream_text(outputs).strip() == "2024-04-28T12:00:00+00:00 2024-05-01T12:00:00+00:00"

    # A value of the wrong type is refused and changes nothing; the kernel keeps going.
    front.message(slider_id, {"method": "update", "state": {"value": "<script>alert(1)</script>"}, "buffer_paths": []})
    reply, outputs = run_cell(kc, 'println!("{}", qt.timespan().start().to_rfc3339());')
    assert stream_text(outputs).strip() == "2024-04-28T12:00:00+00:00"

    # A page reload asks for every model's state on a new control comm.
    states = front.request_states()
    assert set(models) <= set(states["states"])
    assert states["states"][slider_id]["state"]["value"] == [-3, 0]
    assert states["states"][slider_id]["model_name"] == "IntRangeSliderModel"

    # request_state answers one model's full state.
    answers = front.message(slider_id, {"method": "request_state"})
    full = [m["content"]["data"] for m in answers if m["msg_type"] == "comm_msg" and m["content"]["data"]["method"] == "update"]
    assert full and full[0]["state"]["value"] == [-3, 0] and full[0]["state"]["_model_name"] == "IntRangeSliderModel"


def test_button_clicks_and_selections_reach_rust_callbacks(kernel):
    _, kc, _ = kernel
    front = FrontEnd(kc)
    front.request_states()
    code = """let picked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
let hosts = SelectSubset::new(&["ws01", "ws02", "dc01"]);
hosts"""
    reply, outputs = run_cell(kc, code)
    assert reply["content"]["status"] == "ok", reply["content"]
    models = opened_models(outputs)
    buttons = {state["description"]: comm_id for comm_id, state in models.items() if state["_model_name"] == "ButtonModel"}
    lists = [(comm_id, state) for comm_id, state in models.items() if state["_model_name"] == "SelectMultipleModel"]
    assert len(lists) == 2, lists
    (source_id, source), = [(c, s) for c, s in lists if s["_options_labels"] == ["ws01", "ws02", "dc01"]]
    front.message(source_id, {"method": "update", "state": {"index": [0, 2]}, "buffer_paths": []})
    add = next(comm_id for text, comm_id in buttons.items() if "Add" in text)
    answers = front.message(add, {"method": "custom", "content": {"event": "click"}})
    moved = [m["content"]["data"]["state"] for m in answers if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "update"]
    assert any(state.get("_options_labels") == ["ws01", "dc01"] for state in moved), moved
    reply, outputs = run_cell(kc, 'println!("{:?}", hosts.selected());')
    assert stream_text(outputs).strip() == '["ws01", "dc01"]'


def test_without_a_widget_manager_widgets_show_static_views():
    """nbconvert and papermill open no control comm: widgets show their value as text and HTML."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120)
    try:
        run_cell(kc, "let warm: u8 = 1;", timeout=WARMUP_TIMEOUT)
        reply, outputs = run_cell(kc, 'SelectItem::new(&["ws01", "<img src=x onerror=alert(1)>"]).description("Host")')
        assert reply["content"]["status"] == "ok", reply["content"]
        (bundle,) = displayed(outputs)
        assert WIDGET_VIEW not in bundle
        assert "ws01" in bundle["text/plain"]
        assert "<img" not in bundle["text/html"] and "&lt;img src=x" in bundle["text/html"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_comms_of_an_ended_cell_process_close_and_new_ones_work():
    """A tight loop ended by an interrupt ends the cell process; its widgets' comms close on the
    front end, and the next cell process opens new ones."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120, env=dict(os.environ, MSTIC_INTERRUPT_GRACE_SECONDS="1"))
    try:
        run_cell(kc, "let warm: u8 = 1;", timeout=WARMUP_TIMEOUT)
        front = FrontEnd(kc)
        control = front.open_control()
        reply, outputs = run_cell(kc, 'let host = SelectItem::new(&["ws01", "ws02"]);\nhost')
        opened = set(opened_models(outputs))
        assert opened
        drain(kc.get_iopub_msg)
        msg_id = kc.execute('println!("cell-started");\nloop {}')
        deadline = time.monotonic() + 600
        while True:
            msg = kc.get_iopub_msg(timeout=deadline - time.monotonic())
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream" and "cell-started" in msg["content"]["text"]:
                break
        km.interrupt_kernel()
        closed = set()
        deadline = time.monotonic() + 60
        while closed != opened and time.monotonic() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if msg["msg_type"] == "comm_close":
                closed.add(msg["content"]["comm_id"])
        assert closed == opened
        assert front.comm_info() == {control: {"target_name": CONTROL}}, "the control comm stays open"
        reply, outputs = run_cell(kc, 'SelectItem::new(&["ws03"])')
        assert reply["content"]["status"] == "ok", reply["content"]
        again = opened_models(outputs)
        assert again and not (set(again) & opened)
        assert WIDGET_VIEW in displayed(outputs)[0], "the new cell process knows the widget manager is there"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_comm_lifecycle_of_user_code(kernel):
    """Plain comms, as the JupyterLab services tests exercise them: a cell opens, sends on and
    closes a comm; a cell registers a target, and a comm the front end opens on it is echoed and
    closed by the Rust handler; comm_info filters by target."""
    _, kc, _ = kernel
    front = FrontEnd(kc)
    blip = """let blip = mstic::core::comm::Comm::open("test.blip", mstic::serde_json::json!({"hello": 1}),
    mstic::serde_json::json!({"kind": "blip"}), vec![vec![1u8, 2]], |_, _| {});
blip.send(mstic::serde_json::json!({"again": 2}), vec![]);
blip.close();"""
    reply, outputs = run_cell(kc, blip)
    assert reply["content"]["status"] == "ok", reply["content"]
    comm_messages = [m for m in outputs if m["msg_type"].startswith("comm_")]
    assert [m["msg_type"] for m in comm_messages] == ["comm_open", "comm_msg", "comm_close"]
    opened = comm_messages[0]
    assert opened["content"]["target_name"] == "test.blip" and opened["content"]["data"] == {"hello": 1}
    assert opened["metadata"] == {"kind": "blip"} and bytes(opened["buffers"][0]) == b"\x01\x02"
    assert comm_messages[1]["content"]["data"] == {"again": 2}
    assert len({m["content"]["comm_id"] for m in comm_messages}) == 1

    echo = """use mstic::core::comm::{register_target, CommEvent};
register_target("test.echo", |comm, event| match event {
    CommEvent::Message(m) if m.data["quit"] == true => comm.close(),
    CommEvent::Message(m) => comm.send(m.data.clone(), m.buffers.clone()),
    _ => {}
});"""
    reply, _ = run_cell(kc, echo)
    assert reply["content"]["status"] == "ok", reply["content"]
    comm_id = uuid.uuid4().hex
    msg_id = front.send("comm_open", {"comm_id": comm_id, "target_name": "test.echo", "data": {}})
    assert not [m for m in collect_iopub(kc, msg_id) if m["msg_type"] == "comm_close"], "the target is known"
    assert front.comm_info("test.echo") == {comm_id: {"target_name": "test.echo"}}
    assert comm_id not in front.comm_info("jupyter.widget")
    answers = front.message(comm_id, {"x": [1, "two"]})
    assert [(m["msg_type"], m["content"]["data"]) for m in answers] == [("comm_msg", {"x": [1, "two"]})]
    answers = front.message(comm_id, {"quit": True})
    assert [m["msg_type"] for m in answers] == ["comm_close"]
    assert front.comm_info("test.echo") == {}
