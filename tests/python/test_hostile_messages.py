"""Hostile wire messages: random and truncated multipart messages, wrong and replayed signatures,
signed non-JSON and oversized frames sent raw to the shell, control and stdin sockets leave the
kernel serving; the kernel logs one line per message it drops; the heartbeat echoes garbage."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import re
import time
from pathlib import Path

import pytest
import zmq
from jupyter_client.session import Session

from conftest import WARMUP_TIMEOUT, cold_kernel, run_cell

# The size limit the test kernel runs with (MSTIC_MAX_MESSAGE_BYTES), so an oversized message is small.
MAX_MESSAGE_BYTES = 65_536
DELIMITER = b"<IDS|MSG>"
REPLY_TIMEOUT = 30
# How long the log may take to show a line the kernel wrote (the write is unbuffered).
LOG_WAIT = 30


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A kernel without standby engines, its stderr in a file: (KernelManager, client, log path)."""
    log = tmp_path_factory.mktemp("hostile") / "kernel.log"
    with cold_kernel(log, MSTIC_MAX_MESSAGE_BYTES=str(MAX_MESSAGE_BYTES)) as (km, kc):
        reply, _ = run_cell(kc, "let kept: u64 = 41;", timeout=WARMUP_TIMEOUT)
        assert reply["content"]["status"] == "ok", reply["content"]
        yield km, kc, log


def dealer(km, channel: str) -> zmq.Socket:
    """A raw DEALER socket connected to the kernel's `channel` port."""
    info = km.get_connection_info()
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.IDENTITY, f"hostile-{channel}-{random.getrandbits(32)}".encode())
    socket.connect(f"{info['transport']}://{info['ip']}:{info[channel + '_port']}")
    return socket


def signed(key: bytes, parts: list[bytes]) -> bytes:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(part)
    return mac.hexdigest().encode()


def request_frames(session: Session, msg_type: str = "kernel_info_request") -> list[bytes]:
    """A well-signed request: delimiter, signature, header, parent, metadata, content."""
    return session.serialize(session.msg(msg_type, {}))


def hostile_messages(key: bytes, rng: random.Random) -> list[list[bytes]]:
    """Messages the kernel must drop, one log line each (replays are added by the caller)."""
    session = Session(key=key)
    messages: list[list[bytes]] = []
    for _ in range(12):
        frames = [rng.randbytes(rng.randrange(0, 40)) for _ in range(rng.randrange(1, 7))]
        messages.append([f for f in frames if f != DELIMITER] or [b"x"])
    for keep in range(5):
        messages.append(request_frames(session)[: 1 + keep])
    wrong = request_frames(Session(key=b"not-the-key"))
    messages.append(wrong)
    unsigned = request_frames(Session(key=b""))
    messages.append(unsigned)
    damaged = request_frames(session)
    damaged[1] = damaged[1][:-1] + (b"0" if damaged[1][-1:] != b"0" else b"1")
    messages.append(damaged)
    no_delimiter = request_frames(session)
    no_delimiter[0] = b"<IDS|MSG"
    messages.append(no_delimiter)
    # Well signed but not JSON; the random content keeps its signature new (signatures are
    # remembered across channels).
    garbage_parts = [b"{", b"{}", b"{}", rng.randbytes(8).hex().encode()]
    messages.append([DELIMITER, signed(key, garbage_parts), *garbage_parts])
    oversized = request_frames(session)
    oversized.append(b"x" * (MAX_MESSAGE_BYTES + 1))
    messages.append(oversized)
    return messages


def dropped_lines(log: Path, channel: str) -> list[str]:
    return re.findall(rf"^rust-mstic: dropped a {channel} message: .*$", log.read_text(errors="replace"), re.MULTILINE)


def wait_for_dropped(log: Path, channel: str, count: int) -> list[str]:
    """The channel's dropped-message lines once `count` are there (or whatever is there after LOG_WAIT)."""
    deadline = time.monotonic() + LOG_WAIT
    lines = dropped_lines(log, channel)
    while len(lines) < count and time.monotonic() < deadline:
        time.sleep(0.2)
        lines = dropped_lines(log, channel)
    return lines


def assert_serving(kc) -> None:
    """A normal execute_request and kernel_info still get their replies."""
    reply, _ = run_cell(kc, "kept + 1", timeout=REPLY_TIMEOUT * 4)
    assert reply["content"]["status"] == "ok", reply["content"]
    msg_id = kc.kernel_info()
    info = kc.get_shell_msg(timeout=REPLY_TIMEOUT)
    while info["parent_header"].get("msg_id") != msg_id:
        info = kc.get_shell_msg(timeout=REPLY_TIMEOUT)
    assert info["content"]["language_info"]["name"] == "rust"


@pytest.mark.parametrize("channel", ["shell", "control", "stdin"])
def test_hostile_messages_are_dropped_and_logged_and_the_kernel_keeps_serving(hostile, channel):
    km, kc, log = hostile
    key = km.session.key
    rng = random.Random(f"hostile-{channel}")
    before = len(dropped_lines(log, channel))
    socket = dealer(km, channel)
    try:
        messages = hostile_messages(key, rng)
        for frames in messages:
            socket.send_multipart(frames)
        # A replay: the first copy is accepted (answered on shell and control), every later one dropped.
        original = request_frames(Session(key=key))
        socket.send_multipart(original)
        if channel != "stdin":
            assert socket.poll(REPLY_TIMEOUT * 1000), f"no reply to a well-signed request on {channel}"
            reply = socket.recv_multipart()
            assert json.loads(reply[reply.index(DELIMITER) + 2])["msg_type"] == "kernel_info_reply"
        replays = 3
        for _ in range(replays):
            socket.send_multipart(original)
        assert_serving(kc)
        expected = len(messages) + replays
        lines = wait_for_dropped(log, channel, before + expected)[before:]
        assert len(lines) == expected, "\n".join(lines)
        reasons = "\n".join(lines)
        for reason in ["no <IDS|MSG> delimiter", "frames after the delimiter", "bad or missing signature", "is not JSON", "over the 65536-byte limit", "replayed message"]:
            assert reason in reasons, f"no dropped {channel} message says {reason!r}:\n{reasons}"
        assert not socket.poll(500), f"the kernel answered a dropped {channel} message: {socket.recv_multipart()}"
    finally:
        socket.close()


def test_the_heartbeat_echoes_garbage(hostile):
    km, kc, _ = hostile
    info = km.get_connection_info()
    # A peer whose message has no envelope (one frame from a DEALER) and a peer that vanishes
    # mid-conversation each fail one receive; the heartbeat keeps serving the others.
    for frames in [[b"no envelope"], [b"", b"ping"]]:
        rude = zmq.Context.instance().socket(zmq.DEALER)
        rude.setsockopt(zmq.LINGER, 0)
        rude.connect(f"{info['transport']}://{info['ip']}:{info['hb_port']}")
        rude.send_multipart(frames)
        time.sleep(0.5)  # let the connection carry the message before it is cut
        rude.close()
    socket = zmq.Context.instance().socket(zmq.REQ)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(f"{info['transport']}://{info['ip']}:{info['hb_port']}")
    rng = random.Random("heartbeat")
    try:
        for size in [0, 1, 7, 4096, MAX_MESSAGE_BYTES * 2]:
            frames = [rng.randbytes(size), b"<IDS|MSG>", rng.randbytes(3)]
            socket.send_multipart(frames)
            assert socket.poll(REPLY_TIMEOUT * 1000), f"no heartbeat echo of {size} bytes"
            assert socket.recv_multipart() == frames
    finally:
        socket.close()
    assert_serving(kc)
