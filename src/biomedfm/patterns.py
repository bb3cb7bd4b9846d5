"""Regular expressions shared by the server's checks and its OpenAPI document.

JSON Schema's ``pattern`` is an ECMA regex, whose ``\\s`` and ``\\S`` differ from Python's
(``str.isspace``, ``str.split``, ``str.strip``): Python counts ``\\x1c``-``\\x1f`` as white
space, ECMA does not. So white space is spelled out once here, as the exact set Python uses,
and every pattern stated in the API is built from it.
"""

from __future__ import annotations

PYTHON_SPACE = "\\t-\\r\\x1c- \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
"""Every character with ``str.isspace()``, as the body of a regex character class."""
NOT_BLANK = f"[^{PYTHON_SPACE}]"
"""One character that is not white space (a text holding one is not blank)."""
