"""One text-shortening rule for imported titles and summaries, feed entries and the site's cards."""

from __future__ import annotations

from functions.text import shorten


def test_text_that_fits_is_kept_whole() -> None:
    assert shorten("Autumn launch", 13) == "Autumn launch"


def test_a_long_text_is_cut_at_a_word_near_the_end_with_an_ellipsis_and_no_dangling_punctuation() -> None:
    text = "Our autumn launch, explained: what changes for customers and partners"
    assert shorten(text, 40) == "Our autumn launch, explained: what…"
    assert shorten(text, 31) == "Our autumn launch, explained…"  # the colon before the cut goes too


def test_without_a_word_end_near_the_limit_the_cut_is_mid_word() -> None:
    assert shorten("Donaudampfschifffahrtsgesellschaftskapitän", 10) == "Donaudamp…"
