"""Which font draws each character of a PDF Kanalvakt writes (core.pdffonts): DejaVu Sans first,
then Symbola for emoji and symbols, then Droid Sans Fallback for Chinese, Japanese and Korean; what no
font has is drawn as a visible placeholder."""

from __future__ import annotations

import pytest
from reportlab.pdfbase import pdfmetrics

from core import pdffonts
from core.pdffonts import PLACEHOLDER, Run
from tests.core import pdf_support


def test_the_fallback_fonts_are_installed() -> None:
    """The Dockerfile and CI install fonts-symbola and fonts-droid-fallback; without them emoji and
    CJK print as placeholders (still a valid PDF/A)."""
    pdf_support.require_fallback_fonts()
    assert pdffonts.installed_fallbacks() == ["Symbola", "DroidSansFallback"]


@pytest.fixture
def fallbacks() -> None:
    pdf_support.require_fallback_fonts()


def test_an_emoji_is_drawn_in_symbola_between_dejavu_runs(fallbacks: None) -> None:
    assert pdffonts.runs("Lisa 🌸 Berg") == [
        Run("DejaVuSans", "Lisa "),
        Run("Symbola", "🌸"),
        Run("DejaVuSans", " Berg"),
    ]


@pytest.mark.parametrize(
    "sequence",
    ["👩\u200d👩\u200d👧", "🇸🇪", "👍🏽", "👋🏿"],
    ids=["zwj family", "flag", "skin tone", "dark skin tone"],
)
def test_an_emoji_sequence_stays_in_one_font(fallbacks: None, sequence: str) -> None:
    """The joiners and modifiers belong to the emoji they continue."""
    assert pdffonts.runs(sequence) == [Run("Symbola", sequence)]


@pytest.mark.parametrize(
    ("text", "font"),
    [("山田太郎", "DroidSansFallback"), ("김민준", "DroidSansFallback"), ("ひらがな", "DroidSansFallback")],
)
def test_chinese_japanese_and_korean_are_drawn_in_droid(fallbacks: None, text: str, font: str) -> None:
    assert pdffonts.runs(text) == [Run(font, text)]


@pytest.mark.parametrize(
    ("text", "drawn"),
    [
        ("a\x00b\x01c\x1bd\x7fe", "a␀b␁c␛d␡e"),  # control pictures
        ("x\ud800y\udfffz", f"x{PLACEHOLDER}y{PLACEHOLDER}z"),  # lone surrogates
        ("\x9b\U0010fffd\u0378", PLACEHOLDER * 3),  # a C1 control, private use, unassigned
        ("ሰላም", PLACEHOLDER * 3),  # Ethiopic: no font here
        ("\U000e0001tag\U000e007f", "tag"),  # invisible tags no font has are left out
        ("a\tb", "a b"),
    ],
)
def test_what_no_font_has_is_drawn_as_a_visible_stand_in(fallbacks: None, text: str, drawn: str) -> None:
    assert "".join(run.text for run in pdffonts.runs(text)) == drawn


def test_every_run_is_in_a_font_that_has_each_of_its_characters() -> None:
    """What PDF/A asks: no character selects a .notdef glyph."""
    cmaps = dict(pdffonts.chain())
    sample = "Åsa 🌸 王 김 محمد דוד Zoë \x00 \ud800 \U0010fffd 👩\u200d👩\u200d👧 🇸🇪 ሰላም"
    for run in pdffonts.runs(sample):
        assert all(ord(char) in cmaps[run.font] for char in run.text), run


def test_a_long_word_is_broken_to_fit_the_line_and_nothing_is_lost() -> None:
    name = "Å" * 400 + " " + "🌸" * 50 + " kort"
    lines = pdffonts.wrap(name, 200, 10)
    assert len(lines) > 5
    assert all(pdffonts.width(line, 10) <= 200 for line in lines)
    assert "".join(run.text for line in lines for run in line).replace(" ", "") == name.replace(" ", "")


def test_words_wrap_at_spaces_and_line_breaks_are_kept() -> None:
    lines = pdffonts.wrap("ett två tre\nfyra", pdfmetrics.stringWidth("ett två", "DejaVuSans", 10) + 1, 10)
    assert ["".join(run.text for run in line) for line in lines] == ["ett två", "tre", "fyra"]


def test_a_combining_mark_is_never_separated_from_its_letter() -> None:
    word = "e\u0301" * 100
    for line in pdffonts.wrap(word, 50, 10):
        text = "".join(run.text for run in line)
        assert text.startswith("e")
        assert text.endswith("\u0301")


def test_paragraph_markup_escapes_and_names_each_font(fallbacks: None) -> None:
    assert pdffonts.markup("<b>Lisa</b> 🌸\nBerg") == (
        '<font face="DejaVuSans">&lt;b&gt;Lisa&lt;/b&gt; </font><font face="Symbola">🌸</font>'
        '<br/><font face="DejaVuSans">Berg</font>'
    )
