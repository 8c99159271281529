"""The Rust type of a papermill parameter value and the Rust expression that builds it.

Scalars map to `i64`, `f64`, `String` and `bool`; a list whose items share one of these types (or
one list type, recursively) is a `Vec`; dicts, `None` inside lists and lists of mixed items are
`serde_json::Value`s parsed from JSON text at run time.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Optional

from .errors import RustParameterError
from .literals import check_no_surrogates, float_literal, needs_unicode_escape, raw_string_literal, string_literal

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
# serde_json reads integers up to u64::MAX exactly; larger ones would silently become floats.
JSON_INT_MIN, JSON_INT_MAX = I64_MIN, 2**64 - 1

_DATE_TYPES = (datetime.date, datetime.time)  # datetime.datetime is a date


@dataclass(frozen=True)
class RustType:
    """A parameter's Rust type. `kind` is `i64`, `f64`, `String`, `bool`, `json` or `vec`; a `vec`
    has an `element` type, which stays None while no item says what it is (an empty list)."""

    kind: str
    element: Optional["RustType"] = None

    def spelling(self, json_crate: str) -> str:
        """The type as written in Rust; JSON values are `<json_crate>::Value`."""
        if self.kind == "vec":
            inner = self.element.spelling(json_crate) if self.element else f"{json_crate}::Value"
            return f"Vec<{inner}>"
        return f"{json_crate}::Value" if self.kind == "json" else self.kind

    def holds_json(self) -> bool:
        """Whether a JSON value occurs in this type (then the value is built from JSON text)."""
        return self.kind == "json" or (self.element is not None and self.element.holds_json())


I64 = RustType("i64")
F64 = RustType("f64")
STRING = RustType("String")
BOOL = RustType("bool")
JSON = RustType("json")


def rust_binding(value: object, json_crate: str) -> tuple[str, str]:
    """The Rust type and the expression for a parameter value. `None` is an `Option` of a JSON value."""
    if value is None:
        return f"Option<{json_crate}::Value>", "None"
    rust_type = rust_type_of(value, "")
    if rust_type.holds_json():
        return rust_type.spelling(json_crate), json_expression(value, json_crate)
    return rust_type.spelling(json_crate), literal_expression(value, rust_type, "")


def rust_type_of(value: object, path: str) -> RustType:
    """The Rust type for `value`; `path` locates it inside the parameter for error messages."""
    if value is None or isinstance(value, dict):
        return JSON
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        if not I64_MIN <= value <= I64_MAX:
            raise _error(path, f"the integer {value} does not fit in i64")
        return I64
    if isinstance(value, float):
        return F64
    if isinstance(value, (str, *_DATE_TYPES)):
        return STRING
    if isinstance(value, (list, tuple)):
        element: Optional[RustType] = None
        for index, item in enumerate(value):
            item_type = rust_type_of(item, f"{path}[{index}]")
            element = item_type if element is None else unify(element, item_type)
        return RustType("vec", element)
    raise _error(path, f"a value of Python type {type(value).__name__} has no Rust form")


def unify(first: RustType, second: RustType) -> RustType:
    """The type that holds items of both types: integers widen to `f64`, lists unify their items,
    and anything else that differs is a JSON value."""
    if first == second:
        return first
    if {first.kind, second.kind} == {"i64", "f64"}:
        return F64
    if first.kind == "vec" and second.kind == "vec":
        if first.element is None or second.element is None:
            return first if second.element is None else second
        return RustType("vec", unify(first.element, second.element))
    return JSON


def literal_expression(value: object, rust_type: RustType, path: str) -> str:
    """A Rust expression of `rust_type` (one without JSON values) that builds `value`."""
    if rust_type.kind == "bool":
        return "true" if value else "false"
    if rust_type.kind == "i64":
        return "i64::MIN" if value == I64_MIN else str(int(value))
    if rust_type.kind == "f64":
        return float_literal(float(value))
    if rust_type.kind == "String":
        text = value if isinstance(value, str) else value.isoformat()
        try:
            return f"String::from({string_literal(text)})"
        except RustParameterError as error:
            raise _error(path, str(error)) from None
    if not value:
        return "Vec::new()"
    items = [literal_expression(item, rust_type.element, f"{path}[{i}]") for i, item in enumerate(value)]
    return f"vec![{', '.join(items)}]"


def json_expression(value: object, json_crate: str) -> str:
    """`<json_crate>::from_str(r#"…"#)?`: the value parsed from its JSON text when the cell runs."""
    _check_json_value(value, "")
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=_json_default)
    except (ValueError, TypeError) as error:  # NaN or infinite floats, odd keys, cycles
        raise RustParameterError(f"the value has no JSON form: {error}") from None
    return f"{json_crate}::from_str({raw_string_literal(_escape_invisible(text))})?"


def _check_json_value(value: object, path: str) -> None:
    """Rejects what JSON text would carry wrongly: integers beyond 64 bits (serde_json would read
    them as floats) and lone surrogates."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int) and not JSON_INT_MIN <= value <= JSON_INT_MAX:
        raise _error(path, f"the integer {value} does not fit in 64 bits")
    if isinstance(value, str):
        try:
            check_no_surrogates(value)
        except RustParameterError as error:
            raise _error(path, str(error)) from None
    if isinstance(value, dict):
        for key, item in value.items():
            _check_json_value(key, f"{path}[{key!r}]")
            _check_json_value(item, f"{path}[{key!r}]")
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_json_value(item, f"{path}[{index}]")


def _json_default(value: object) -> str:
    """Dates and times in JSON text: ISO 8601 strings, as at the top level."""
    if isinstance(value, _DATE_TYPES):
        return value.isoformat()
    raise TypeError(f"a value of Python type {type(value).__name__} has no JSON form")


def _escape_invisible(json_text: str) -> str:
    """JSON text with invisible and bidirectional characters as `\\uXXXX` escapes (they occur only
    inside JSON strings, where the escape means the same character)."""
    parts = []
    for char in json_text:
        if not needs_unicode_escape(char):
            parts.append(char)
            continue
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            parts.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            parts.append(f"\\u{code:04x}")
    return "".join(parts)


def _error(path: str, detail: str) -> RustParameterError:
    return RustParameterError(f"at {path}: {detail}" if path else detail)
