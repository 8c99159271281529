"""Rust source spelling: variable names, string literals, raw strings and float literals."""

from __future__ import annotations

import math
import re
import unicodedata

from .errors import RustParameterError

# Strict and reserved keywords of Rust 2024 (`gen` is reserved from 2024, `try` from 2018).
RUST_KEYWORDS = frozenset(
    """as async await break const continue crate dyn else enum extern false fn for if impl in let loop
    match mod move mut pub ref return self Self static struct super trait true type unsafe use where while
    abstract become box do final gen macro override priv try typeof unsized virtual yield""".split()
)
# Keywords that cannot be written as raw identifiers either.
NOT_RAW_IDENTIFIERS = frozenset({"crate", "self", "super", "Self"})

_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Characters written as `\u{…}` escapes: controls, format characters (bidirectional overrides
# are rejected by rustc inside literals), separators other than the plain space, private-use and
# unassigned code points.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Zl", "Zp", "Zs"})
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}


def rust_identifier(name: object) -> str:
    """The Rust variable name for a parameter name: the name itself, or `r#name` for a keyword."""
    if not isinstance(name, str) or not _ASCII_IDENTIFIER.fullmatch(name) or name == "_":
        raise RustParameterError(
            f"parameter name {name!r} cannot be a Rust variable: use ASCII letters, digits and '_', "
            "not starting with a digit"
        )
    if name in NOT_RAW_IDENTIFIERS:
        raise RustParameterError(f"parameter name {name!r} is a Rust keyword that cannot name a variable")
    return f"r#{name}" if name in RUST_KEYWORDS else name


def needs_unicode_escape(char: str) -> bool:
    """Whether a character is written as an escape rather than as itself in generated source."""
    return char != " " and unicodedata.category(char) in _ESCAPED_CATEGORIES


def check_no_surrogates(text: str) -> None:
    """Rejects lone UTF-16 surrogates (from undecodable command-line bytes): Rust text cannot hold them."""
    for char in text:
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise RustParameterError(
                f"text contains the unpaired surrogate U+{ord(char):04X} (bytes that are not UTF-8?), "
                "which Rust strings cannot hold"
            )


def string_literal(text: str) -> str:
    """A Rust string literal (`"…"`) holding exactly `text`."""
    check_no_surrogates(text)
    parts = ['"']
    for char in text:
        if char in _SHORT_ESCAPES:
            parts.append(_SHORT_ESCAPES[char])
        elif needs_unicode_escape(char):
            parts.append(f"\\u{{{ord(char):x}}}")
        else:
            parts.append(char)
    parts.append('"')
    return "".join(parts)


def raw_string_literal(text: str) -> str:
    """A Rust raw string literal (`r#"…"#`) holding exactly `text`, with enough `#` to enclose it."""
    check_no_surrogates(text)
    hashes = 1 + max((len(run) for run in re.findall(r'"(#*)', text)), default=0)
    fence = "#" * hashes
    return f'r{fence}"{text}"{fence}'


def float_literal(value: float) -> str:
    """A Rust `f64` expression for `value`: a literal that reads back to the same number, or one
    of the `f64` constants for NaN and the infinities."""
    if math.isnan(value):
        return "f64::NAN"
    if math.isinf(value):
        return "f64::INFINITY" if value > 0 else "f64::NEG_INFINITY"
    # Python's repr is the shortest text that reads back to the same double; Rust reads it alike
    # (`0.1`, `3.0`, `1e-05`, `1.5e+300`).
    return repr(float(value))
