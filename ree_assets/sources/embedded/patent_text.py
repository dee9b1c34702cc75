"""The words of the synthetic USPTO: titles, abstracts and claims composed from the generator's
own vocabulary, never from a classifier's rules (``specs/patents_and_did.md``, Classification).

Two disjoint vocabularies, ``evaluation`` and ``training``: every phrasing (sentence templates,
technology products, industry products, REE-saving and non-saving clauses, saving words that do
not save rare earths, devices, distractors) belongs to exactly one. Chemical facts are shared:
the REE mentions (Nd2Fe14B, CeO2, Eu3+, ...), the elements a clause names and the substitutes.
The corpus the pipeline reads (and the evaluation set sampled from it) is written with the
evaluation vocabulary; the labelled training set (``patent_evaluation.embedded_training_set``)
with the training vocabulary, so a classifier fitted to it has never seen an evaluation phrasing.

How a text names things:

- the industry by its products (``sic_products.csv``: two phrases per SIC industry and
  vocabulary, paraphrases that never quote the SIC title), by another industry's products (label
  noise of the text: a magnet maker naming the motors its magnets go into) or not at all;
- the technology by product phrases and the rare earth by names and formulas;
- REE-enhancing grants by a clause that attaches the saving or the substitution to a rare earth,
  its amount, content or use ("reduces the amount of dysprosium", "free of heavy rare earth
  elements", "so that no neodymium needs to be added");
- other REE grants by clauses that use, raise or keep a rare earth, some with saving words or
  negations that save nothing ("without reducing the terbium content", "in which neodymium
  replaces part of the iron"), and, in most of them, a sentence with a saving word that does not
  save rare earths ("This lowers friction in the bearing.", "The design saves fuel."); enhancing
  and non-REE grants carry such sentences less often;
- distractors: symbols that are not rare earths in non-REE texts ("Lab", "Cell", "LA County",
  "Y-axis") and rare earths that are not magnets in REE texts ("welded with an Nd:YAG laser").
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

VOCABULARIES = ("evaluation", "training")
PRODUCTS_FILE = "sic_products.csv"

#: REE mentions by technology, "Other" by product (shared by both vocabularies: chemistry, not phrasing).
MENTIONS: dict[str, tuple[str, ...]] = {
    "Magnet": ("Nd2Fe14B", "Nd-Fe-B", "neodymium", "dysprosium", "terbium", "SmCo5", "Sm-Co", "rare-earth iron boron"),
    "Battery": ("LaNi5", "lanthanum", "mischmetal", "a La-rich alloy", "cerium", "rare earth hydride"),
    "Catalyst": (
        "CeO2",
        "ceria",
        "La2O3",
        "lanthanum-stabilized alumina",
        "cerium-zirconium oxide",
        "rare earth oxide",
    ),
    "Lamp": ("Eu3+", "europium", "Ce:YAG", "terbium-activated aluminate", "Y2O3:Eu", "yttrium oxide"),
    "Motor": ("Nd-Fe-B", "neodymium", "dysprosium", "rare earth magnets", "SmCo5"),
    "Turbine": ("Nd-Fe-B", "neodymium", "rare earth magnets", "dysprosium", "praseodymium"),
}
#: The REE mentions of the "Other" products (a laser is Nd:YAG, a polishing slurry ceria, ...).
OTHER_MENTIONS: dict[str, tuple[str, ...]] = {
    "solid-state laser": ("Nd:YAG", "Yb-doped glass"),
    "glass polishing slurry": ("ceria", "CeO2"),
    "contrast agent for imaging": ("gadolinium", "Gd(III) chelates"),
    "thermal barrier coating": ("yttria-stabilized zirconia", "Gd2Zr2O7"),
    "scintillator crystal": ("Lu2SiO5", "Ce-doped lutetium silicate"),
    "optical fiber amplifier": ("Er-doped silica", "erbium ions"),
    "hydrogen storage tank": ("LaNi5", "mischmetal"),
    "optical glass": ("La2O3", "lanthanum borate"),
    "solid oxide fuel cell electrolyte": ("yttria-stabilized zirconia", "gadolinium-doped ceria"),
    "ceramic sensor element": ("yttria-stabilized zirconia", "lanthanum chromite"),
}
#: The rare earths a clause names, by technology (shared).
ELEMENTS: dict[str, tuple[str, ...]] = {
    "Magnet": ("dysprosium", "terbium", "neodymium"),
    "Battery": ("lanthanum", "cerium"),
    "Catalyst": ("cerium", "lanthanum"),
    "Lamp": ("europium", "terbium", "yttrium"),
    "Motor": ("dysprosium", "neodymium"),
    "Turbine": ("neodymium", "dysprosium"),
    "Other": ("gadolinium", "erbium", "cerium"),
}
SUBSTITUTES = ("iron nitride", "manganese-aluminium", "ferrite", "cobalt", "copper", "zirconium", "strontium", "nickel")


@dataclass(frozen=True)
class Vocabulary:
    """One vocabulary's phrasings. Templates use the slots product, mention, clause, device
    (and {a_x}: with its article, {A_x}: capitalised with its article, {X}: capitalised);
    clauses {el} and {sub}."""

    technology_products: dict[str, tuple[str, ...]]
    ree_titles: tuple[str, ...]
    ree_openings: tuple[str, ...]
    ree_claims: tuple[str, ...]
    enhancing: tuple[str, ...]
    non_enhancing: tuple[str, ...]
    false_savings: tuple[str, ...]
    industry_sentences: tuple[str, ...]
    devices: tuple[str, ...]
    background_titles: tuple[str, ...]
    background_openings: tuple[str, ...]
    background_claims: tuple[str, ...]
    unnamed_objects: tuple[str, ...]
    benefits: tuple[str, ...]
    distractors: tuple[str, ...]
    ree_distractors: tuple[str, ...]


EVALUATION = Vocabulary(
    technology_products={
        "Magnet": (
            "sintered permanent magnet",
            "hot-deformed magnet",
            "magnet alloy powder",
            "magnetic body of high coercivity",
        ),
        "Battery": (
            "nickel-metal hydride cell",
            "hydrogen-absorbing alloy electrode",
            "negative electrode for an alkaline storage battery",
            "battery module",
        ),
        "Catalyst": (
            "exhaust gas purification catalyst",
            "three-way catalytic converter",
            "oxygen storage material",
            "diesel oxidation catalyst",
        ),
        "Lamp": ("phosphor for a light-emitting diode", "fluorescent lamp", "white light source", "luminescent screen"),
        "Motor": (
            "rotor for an electric traction motor",
            "interior permanent magnet machine",
            "brushless DC machine",
            "stator and rotor assembly",
        ),
        "Turbine": (
            "direct-drive wind turbine generator",
            "offshore wind generator",
            "gearless generator for a turbine",
            "nacelle generator",
        ),
        "Other": (
            "solid-state laser",
            "glass polishing slurry",
            "contrast agent for imaging",
            "thermal barrier coating",
            "scintillator crystal",
        ),
    },
    ree_titles=("{Product} and method of manufacturing the same", "{Product}", "Method for producing {a_product}"),
    ree_openings=(
        "{A_product} based on {mention} is disclosed, {clause}.",
        "The invention relates to {a_product} containing {mention}, {clause}.",
        "{A_product} comprises {mention}, {clause}.",
        "Provided is {a_product} made with {mention}, {clause}.",
    ),
    ree_claims=(
        "1. {A_product} comprising {mention}, {clause}.",
        "1. A method of making {a_product} from {mention}, {clause}.",
    ),
    enhancing=(
        "which reduces the amount of {el} required",
        "in which {el} is partly replaced by {sub}",
        "that is free of heavy rare earth elements",
        "with a lower {el} content at equal performance",
        "by recovering {el} from production scrap",
        "so that grain boundaries concentrate {el} and less of it is used",
        "achieving the same output with a fraction of the {el}",
        "that dispenses with {el} altogether",
        "replacing {el} entirely with {sub}",
        "cutting the {el} consumption per unit by half",
        "the rare-earth-free composition relying on {sub} instead",
        "so that no {el} needs to be added",
    ),
    non_enhancing=(
        "comprising {el} as an essential component",
        "without reducing the {el} content",
        "in which the {el} concentration is raised",
        "doped with {el} for a stronger effect",
        "in which {el} replaces part of the iron to raise performance",
        "where a higher {el} share lowers losses",
        "in which {el} cannot be substituted",
        "with {el} added to improve stability",
    ),
    false_savings=(
        "This lowers friction in the bearing.",
        "The design saves fuel.",
        "Energy consumption is reduced by 20%.",
        "Noise is reduced during operation.",
        "It replaces the steel housing with aluminium.",
        "The process is free of lead and cadmium.",
        "Scrap plastic is recycled in the process.",
        "Less cooling water is needed.",
    ),
    industry_sentences=(
        "It is suitable for {product}.",
        "Applications include {product}.",
        "Typical uses are in {product}.",
        "It is particularly useful in {product}.",
    ),
    devices=("apparatus", "assembly", "method", "system"),
    background_titles=("{Device} for {product}", "{Device} and method for handling {product}"),
    background_openings=("{A_device} for {product} is provided.", "An improved {device} for {product} is disclosed."),
    background_claims=("1. {A_device} for {product}.",),
    unnamed_objects=("processing workpieces", "a production line"),
    benefits=("It improves throughput and reliability.", "Set-up times are shorter."),
    distractors=(
        "The samples were tested in a clinical Lab.",
        "Each Cell of the module is monitored.",
        "Field trials ran in LA County.",
        "A carriage moves along the Y-axis.",
    ),
    ree_distractors=("Parts are welded with an Nd:YAG laser.", "Samples were analysed in the Lab."),
)

TRAINING = Vocabulary(
    technology_products={
        "Magnet": (
            "bonded magnetic body",
            "anisotropic magnetic powder",
            "permanent magnet material",
            "sintered magnet body",
        ),
        "Battery": (
            "negative electrode for a secondary battery",
            "rechargeable battery pack",
            "electrode material for an energy storage device",
            "hydrogen storage alloy for a cell",
        ),
        "Catalyst": (
            "fluid catalytic cracking catalyst",
            "catalyst support for steam reforming",
            "catalytic coating for an exhaust line",
            "hydrotreating catalyst",
        ),
        "Lamp": (
            "luminescent material",
            "phosphor layer for a display backlight",
            "lighting device with a wavelength converter",
            "discharge lamp",
        ),
        "Motor": (
            "electric drive unit for a vehicle",
            "rotating electrical machine",
            "servo motor",
            "synchronous motor with embedded magnets",
        ),
        "Turbine": (
            "wind power plant generator",
            "turbine generator with permanent excitation",
            "generator for a wind energy installation",
            "tidal turbine generator",
        ),
        "Other": (
            "optical fiber amplifier",
            "hydrogen storage tank",
            "optical glass",
            "solid oxide fuel cell electrolyte",
            "ceramic sensor element",
        ),
    },
    ree_titles=("{Product} and {device} therefor", "Improved {product}", "{Product} and production process"),
    ree_openings=(
        "{A_product} using {mention} is described, {clause}.",
        "Disclosed herein is {a_product} that includes {mention}, {clause}.",
        "A method produces {a_product} from {mention}, {clause}.",
        "According to the invention, {a_product} incorporates {mention}, {clause}.",
    ),
    ree_claims=(
        "1. {A_product} which contains {mention}, {clause}.",
        "1. A process for {a_product} using {mention}, {clause}.",
    ),
    enhancing=(
        "substituting {sub} for {el}",
        "allowing the rare earth content to be recycled",
        "so that {sub} takes over the role of {el}",
        "needing only trace amounts of {el}",
        "thereby saving {el}",
        "which minimises the use of {el}",
        "eliminating {el} from the composition",
        "with {el} recovered and reused from spent parts",
        "lowering the {el} loading without loss of activity",
        "without any {el}",
        "the {el} usage being cut by diffusing it only into the surface",
        "in which a {sub} phase replaces most of the {el}",
    ),
    non_enhancing=(
        "with an increased {el} content for higher performance",
        "containing {el} in the main phase",
        "using less energy while keeping the {el} content",
        "enriched in {el}",
        "in which {el} is not replaced by cheaper metals",
        "with {el} substituted for part of the cobalt",
        "whose {el} content is kept at the usual level",
        "where adding {el} reduces corrosion",
    ),
    false_savings=(
        "This cuts power losses in the winding.",
        "Manufacturing cost is lowered.",
        "The weight of the vehicle is reduced.",
        "Solvent use is minimised.",
        "The coating substitutes for chromium plating.",
        "Copper is recovered from the slag.",
        "It consumes less electricity.",
        "The part count is reduced.",
    ),
    industry_sentences=(
        "Uses include {product}.",
        "The invention can be applied to {product}.",
        "This is advantageous for {product}.",
        "It finds use in {product}.",
    ),
    devices=("composition", "device", "process", "tool"),
    background_titles=("{Device} for making {product}", "Improved {device} for {product}"),
    background_openings=(
        "{A_device} for making {product} is described.",
        "This disclosure concerns {a_device} for {product}.",
    ),
    background_claims=("1. {A_device} for making {product}.",),
    unnamed_objects=("handling articles", "an assembly station"),
    benefits=("Reliability is increased.", "Maintenance is simpler."),
    distractors=(
        "The controller stores 2 TB of logs.",
        "Points X1, Y1 define the window.",
        "The CEO approved the design.",
        "An X-Y stage positions the part.",
    ),
    ree_distractors=("Seams are cut by an Er:YAG laser.", "Results were confirmed by the QA Lab."),
)
VOCABULARY = {"evaluation": EVALUATION, "training": TRAINING}


@cache
def sic_products(vocabulary: str) -> dict[str, tuple[str, ...]]:
    """SIC 4-digit code -> the product phrases of that industry in ``vocabulary``
    (``sic_products.csv``: sic4, vocabulary, phrase)."""
    if vocabulary not in VOCABULARIES:
        raise ValueError(f"vocabulary is one of {VOCABULARIES}, not {vocabulary!r}")
    text = resources.files(__package__).joinpath(PRODUCTS_FILE).read_text("utf-8")
    products: dict[str, tuple[str, ...]] = {}
    for row in csv.DictReader(text.splitlines()):
        if row["vocabulary"] == vocabulary:
            products[row["sic4"]] = (*products.get(row["sic4"], ()), row["phrase"])
    return products


#: How an REE text names its industry: by its own products, another industry's, not at all.
REE_INDUSTRY_NAMING = {"own": 0.6, "other": 0.1, "none": 0.3}
#: Same for non-REE texts.
BACKGROUND_INDUSTRY_NAMING = {"own": 0.85, "other": 0.05, "none": 0.1}
#: P(a sentence with a saving word that saves no rare earth) by kind of grant.
FALSE_SAVING_RATE = {"enhancing": 0.25, "other_ree": 0.6, "background": 0.3}
#: P(a distractor sentence) in REE and non-REE texts.
DISTRACTOR_RATE = {"ree": 0.1, "background": 1 / 6}


#: Uniform draws a text consumes (:func:`ree_text`, :func:`background_text`), one row per grant.
TEXT_DRAWS = 20


def _pick(draws: Iterator[float], options: tuple[str, ...]) -> str:
    """The option at the next uniform draw."""
    return options[int(next(draws) * len(options))]


def _chance(draws: Iterator[float], probability: float) -> bool:
    return next(draws) < probability


def _article(phrase: str) -> str:
    """The phrase with its indefinite article: "an exhaust gas catalyst"."""
    return f"{'an' if phrase[0] in 'aeiou' else 'a'} {phrase}"


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


class _Slots(dict):
    """Template slots; {a_x}, {A_x} and {X} derive from slot x on demand."""

    def __missing__(self, key: str) -> str:
        if key.startswith("a_"):
            return _article(self[key[2:]])
        if key.startswith("A_"):
            return _capital(_article(self[key[2:]]))
        return _capital(self[key.lower()])


def _industry_product(
    draws: Iterator[float], products: dict[str, tuple[str, ...]], sic4: str, naming: dict[str, float]
) -> str | None:
    """A product phrase naming the industry ``sic4`` (probability naming["own"]), another
    industry's (naming["other"]), or None."""
    u = next(draws)
    if u >= naming["own"] + naming["other"]:
        return None
    industry = sic4 if u < naming["own"] else _pick(draws, tuple(products))
    return _pick(draws, products[industry])


def ree_text(
    draws: Iterator[float], vocabulary: str, technology: str, enhancing: bool, sic4: str
) -> tuple[str, str, str]:
    """(title, abstract, claims) of an REE grant of ``technology`` and industry ``sic4``;
    ``draws``: at least :data:`TEXT_DRAWS` uniforms."""
    words = VOCABULARY[vocabulary]
    product = _pick(draws, words.technology_products[technology])
    clause = _pick(draws, words.enhancing if enhancing else words.non_enhancing).format(
        el=_pick(draws, ELEMENTS[technology]), sub=_pick(draws, SUBSTITUTES)
    )
    mention = _pick(draws, OTHER_MENTIONS[product] if technology == "Other" else MENTIONS[technology])
    slots = _Slots(product=product, mention=mention, clause=clause, device=_pick(draws, words.devices))
    sentences = [_pick(draws, words.ree_openings).format_map(slots)]
    if _chance(draws, FALSE_SAVING_RATE["enhancing" if enhancing else "other_ree"]):
        sentences.append(_pick(draws, words.false_savings))
    if (industry := _industry_product(draws, sic_products(vocabulary), sic4, REE_INDUSTRY_NAMING)) is not None:
        sentences.append(_pick(draws, words.industry_sentences).format(product=industry))
    if _chance(draws, DISTRACTOR_RATE["ree"]):
        sentences.append(_pick(draws, words.ree_distractors))
    title = _pick(draws, words.ree_titles).format_map(slots)
    return title, " ".join(sentences), _pick(draws, words.ree_claims).format_map(slots)


def background_text(draws: Iterator[float], vocabulary: str, sic4: str) -> tuple[str, str, str]:
    """(title, abstract, claims) of a non-REE grant of industry ``sic4``; ``draws``: at least
    :data:`TEXT_DRAWS` uniforms."""
    words = VOCABULARY[vocabulary]
    industry = _industry_product(draws, sic_products(vocabulary), sic4, BACKGROUND_INDUSTRY_NAMING)
    slots = _Slots(device=_pick(draws, words.devices), product=industry or _pick(draws, words.unnamed_objects))
    benefit = words.false_savings if _chance(draws, FALSE_SAVING_RATE["background"]) else words.benefits
    sentences = [_pick(draws, words.background_openings).format_map(slots), _pick(draws, benefit)]
    if _chance(draws, DISTRACTOR_RATE["background"]):
        sentences.append(_pick(draws, words.distractors))
    return (
        _pick(draws, words.background_titles).format_map(slots),
        " ".join(sentences),
        _pick(draws, words.background_claims).format_map(slots),
    )
