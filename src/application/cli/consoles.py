"""The command line's consoles: one for results (stdout), one for errors, warnings and notes (stderr).
stderr soft-wraps, so that an error or warning stays one line however narrow the terminal."""

from __future__ import annotations

import os
import unicodedata
from typing import Any

from rich.console import Console
from rich.markup import escape


class _KeepGoingConsole(Console):
    """A console whose reader may go away (`arc-ttt solve ... | head`) without stopping the command: rich's
    default exits with status 1 on a broken pipe, which would end a batch before its submission is written.
    Here the rest of that stream's output goes to the null device and the work goes on."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self.file.fileno())
        os.close(devnull)


def console(*, stderr: bool = False, **options: Any) -> Console:
    return _KeepGoingConsole(stderr=stderr, **options)


out = console()
err = console(stderr=True, soft_wrap=True)


def visible(text: str) -> str:
    """`text` with every control character (newline, tab, ESC, DEL, C1) and every byte that was not UTF-8 (read
    back as a surrogate escape) written as a visible escape (`\\n`, `\\x1b`): a file name must not split a
    one-line message over two lines, nor send a raw escape sequence to the terminal."""
    if text.isprintable():
        return text
    shown = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
            shown.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(char) in ("Cc", "Cs") or char in "\u2028\u2029":
            shown.append(char.encode("unicode_escape").decode("ascii"))
        else:
            shown.append(char)
    return "".join(shown)


def shown(text: object) -> str:
    """Text from outside the program (paths, messages that quote them) made safe to print on a rich console:
    visible (`visible`), and never read as rich markup."""
    return escape(visible(str(text)))
