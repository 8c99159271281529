"""papermill translators for Rust kernels: parameters become typed `let` bindings that persist
across cells, and the `parameters` cell's bindings are listed by `papermill --help-notebook`."""

from __future__ import annotations

from typing import List, Mapping

from papermill.models import Parameter
from papermill.translators import Translator

from .errors import RustParameterError
from .literals import rust_identifier
from .parameters_cell import read_bindings
from .values import rust_binding


class RustTranslator(Translator):
    """Writes papermill parameters as Rust for the Rust MSTIC kernel (JSON values through the
    facade's `mstic::serde_json`, which every cell can name)."""

    #: The path cells use for the serde_json crate.
    JSON_CRATE = "mstic::serde_json"

    # papermill calls `codify` and `inspect`; `translate` (which the per-type `translate_*` methods
    # of the base class would serve) is replaced as a whole because a value's Rust form depends on
    # the types of all items of its lists.
    @classmethod
    def translate(cls, val):
        """The Rust expression for a value (its type is `rust_type(val)`)."""
        return rust_binding(val, cls.JSON_CRATE)[1]

    @classmethod
    def rust_type(cls, val) -> str:
        """The Rust type of the binding for a value."""
        return rust_binding(val, cls.JSON_CRATE)[0]

    @classmethod
    def comment(cls, cmt_str):
        """`cmt_str` as `//` comment lines."""
        lines = str(cmt_str).splitlines() or [""]
        return "\n".join(f"// {line}".rstrip() for line in lines)

    @classmethod
    def assign(cls, name, str_val, rust_type=None):
        """`let name[: Type] = value;`, with a raw identifier for a keyword name."""
        annotation = f": {rust_type}" if rust_type else ""
        return f"let {rust_identifier(name)}{annotation} = {str_val};"

    @classmethod
    def codify(cls, parameters: Mapping[str, object], comment: str = "Parameters") -> str:
        """The injected cell: a comment line, then one `let name: Type = value;` per parameter.
        Raises `RustParameterError` naming the parameter when a name or value has no Rust form."""
        lines = [cls.comment(comment)]
        for name, value in parameters.items():
            try:
                rust_type, expression = rust_binding(value, cls.JSON_CRATE)
                lines.append(cls.assign(name, expression, rust_type))
            except RustParameterError as error:
                raise RustParameterError(f"papermill parameter {name!r}: {error}") from None
        return "\n".join(lines) + "\n"

    @classmethod
    def inspect(cls, parameters_cell) -> List[Parameter]:
        """The `let` bindings of the cell tagged `parameters`: name, type (declared, or evident from a
        literal; "None" when unknown, as papermill expects), default expression and comment."""
        return [
            Parameter(name=b.name, inferred_type_name=b.rust_type or "None", default=b.default, help=b.help)
            for b in read_bindings(parameters_cell.get("source", ""))
        ]


class EvcxrTranslator(RustTranslator):
    """The same bindings for other Rust kernels (language `rust`, e.g. evcxr's Jupyter kernel):
    JSON values through `serde_json`, which such a notebook adds with `:dep serde_json`."""

    JSON_CRATE = "serde_json"

