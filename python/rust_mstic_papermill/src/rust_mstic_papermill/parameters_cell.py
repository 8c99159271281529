"""Reads the `let` bindings of a Rust `parameters` cell: name, declared (or evident) type, default
expression and the comment that explains it. Used by `papermill --help-notebook` and by
papermill's check for unknown parameters; the cell is only read, never compiled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, List, Optional

# One token of Rust source. Literals are whole tokens, so `;`, brackets and `//` inside them are
# not mistaken for code.
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<line_comment>//[^\n]*)
    | (?P<block_comment>/\*)
    | (?P<raw_string>[bc]?r(?P<hashes>\#*)")
    | (?P<string>[bc]?"(?:[^"\\]|\\.)*")
    | (?P<char>b?'(?:[^'\\\n]|\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,8}\}|.))')
    | (?P<word>r\#\w+|\w+)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# An evcxr command line (`:dep regex = "1"`) is not Rust.
_EVCXR_COMMAND = re.compile(r"^[ \t]*:[A-Za-z_].*$", re.MULTILINE)
_IDENTIFIER = re.compile(r"(?:r#)?[A-Za-z_]\w*")
_OPENERS, _CLOSERS = "([{", ")]}"


@dataclass(frozen=True)
class Token:
    """A token and the line (0-based) it starts on."""

    kind: str
    text: str
    line: int


@dataclass(frozen=True)
class Binding:
    """A `let` of the parameters cell. `rust_type` is None when neither declared nor evident."""

    name: str
    rust_type: Optional[str]
    default: str
    help: str


def read_bindings(source: str) -> List[Binding]:
    """The simple `let name[: Type] = value;` bindings of `source`, in order; other statements and
    `let`s with patterns are skipped. Never raises on malformed code: what cannot be read is left out."""
    tokens = list(tokenize(_EVCXR_COMMAND.sub("", source)))
    comment_lines = _comment_only_lines(tokens)
    bindings = []
    for statement, end_index in _statements(tokens):
        binding = _binding(statement, _help(tokens, statement, end_index, comment_lines))
        if binding is not None:
            bindings.append(binding)
    return bindings


def tokenize(source: str) -> Iterator[Token]:
    """Rust tokens of `source`, whitespace and comments included; an unterminated string or
    comment runs to the end of the text (an unterminated string as kind `unterminated`)."""
    position, line = 0, 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        kind = match.lastgroup
        end = match.end()
        if kind == "block_comment":
            end = _block_comment_end(source, end)
        elif kind == "raw_string":
            closing = source.find('"' + match.group("hashes"), end)
            if closing < 0:
                kind, end = "unterminated", len(source)
            else:
                end = closing + 1 + len(match.group("hashes"))
        elif kind == "punct" and source[position] == '"':
            kind, end = "unterminated", len(source)
        text = source[position:end]
        yield Token(kind, text, line)
        line += text.count("\n")
        position = end


def _block_comment_end(source: str, position: int) -> int:
    """The end of a `/* … */` comment whose opening ends at `position` (Rust block comments nest)."""
    depth = 1
    while depth and position < len(source):
        if source.startswith("/*", position):
            depth, position = depth + 1, position + 2
        elif source.startswith("*/", position):
            depth, position = depth - 1, position + 2
        else:
            position += 1
    return position


def _statements(tokens: List[Token]) -> Iterator[tuple[List[Token], int]]:
    """Top-level statements as lists of code tokens (no comments), each with the index in `tokens`
    of its last token. A statement ends at `;` outside brackets; an item or block that is not a
    `let` also ends at its closing `}`."""
    current: List[Token] = []
    depth, last_index = 0, 0
    for index, token in enumerate(tokens):
        if token.kind in ("line_comment", "block_comment") or (token.kind == "ws" and not current):
            continue
        current.append(token)
        if token.kind != "ws":
            last_index = index
        if token.kind != "punct":
            continue
        if token.text in _OPENERS:
            depth += 1
        elif token.text in _CLOSERS:
            depth = max(depth - 1, 0)
        is_let = current[0].text == "let"
        if depth == 0 and (token.text == ";" or (token.text == "}" and not is_let)):
            yield current, index
            current = []
    if current:
        yield current, last_index


def _binding(statement: List[Token], help_text: str) -> Optional[Binding]:
    """The binding a `let name[: Type] = value;` statement makes; None for any other statement."""
    code = [i for i, t in enumerate(statement) if t.kind != "ws"]
    words = [statement[i].text for i in code]
    if len(words) < 4 or words[0] != "let" or any(t.kind == "unterminated" for t in statement):
        return None
    name_at = 2 if words[1] == "mut" else 1
    name = words[name_at]
    if not _IDENTIFIER.fullmatch(name) or name == "_" or name_at + 1 >= len(words):
        return None
    rust_type, equals = None, code[name_at + 1]
    if words[name_at + 1] == ":" and words[name_at + 2 : name_at + 3] != [":"]:
        equals = _assignment_index(statement, code[name_at + 1] + 1)
        if equals is None:
            return None
        rust_type = _type_text(statement[code[name_at + 1] + 1 : equals])
    if statement[equals].text != "=":
        return None
    value = statement[equals + 1 :]
    if value and value[-1].text == ";":
        value = value[:-1]
    default = _code_text(value)
    if not default:
        return None
    return Binding(
        name=name.removeprefix("r#"),
        rust_type=rust_type or evident_type(default),
        default=default,
        help=help_text,
    )


def _assignment_index(tokens: List[Token], start: int) -> Optional[int]:
    """The index of the `=` that ends a type annotation: outside brackets and generics, and not part
    of `==`, `=>`, `->`, `<=`, `>=` or `!=`."""
    depth = 0
    for index in range(start, len(tokens)):
        text = tokens[index].text
        before = tokens[index - 1].text if index > start else ""
        after = tokens[index + 1].text if index + 1 < len(tokens) else ""
        if text in _OPENERS or text == "<":
            depth += 1
        elif text in _CLOSERS or (text == ">" and before != "-"):
            depth -= 1
        elif text == "=" and depth <= 0 and after not in ("=", ">") and before not in ("<", ">", "!", "="):
            return index
    return None


def _type_text(tokens: List[Token]) -> str:
    text = _code_text(tokens)
    return re.sub(r"\s*(<|(?<!-)>|::|,)\s*", lambda m: m.group(1) + (" " if m.group(1) == "," else ""), text).strip()


def _code_text(tokens: List[Token]) -> str:
    """Tokens as one line: whitespace runs become one space, none inside brackets' edges or before
    commas, and a trailing comma before a closing bracket is dropped."""
    parts: List[str] = []
    for token in tokens:
        if token.kind == "ws":
            if parts and parts[-1] != " ":
                parts.append(" ")
            continue
        if token.text in _CLOSERS or token.text == ",":
            while parts and parts[-1] == " ":
                parts.pop()
            if token.text in _CLOSERS and parts and parts[-1] == ",":
                parts.pop()
        if parts and parts[-1] == " " and len(parts) > 1 and parts[-2] in _OPENERS:
            parts.pop()
        parts.append(token.text)
    return "".join(parts).strip()


def _comment_only_lines(tokens: List[Token]) -> dict[int, str]:
    """Lines that hold nothing but a `//` comment, with the comment's text."""
    code_lines = {t.line for t in tokens if t.kind not in ("ws", "line_comment")}
    return {
        t.line: _comment_text(t.text)
        for t in tokens
        if t.kind == "line_comment" and t.line not in code_lines
    }


def _help(tokens: List[Token], statement: List[Token], end_index: int, comment_lines: dict[int, str]) -> str:
    """The binding's explanation: a `//` comment after the `;` on its last line, else the comment
    lines right above the statement."""
    end_line = tokens[end_index].line
    for token in tokens[end_index + 1 :]:
        if token.kind == "line_comment" and token.line == end_line:
            return _comment_text(token.text)
        if token.kind != "ws" or "\n" in token.text:
            break
    above = []
    line = statement[0].line - 1
    while line in comment_lines:
        above.insert(0, comment_lines[line])
        line -= 1
    return " ".join(text for text in above if text)


def _comment_text(comment: str) -> str:
    return comment.lstrip("/").lstrip("!").strip()


_INTEGER = re.compile(r"-?(?:0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*)(?P<suffix>[iu](?:8|16|32|64|128|size))?")
_FLOAT = re.compile(r"-?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?(?P<suffix>f32|f64)?")
_STRING_BUILDERS = re.compile(
    r'^(?:String::(?:from|new)\(.*\)|format!\(.*\)|[bc]?r?#*".*"#*\.(?:to_string|to_owned)\(\))$', re.DOTALL
)


def evident_type(default: str) -> Optional[str]:
    """The type Rust gives an unannotated default when it is a plain literal or an obvious `String`;
    None otherwise."""
    if default in ("true", "false"):
        return "bool"
    if _STRING_BUILDERS.match(default):
        return "String"
    if default.startswith('"') and default.endswith('"'):
        return "&str"
    if re.fullmatch(r"'(?:[^'\\]|\\.+)'", default):
        return "char"
    integer = _INTEGER.fullmatch(default)
    if integer:
        return integer.group("suffix") or "i32"
    number = _FLOAT.fullmatch(default)
    if number:
        return number.group("suffix") or "f64"
    return None
