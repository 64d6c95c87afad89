"""The names a case reference may not carry: ``forenames.txt`` and ``surnames.txt`` here, one a line.

Read once, when this module is first imported, and registered with the pure ``domain.case_refs``,
which refuses a case reference whose letters are a name (``shipped`` is passed through the workflow
sandbox, so nothing in ``domain`` reads a file). Lines starting ``#`` say where the list comes from.
"""

from __future__ import annotations

from pathlib import Path

from domain.case_refs import FORENAMES, SURNAMES, register_names

__all__ = ["DIRECTORY", "FORENAMES", "SURNAMES", "read"]

DIRECTORY = Path(__file__).parent


def read(path: Path) -> list[str]:
    """A list's names, without its comments and blank lines."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


register_names(read(DIRECTORY / "forenames.txt"), read(DIRECTORY / "surnames.txt"))
