"""Text helpers shared by the importer, feed pulls and the site (no I/O, nothing heavy to import)."""

from __future__ import annotations

ELLIPSIS = "…"
_TRAILING = " ,;:.-–—"


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut at a word end in the last fifth of the room if there is
    one (else mid-word), trailing punctuation dropped, and an ellipsis added."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    word_end = cut.rfind(" ")
    if word_end > limit * 0.8:
        cut = cut[:word_end]
    return cut.rstrip(_TRAILING) + ELLIPSIS
