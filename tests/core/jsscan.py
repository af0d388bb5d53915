"""A small JavaScript tokenizer to find the i18n calls `t("key", {params})` in web/js statically.

Not a parser: it knows strings, template literals (with nested `${}`), comments, regular
expression literals (by the usual "what came before" rule), brackets and identifiers, which is
all the catalogue checks need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

IDENT = re.compile(r"[A-Za-z_$][\w$]*")
NUMBER = re.compile(r"\d[\w.]*")
# After these a "/" starts a regular expression, not a division.
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {"return", "typeof", "case", "do", "else", "in", "of"}
PUNCT3 = ("...", "===", "!==", "**=", "<<=", ">>=", "&&=", "||=", "??=")
PUNCT2 = ("=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=")


@dataclass
class Tok:
    """One token: kind is str, tpl, ident, num, punct; `parts` holds a template's pieces."""

    kind: str
    text: str
    line: int
    parts: list[str | None] = field(default_factory=list)  # None marks a ${...} hole


def _string(src: str, i: int) -> tuple[str, int]:
    quote = src[i]
    out: list[str] = []
    i += 1
    while src[i] != quote:
        if src[i] == "\\":
            nxt = src[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
            continue
        out.append(src[i])
        i += 1
    return "".join(out), i + 1


def _skip_expr(src: str, i: int) -> int:
    """From inside `${`, return the index just after the matching `}`."""
    depth = 1
    while depth:
        c = src[i]
        if c in "\"'":
            _, i = _string(src, i)
            continue
        if c == "`":
            _, i = _template(src, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    return i


def _template(src: str, i: int) -> tuple[list[str | None], int]:
    parts: list[str | None] = []
    buf: list[str] = []
    i += 1
    while src[i] != "`":
        if src[i] == "\\":
            buf.append(src[i + 1])
            i += 2
        elif src.startswith("${", i):
            parts.append("".join(buf))
            buf = []
            parts.append(None)
            i = _skip_expr(src, i + 2)
        else:
            buf.append(src[i])
            i += 1
    parts.append("".join(buf))
    return parts, i + 1


def _regex_end(src: str, i: int) -> int:
    i += 1
    in_class = False
    while True:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            break
        i += 1
    i += 1
    while i < len(src) and src[i].isalpha():
        i += 1
    return i


def tokenize(src: str) -> list[Tok]:
    """The tokens of a JavaScript module (comments dropped)."""
    toks: list[Tok] = []
    i, line, n = 0, 1, len(src)
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif src.startswith("//", i):
            i = src.find("\n", i) if "\n" in src[i:] else n
        elif src.startswith("/*", i):
            end = src.index("*/", i + 2) + 2
            line += src.count("\n", i, end)
            i = end
        elif c in "\"'":
            text, j = _string(src, i)
            toks.append(Tok("str", text, line))
            i = j
        elif c == "`":
            parts, j = _template(src, i)
            toks.append(Tok("tpl", src[i:j], line, parts))
            line += src.count("\n", i, j)
            i = j
        elif c == "/" and (not toks or toks[-1].text in REGEX_AFTER):
            i = _regex_end(src, i)
            toks.append(Tok("regex", "/", line))
        elif m := IDENT.match(src, i):
            toks.append(Tok("ident", m.group(), line))
            i = m.end()
        elif m := NUMBER.match(src, i):
            toks.append(Tok("num", m.group(), line))
            i = m.end()
        else:
            for size, group in ((3, PUNCT3), (2, PUNCT2)):
                if src[i : i + size] in group:
                    toks.append(Tok("punct", src[i : i + size], line))
                    i += size
                    break
            else:
                toks.append(Tok("punct", c, line))
                i += 1
    return toks


OPEN, CLOSE = "([{", ")]}"
# What a ${...} hole in a template key may stand for (audit actions carry dots).
HOLE = r"[a-z0-9_.-]+"


def split_args(toks: list[Tok], start: int) -> tuple[list[list[Tok]], int]:
    """Arguments of the call whose "(" is at `start`: token lists, and the index after ")"."""
    args: list[list[Tok]] = [[]]
    depth = 0
    i = start + 1
    while True:
        tok = toks[i]
        if tok.kind == "punct" and tok.text in OPEN:
            depth += 1
        elif tok.kind == "punct" and tok.text in CLOSE:
            if depth == 0:
                break
            depth -= 1
        if depth == 0 and tok.kind == "punct" and tok.text == ",":
            args.append([])
        else:
            args[-1].append(tok)
        i += 1
    if not args[-1]:
        args.pop()  # trailing comma, or no arguments
    return args, i + 1


@dataclass
class Call:
    """One catalogue call: key patterns (regexes; None when computed), param names."""

    file: str
    line: int
    func: str
    keys: list[str] | None
    params: frozenset[str] | None  # None: passed as a variable, not checkable
    shared: bool = False  # params serve several keys: each key uses a subset


def key_patterns(arg: list[Tok]) -> list[str] | None:
    """Regexes for the keys a first argument can produce (literals, templates, a ? b : c)."""
    if len(arg) == 1 and arg[0].kind == "str":
        return [re.escape(arg[0].text)]
    if len(arg) == 1 and arg[0].kind == "tpl":
        return ["".join(HOLE if p is None else re.escape(p) for p in arg[0].parts)]
    depth = 0
    question = colon = -1
    for i, tok in enumerate(arg):
        if tok.kind == "punct" and tok.text in OPEN:
            depth += 1
        elif tok.kind == "punct" and tok.text in CLOSE:
            depth -= 1
        elif depth == 0 and tok.text == "?" and question < 0:
            question = i
        elif depth == 0 and tok.text == ":" and question >= 0:
            colon = i  # nested ternaries sit in the "else" branch
            break
    if question < 0 or colon < 0:
        return None
    yes, no = key_patterns(arg[question + 1 : colon]), key_patterns(arg[colon + 1 :])
    if yes is None or no is None:
        return None
    return yes + no


def object_keys(arg: list[Tok]) -> frozenset[str] | None:
    """Top-level property names of an object literal argument (None if not a plain literal)."""
    if not arg or arg[0].text != "{" or arg[-1].text != "}":
        return None
    keys: set[str] = set()
    depth = 0
    expect_key = True
    for tok in arg[1:-1]:
        if tok.kind == "punct" and tok.text in OPEN:
            depth += 1
        elif tok.kind == "punct" and tok.text in CLOSE:
            depth -= 1
            continue
        if depth:
            continue
        if tok.text == ",":
            expect_key = True
        elif expect_key:
            if tok.text == "...":
                return None
            if tok.kind in ("ident", "str", "num"):
                keys.add(tok.text)
            expect_key = False
    return frozenset(keys)


# Functions that take catalogue keys: name -> (positions of key arguments, position of params).
KEY_FUNCTIONS: dict[str, tuple[tuple[int, ...], int]] = {
    "t": ((0,), 1),
    "tNodes": ((0,), 1),
    "messagePanel": ((0, 1), 2),
}


def key_calls(name: str, src: str) -> list[Call]:
    """Every call of a catalogue function (`t`, `ctx.t`, `tNodes`, `messagePanel`) in a module."""
    toks = tokenize(src)
    out: list[Call] = []
    for i, tok in enumerate(toks[:-1]):
        spec = KEY_FUNCTIONS.get(tok.text) if tok.kind == "ident" else None
        if spec is None or toks[i + 1].text != "(":
            continue
        prev = toks[i - 1] if i else None
        if prev is not None and prev.text == "function":
            continue  # the definition
        if prev is not None and prev.text in (".", "?.") and toks[i - 2].text != "ctx":
            continue  # some other object's method of the same name
        args, _ = split_args(toks, i + 1)
        key_at, params_at = spec
        params: frozenset[str] | None = frozenset()
        if len(args) > params_at:
            params = object_keys(args[params_at])
        for at in key_at:
            if len(args) > at:
                keys = key_patterns(args[at])
                out.append(Call(name, tok.line, tok.text, keys, params, len(key_at) > 1))
    return out


def string_literals(src: str) -> list[tuple[int, str]]:
    """Every plain string literal (not templates) with its line."""
    return [(tok.line, tok.text) for tok in tokenize(src) if tok.kind == "str"]


def array_literal(src: str, name: str) -> list[str]:
    """The string items of `const NAME = [ ... ]` (fails loudly when the array is not found)."""
    toks = tokenize(src)
    for i, tok in enumerate(toks[:-3]):
        if tok.text == name and toks[i + 1].text == "=" and toks[i + 2].text == "[":
            items, _ = split_args(toks, i + 2)
            return [a[0].text for a in items if len(a) == 1 and a[0].kind == "str"]
    raise AssertionError(f"array {name} not found")
