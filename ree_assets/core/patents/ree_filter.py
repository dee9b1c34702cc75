"""The REE filter: does a text mention a rare earth element?

The rule (``specs/patents_and_did.md``, "REE universe", and the FVD keyword list of
``specs/spillovers.md``): a text mentions a rare earth when it contains "rare earth",
"lanthanide"/"lanthanoid", "REE", "mischmetal", the name of one of the 17 elements (Sc, Y and the
15 lanthanides) or a common oxide name (ceria, yttria, ...), or one of their chemical symbols
*used as a chemical symbol*. Element names match case-insensitively as words; symbols match
case-sensitively and only in chemical notation, never as letters inside words, abbreviations or
units:

- in a formula: the symbol, an optional stoichiometry (digits, decimal point), then another
  element symbol: ``La2O3``, ``LaNi5``, ``Nd2Fe14B``, ``CeO2``, ``SrCeO3`` (the one-letter ``Y``
  needs a stoichiometry or a two-letter partner and no letter on its left: ``Y2O3``, ``YAl``, not
  the capitals of ``YOU`` or ``SYSTEM``);
- with an ionic charge: ``Eu3+``, ``Ce4+``;
- hyphenated with another two-letter element symbol, or with a chemistry suffix: ``Nd-Fe-B``,
  ``Sm-Co``, ``Y-Ba-Cu-O``, ``Er-doped``, ``Nd-free`` (but not ``Y-axis`` or ``Y-Y'``);
- as a dopant before a host (two-letter symbols): ``Ce:YAG``, ``Nd:YAG``, ``Er:glass``;
- with an oxidation state: ``Eu(III)``;
- in an enumeration of rare-earth symbols: ``La, Ce, Pr and Nd``, ``Dy/Tb``.

Outside formulas of two-letter symbols a symbol must not touch a letter on its left. So "Lab", "Cell", "TB" (of
storage), "LA County", "Y-axis" and "X1, Y1" do not match.

One regular expression, written in the syntax common to Python's ``re`` and Rust's ``regex``
(no look-around, no back-references), serves both :func:`mentions_ree` (one string) and
:func:`mentions_ree_expr` (a Polars string column, for the bulk work), so the two give the same
answers.
"""

from __future__ import annotations

import re
from functools import cache

import polars as pl

#: The 17 rare earth elements: symbol -> name (IUPAC: Sc, Y and the lanthanides La-Lu).
RARE_EARTHS: dict[str, str] = {
    "Sc": "scandium",
    "Y": "yttrium",
    "La": "lanthanum",
    "Ce": "cerium",
    "Pr": "praseodymium",
    "Nd": "neodymium",
    "Pm": "promethium",
    "Sm": "samarium",
    "Eu": "europium",
    "Gd": "gadolinium",
    "Tb": "terbium",
    "Dy": "dysprosium",
    "Ho": "holmium",
    "Er": "erbium",
    "Tm": "thulium",
    "Yb": "ytterbium",
    "Lu": "lutetium",
}

#: Oxide names that are rare-earth mentions by themselves (ceria = CeO2, yttria = Y2O3, ...).
OXIDE_NAMES: tuple[str, ...] = ("ceria", "yttria", "lanthana", "gadolinia", "samaria", "neodymia", "europia")

#: Every element symbol (formula partners: ``LaNi5``, ``Nd2Fe14B``, ``CeO2``).
ELEMENT_SYMBOLS: tuple[str, ...] = tuple(
    """
H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr
Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb
Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr
""".split()
)

#: Suffixes that make a hyphenated symbol chemistry: ``Er-doped``, ``La-based``, ``Nd-free``.
CHEMISTRY_SUFFIXES: tuple[str, ...] = (
    "doped",
    "based",
    "containing",
    "rich",
    "free",
    "substituted",
    "added",
    "activated",
    "bearing",
    "lean",
)


def _alternation(words) -> str:
    """A non-capturing alternation, longest first (so ``Ce`` is tried before ``C``)."""
    return "(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + ")"


@cache
def ree_pattern() -> str:
    """The regular expression of the module docstring's rule (Python ``re`` and Rust ``regex``)."""
    ree = _alternation(RARE_EARTHS)
    ree_two_letter = _alternation(s for s in RARE_EARTHS if len(s) == 2)
    partner = _alternation(ELEMENT_SYMBOLS) + "(?:[^a-z]|$)"
    partner_two_letter = _alternation(s for s in ELEMENT_SYMBOLS if len(s) == 2) + "(?:[^a-z]|$)"
    not_after_letter = "(?:^|[^A-Za-z])"
    words = (
        "\\b(?i:"
        + "|".join(
            [
                "rare[ -]?earths?",
                "lanthanides?",
                "lanthanoids?",
                "mischmetal",
                *(f"{name}s?" for name in RARE_EARTHS.values()),
                *(f"{oxide}s?" for oxide in OXIDE_NAMES),
            ]
        )
        + ")\\b"
    )
    stoichiometry = "(?:[0-9][0-9.]*)?"
    rules = [
        f"{ree_two_letter}{stoichiometry}{partner}",  # formula: La2O3, LaNi5, SrCeO3
        f"{not_after_letter}Y(?:[0-9][0-9.]*{partner}|{partner_two_letter})",  # Y2O3, YAl (not YOU)
        f"{not_after_letter}{ree}[0-9]\\+",  # charge: Eu3+, Y3+
        f"{not_after_letter}{ree}-(?:{partner_two_letter}|{_alternation(CHEMISTRY_SUFFIXES)}\\b)",
        f"{not_after_letter}{ree_two_letter}:[A-Za-z]",  # dopant: Ce:YAG, Er:glass
        f"{not_after_letter}{ree}\\((?:II|III|IV)\\)",  # oxidation state: Eu(III)
        f"{not_after_letter}{ree}(?:\\s*[,/]\\s*|\\s+(?:and|or)\\s+){ree_two_letter}(?:[^A-Za-z]|$)",
    ]
    return "|".join([words, "\\bREEs?\\b", *(f"(?:{rule})" for rule in rules)])


@cache
def _compiled() -> re.Pattern[str]:
    return re.compile(ree_pattern())


def mentions_ree(text: str) -> bool:
    """Whether ``text`` mentions a rare earth element (the rule of the module docstring).

    >>> mentions_ree("A sintered Nd-Fe-B magnet"), mentions_ree("Cell phone lab, 2 TB storage")
    (True, False)
    """
    return _compiled().search(text) is not None


def mentions_ree_expr(column: str | pl.Expr) -> pl.Expr:
    """The vectorised twin of :func:`mentions_ree` over a Polars string column (same regular
    expression, run by Polars' Rust engine); null text gives False."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.str.contains(ree_pattern()).fill_null(False)


def ree_subset(patents: pl.DataFrame) -> pl.DataFrame:
    """The REE universe of ``specs/patents_and_did.md``: the patents whose title or abstract
    mentions a rare earth (:func:`mentions_ree_expr` on "title abstract")."""
    text = pl.concat_str([pl.col("title"), pl.col("abstract")], separator=" ", ignore_nulls=True)
    return patents.filter(mentions_ree_expr(text))
