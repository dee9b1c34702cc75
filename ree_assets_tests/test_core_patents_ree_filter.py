"""The REE filter: symbols only as chemistry, names as words, scalar and vectorised twins agree."""

import polars as pl
import pytest

from ree_assets.core.patents.ree_filter import mentions_ree, mentions_ree_expr

FOUND = [
    "A sintered Nd-Fe-B permanent magnet for traction motors.",
    "Catalyst support comprising La2O3 and alumina.",
    "Hydrogen storage alloy of the LaNi5 type for batteries.",
    "A red phosphor activated by Eu3+ ions.",
    "White LED with a Ce:YAG converter.",
    "An Nd:YAG laser for welding.",
    "Magnet of composition Nd2Fe14B with reduced dysprosium.",
    "Oxide layer of CeO2 on the electrode.",
    "Perovskite SrCeO3 proton conductor.",
    "Thermal barrier coating of Y2O3 stabilised zirconia.",
    "Superconducting Y-Ba-Cu-O film.",
    "An Er-doped fibre amplifier.",
    "A Nd-free high-coercivity magnet.",
    "Grain boundary diffusion of Dy/Tb into the magnet.",
    "Mixed oxides of La, Ce, Pr and Nd.",
    "Europium(III) complexes; Eu(III) emission.",
    "Polishing slurry of ceria particles.",
    "Magnets free of rare earths.",
    "A rare-earth-free motor.",
    "Lanthanide complexes for imaging.",
    "NEODYMIUM IRON BORON MAGNET",
    "Recycling of REE from scrap.",
    "Samarium cobalt (SmCo5) magnets.",
]

REJECTED = [
    "Lab equipment for a clinical laboratory.",
    "Cell phone housing with a battery cell.",
    "A 2 TB solid-state storage device.",
    "A stage movable along the Y-axis and the X-axis.",
    "Points X1, Y1 and X2, Y2 define the window.",
    "Offices in LA County and Pr. Smith's lab.",
    "A SYSTEM AND METHOD FOR YOUR DEVICE",
    "A Y-shaped junction and a section along line Y-Y'.",
    "Data rates of 10 Tb/s in the core network.",
    "The Ho Chi Minh City plant; Er, um, the widget.",
    "X+Y+Z coordinates and Scd. abbreviations.",
    "",
]

#: Symbols that touch a letter on their left, in each notation the left-letter guard covers: only the
#: guard rejects them (without it "SONY-based" is a Y-based alloy and "PLAY3+" an yttrium ion).
AFTER_A_LETTER = [
    "A SONY-based media player.",  # suffix: Y-based
    "The PLAY3+ mode of the console.",  # charge: Y3+
    "Ships with a KEY-Co. lanyard.",  # hyphenated partner: Y-Co
    "The GALAXY(III) series of handsets.",  # oxidation state: Y(III)
    "Opened in MAY, La Paz office.",  # enumeration: Y, La
]
#: The same symbols with a space on their left are chemistry (the guard is what rejects the above).
AS_SYMBOLS = ["A Y-based alloy.", "An Y3+ ion.", "A Y-Co film.", "Y(III) nitrate.", "Oxides of Y, La and Ce."]


@pytest.mark.parametrize("text", FOUND)
def test_found(text):
    assert mentions_ree(text)


@pytest.mark.parametrize("text", REJECTED)
def test_rejected(text):
    assert not mentions_ree(text)


def test_vectorised_twin_gives_the_same_answers():
    texts = FOUND + REJECTED + [None]
    vectorised = pl.DataFrame({"text": texts}).select(mentions_ree_expr("text"))["text"].to_list()
    assert vectorised == [mentions_ree(t) if t is not None else False for t in texts]
    assert vectorised == [True] * len(FOUND) + [False] * (len(REJECTED) + 1)


def test_twins_agree_on_the_synthetic_corpus():
    """Every title + abstract of a synthetic grant year (REE patents, background, distractors)."""
    from ree_assets.sources.embedded.patent_office import afsv_year

    patents = afsv_year(2011, 0, "small")["patents"]
    texts = (patents["title"] + " " + patents["abstract"]).to_list()
    vectorised = pl.DataFrame({"text": texts}).select(mentions_ree_expr("text"))["text"].to_list()
    assert vectorised == [mentions_ree(t) for t in texts] and 0 < sum(vectorised) < len(texts)


@pytest.mark.parametrize(("after_letter", "symbol"), zip(AFTER_A_LETTER, AS_SYMBOLS, strict=True))
def test_a_symbol_after_a_letter_is_no_symbol(after_letter, symbol):
    """The left-letter guard: the symbol found with a space on its left, not glued to a word, in
    both twins."""
    vectorised = pl.DataFrame({"text": [after_letter, symbol]}).select(mentions_ree_expr("text"))["text"]
    assert (mentions_ree(after_letter), mentions_ree(symbol)) == (False, True)
    assert vectorised.to_list() == [False, True]
