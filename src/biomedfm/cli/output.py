"""What every CLI area prints the same way."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape


def print_error(console: Console, error: object) -> None:
    """``error: <message>`` in red; the message is escaped, so ``[onnx]`` in a hint survives."""
    console.print(f"[red]error:[/red] {escape(str(error))}")
