"""The error raised for a parameter that has no Rust form."""

from papermill.exceptions import PapermillException


class RustParameterError(PapermillException, ValueError):
    """A papermill parameter (name or value) that cannot be written as a Rust binding; the message
    names the parameter and, inside lists and dicts, the position of the offending value."""
