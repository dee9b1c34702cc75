"""The keyword classifier's vocabulary (``specs/patents_and_did.md``, Classification): a product
lexicon per SIC 1987 industry and the REE-enhancing cue.

Product lexicon. Each industry is named by what it makes, as patents name it ("nodular cast iron",
"grinding wheel", "catalytic converter"), never by the words of its SIC title: a title word such
as "products", "metal" or "equipment" is shared by dozens of titles, and one title reduced to its
rarer words can be a subset of another's (3499's {fabricated, metal} of 3441's). Every entry is a
phrase or a product noun specific to its industry; single common words ("polishing", "tool",
"system") are not entries. The phrases are regular expressions (Rust ``regex`` syntax, as Polars
runs them) on the lower-cased title and abstract, matched as whole words. The list covers the
industries where REE patents cluster and the most REE-sensitive ones; the patent's classes (through the class -> SIC
concordance) cover the rest.

REE-enhancing cue. A patent enhances REE use when a saving, freeing, substituting or recycling
verb attaches to a rare earth, its amount, content or use: "reduces the amount of dysprosium",
"free of heavy rare earth elements", "neodymium is partly replaced by cerium", "substituting
ferrite for neodymium", "recovering terbium from scrap". The words between the verb and the rare
earth must come from :data:`LINKING_WORDS` (articles, quantity nouns), so "lowers friction",
"saves fuel" or "using less energy while keeping the neodymium content" are not cues, and a
negation just before the cue ("without reducing the neodymium content") cancels it.
"""

from __future__ import annotations

import re
from functools import cache

from ree_assets.core.patents.ree_filter import OXIDE_NAMES, RARE_EARTHS

#: SIC 1987 industry -> product phrases that name it (regular expressions, lower case).
PRODUCT_LEXICON: dict[str, tuple[str, ...]] = {
    "2819": (
        r"rare[- ]earth (?:oxide|compound|salt|carbonate|chloride) powders?",
        r"mixed oxide powders?",
        r"zeolites?",
        r"calcined (?:oxide|powder)",
        r"oxygen storage (?:material|component)s?",
        r"catalyst supports?",
        r"solvent extraction",
        r"inorganic (?:salt|compound)s?",
    ),
    "2816": (r"pigments?", r"phosphor powders?", r"long[- ]persistence", r"afterglow", r"colorants?"),
    "2834": (r"pharmaceutical compositions?", r"tablets?", r"phosphate binders?", r"oral dosage"),
    "2835": (r"contrast (?:agent|medium|media)", r"imaging agents?", r"diagnostic reagents?", r"chelates?"),
    "2842": (r"cleaning compositions?", r"detergents?", r"(?:floor|furniture|shoe) polish\b"),
    "2851": (r"paints?", r"varnish(?:es)?", r"lacquers?", r"primer coats?"),
    "2869": (
        r"hydroformylation",
        r"olefins?",
        r"acrylonitrile",
        r"methanol synthesis",
        r"organic (?:synthesis|intermediate)s?",
        r"polymeri[sz]ation catalysts?",
    ),
    "2899": (r"fuel additives?", r"fuel[- ]borne catalysts?", r"diesel additives?", r"water treatment agents?"),
    "2911": (
        r"fluid(?:ized)? catalytic cracking",
        r"\bfcc\b",
        r"hydrocracking",
        r"hydrotreating",
        r"crude oil",
        r"refiner(?:y|ies)",
        r"gasoline",
        r"naphtha",
        r"(?:petroleum|hydrocarbon) feed(?:stock)?s?",
        r"residual oil",
    ),
    "3211": (r"float glass", r"window glass", r"glazing units?", r"glass sheets?"),
    "3229": (
        r"optical glass",
        r"glass[- ]ceramics?",
        r"lens blanks?",
        r"glassware",
        r"borosilicate",
        r"glass compositions?",
        r"glass fibers?",
    ),
    "3253": (r"ceramic tiles?", r"floor tiles?", r"glazes?"),
    "3255": (r"refractory bricks?", r"fireclay", r"refractory (?:lining|castable)s?", r"kiln furniture"),
    "3264": (r"ferrite magnets?", r"ceramic magnets?", r"porcelain insulators?", r"spark plug insulators?"),
    "3291": (
        r"polishing (?:slurr(?:y|ies)|powders?|compounds?|compositions?|agents?|pads?)",
        r"abrasive (?:grains?|particles?|grits?|articles?|wheels?|belts?)",
        r"grinding wheels?",
        r"sandpaper",
        r"coated abrasives?",
        r"lapping",
        r"chemical[- ]mechanical polishing",
        r"\bcmp\b",
    ),
    "3297": (r"zirconia refractor(?:y|ies)", r"ceramic sintered bod(?:y|ies)", r"structural ceramics?"),
    "3312": (
        r"steel (?:sheets?|plates?|strips?|slabs?|billets?)",
        r"hot[- ]rolled",
        r"cold[- ]rolled",
        r"stainless steels?",
        r"electrical steels?",
        r"molten steel",
        r"continuous casting",
    ),
    "3313": (r"ferroalloys?", r"ferrosilicon", r"master alloys?"),
    "3321": (
        r"ductile iron",
        r"nodular (?:cast )?iron",
        r"gr[ae]y (?:cast )?iron",
        r"cast iron",
        r"spheroidal graphite",
        r"nodulari[sz]\w*",
        r"inoculants?",
    ),
    "3339": (
        r"smelting",
        r"electrowinning",
        r"molten salt electrolysis",
        r"ores?\b",
        r"leaching",
        r"calciothermic",
        r"metallothermic",
    ),
    "3341": (r"scrap", r"swarf", r"secondary (?:metal|smelting)", r"end[- ]of[- ]life"),
    "3356": (
        r"magnesium alloys?",
        r"titanium alloys?",
        r"(?:nickel|cobalt)[- ]base(?:d)? superalloys?",
        r"aluminium alloy sheets?|aluminum alloy sheets?",
    ),
    "3357": (
        r"fib(?:er|re)[- ]optic cables?",
        r"optical fib(?:er|re) cables?",
        r"superconducting wires?",
        r"insulated wires?",
        r"magnet wires?",
    ),
    "3365": (r"alumin(?:i)?um castings?", r"die[- ]cast(?:ing)?s?"),
    "3444": (r"sheet[- ]metal", r"ductwork", r"metal enclosures?", r"gutters?"),
    "3465": (
        r"body panels?",
        r"stamped (?:parts?|panels?)",
        r"vehicle bod(?:y|ies)",
        r"door panels?",
        r"fenders?",
        r"hot stamping",
    ),
    "3479": (
        r"thermal barrier coatings?",
        r"thermal spray(?:ing|ed)?",
        r"plasma spray(?:ing|ed)?",
        r"coated articles?",
    ),
    "3499": (
        r"sintered (?:permanent )?magnets?",
        r"bonded magn\w+",
        r"hot[- ]deformed magnets?",
        r"magnet bod(?:y|ies)",
        r"magnetic powders?",
        r"nd-?fe-?b (?:magnets?|alloys?)",
        r"rare[- ]earth (?:permanent )?magnets?",
        r"magnet alloys?",
        r"permanent magnet materials?",
        r"metal safes?",
        r"vault doors?",
    ),
    "3511": (
        r"turbine blades?",
        r"gas turbines?",
        r"steam turbines?",
        r"wind turbines?",
        r"wind power",
        r"hydraulic turbines?",
        r"turbine generators?",
        r"wind generators?",
    ),
    "3519": (
        r"internal combustion engines?",
        r"diesel engines?",
        r"engine blocks?",
        r"cylinder (?:heads?|liners?)",
        r"pistons?",
        r"combustion chambers?",
    ),
    "3564": (r"air purif\w+", r"blowers?", r"dust collectors?", r"scrubbers?", r"flue gas", r"denox", r"air filters?"),
    "3566": (
        r"gearbox(?:es)?",
        r"gear reducers?",
        r"speed reducers?",
        r"reduction gears?",
        r"magnetic gears?",
        r"planetary gears?",
    ),
    "3572": (r"hard disk drives?", r"disk drives?", r"voice coil motors?", r"spindle motors?"),
    "3585": (r"refrigerat\w+", r"air conditioners?", r"heat pumps?", r"magnetocaloric", r"compressors?"),
    "3612": (r"power transformers?", r"distribution transformers?"),
    "3621": (
        r"electric motors?",
        r"traction motors?",
        r"rotors?",
        r"stators?",
        r"brushless",
        r"rotating electric(?:al)? machines?",
        r"permanent magnet (?:motors?|machines?|synchronous)",
        r"servo ?motors?",
        r"alternators?",
    ),
    "3625": (r"relays?", r"solenoids?", r"actuators?", r"contactors?"),
    "3641": (
        r"fluorescent lamps?",
        r"discharge lamps?",
        r"metal halide lamps?",
        r"incandescent",
        r"light bulbs?",
        r"halogen lamps?",
        r"cold cathode",
    ),
    "3651": (r"loudspeakers?", r"speakers?", r"headphones?", r"earphones?", r"television receivers?"),
    "3661": (
        r"optical amplifiers?",
        r"(?:erbium|er)[- ]doped fib(?:er|re) amplifiers?",
        r"\bedfa\b",
        r"optical transmission",
    ),
    "3663": (r"antennas?", r"transceivers?", r"base stations?", r"transmitters?"),
    "3674": (
        r"light[- ]emitting diodes?",
        r"\bled chips?",
        r"semiconductor (?:devices?|chips?|wafers?|layers?)",
        r"integrated circuits?",
        r"transistors?",
        r"photodiodes?",
        r"solar cells?",
        r"gate dielectrics?",
    ),
    "3677": (r"transformers?", r"inductors?", r"choke coils?", r"magnetic cores?"),
    "3679": (
        r"piezoelectric",
        r"thermistors?",
        r"varistors?",
        r"isolators?",
        r"circulators?",
        r"surface acoustic wave",
        r"microwave (?:filters?|devices?)",
    ),
    "3691": (
        r"nickel[- ]metal hydride",
        r"ni-?mh",
        r"hydrogen[- ](?:absorbing|storage) alloy electrodes?",
        r"secondary batter(?:y|ies)",
        r"rechargeable (?:batter(?:y|ies)|cells?)",
        r"lead[- ]acid",
        r"lithium[- ]ion (?:batter(?:y|ies)|cells?)",
        r"battery packs?",
    ),
    "3692": (
        r"primary (?:batter(?:y|ies)|cells?)",
        r"alkaline (?:batter(?:y|ies)|cells?)",
        r"dry cells?",
        r"button cells?",
    ),
    "3694": (r"spark plugs?", r"ignition coils?", r"starter motors?"),
    "3699": (
        r"solid[- ]state lasers?",
        r"laser (?:oscillators?|resonators?|media|medium|crystals?|rods?)",
        r"\bnd:yag",
        r"fib(?:er|re) lasers?",
    ),
    "3711": (r"hybrid (?:electric )?vehicles?", r"electric vehicles?", r"passenger cars?", r"automobiles?"),
    "3714": (
        r"catalytic converters?",
        r"exhaust (?:systems?|lines?|pipes?)",
        r"(?:automotive|vehicle|car) exhaust",
        r"brake (?:pads?|discs?|calipers?)",
        r"steering",
        r"fuel injection",
        r"three[- ]way catalysts?",
        r"diesel particulate filters?",
    ),
    "3751": (r"electric bicycles?", r"motorcycles?", r"e-bikes?", r"scooters?"),
    "3812": (r"radars?", r"navigation", r"gyroscopes?", r"sonar"),
    "3827": (r"lens(?:es)?", r"prisms?", r"telescopes?", r"microscopes?"),
    "3829": (r"gas sensors?", r"oxygen sensors?", r"magnetometers?", r"strain gauges?"),
    "3843": (r"dental (?:ceramics?|restorations?|materials?|crowns?)",),
    "3844": (
        r"x-ray (?:detectors?|tubes?|imaging)",
        r"scintillat\w+",
        r"computed tomography",
        r"positron emission",
        r"radiation detectors?",
    ),
    "3845": (r"magnetic resonance imaging", r"\bmri\b", r"ultrasound probes?", r"pacemakers?"),
}

#: Words allowed between a cue verb and the rare earth it acts on (articles, quantities, adjectives).
LINKING_WORDS: tuple[str, ...] = (
    "the",
    "a",
    "an",
    "its",
    "their",
    "of",
    "part",
    "some",
    "all",
    "any",
    "most",
    "much",
    "amount",
    "amounts",
    "content",
    "contents",
    "quantity",
    "use",
    "usage",
    "consumption",
    "proportion",
    "share",
    "fraction",
    "concentration",
    "loading",
    "level",
    "need",
    "for",
    "expensive",
    "scarce",
    "costly",
    "critical",
    "heavy",
    "light",
    "required",
    "needed",
    "used",
    "added",
    "additive",
    "partly",
    "partially",
    "entirely",
    "wholly",
    "completely",
    "at",
    "least",
    "costly",
    "element",
    "elements",
)
#: Negations that cancel a cue right after them.
NEGATIONS: tuple[str, ...] = ("without", "not", "no", "never", "nor", "neither")


def _rare_earth() -> str:
    """A rare earth as words: element names, oxides, "rare earth(s)", "ree(s)", "lanthanide(s)",
    "mischmetal" (lower case)."""
    names = "|".join([*RARE_EARTHS.values(), *OXIDE_NAMES, "mischmetal", r"lanthanides?", r"lanthanoids?"])
    return (
        rf"(?:(?:heavy |light )?rare[- ]earths?(?:[- ](?:elements?|metals?|oxides?|magnets?))?|\brees?\b|(?:{names}))"
    )


def _symbol_free() -> str:
    """A hyphenated symbol-free term: "nd-free", "dy-free" (lower case)."""
    symbols = "|".join(symbol.lower() for symbol in RARE_EARTHS if len(symbol) == 2)
    return rf"\b(?:{symbols})-free\b"


@cache
def _names_a_rare_earth() -> re.Pattern[str]:
    """What every cue pattern contains: a rare earth as words or a symbol-free term. Text without
    it has no cue; it is searched first because it is cheap, and the patterns only where it is found."""
    return re.compile(rf"{_rare_earth()}|{_symbol_free()}")


@cache
def enhancing_patterns() -> tuple[re.Pattern[str], ...]:
    """The compiled cue patterns (module docstring), each on lower-case text."""
    ree = _rare_earth()
    link = rf"(?:(?:{'|'.join(LINKING_WORDS)})[ -]){{0,5}}"
    verb = r"(?:reduc\w*|lower\w*|decreas\w*|minimi[sz]\w*|cut\w*|sav(?:e|es|ed|ing)|less|fewer|smaller|limit\w*)"
    replace = r"(?:replac\w*|substitut\w*|supplant\w*|displac\w*)"
    recycle = r"(?:recycl\w*|recover\w*|reclaim\w*|reus\w*)"
    state = r"(?:partly |partially |wholly |entirely |completely |at least partly )?"
    return tuple(
        re.compile(p)
        for p in (
            rf"\b{verb} {link}{ree}",  # reduces the amount of dysprosium, lower Nd content
            rf"{ree} {link}(?:is |are |being |can be |to be )?{state}(?:reduced|lowered|decreased|cut|minimi[sz]ed)",
            rf"\b(?:free (?:of|from) {link}|dispens\w* with {link}|eliminat\w* {link}|without (?:using )?{link}|"
            rf"(?:contains?|containing|uses?|using|needs?|needing|requires?|requiring) no {link}){ree}",
            rf"{ree}[- ](?:free|less)\b|{_symbol_free()}",
            rf"\b{replace} {link}{ree}",  # replaces neodymium, replacing part of the dysprosium
            rf"{ree} {link}(?:is |are |being |can be |to be )?{state}(?:replaced|substituted)",
            rf"\bsubstitut\w* [\w -]{{1,40}}? for {link}{ree}",  # substituting ferrite for neodymium
            rf"\b(?:instead of|in place of|alternative to|role of|substitutes? for) {link}{ree}",
            rf"\b{recycle} {link}{ree}",  # recovering terbium from scrap
            rf"{ree} {link}(?:is |are |being |can be |to be )?(?:recycled|recovered|reclaimed|reused)",
            rf"\ba fraction of {link}{ree}",
        )
    )


@cache
def _negated() -> re.Pattern[str]:
    return re.compile(rf"\b(?:{'|'.join(NEGATIONS)})\s+(?:\w+\s+)?$")


def enhancing_cue(text: str | None) -> bool:
    """True when ``text`` (any case) has a REE-enhancing cue that is not negated just before it."""
    if not text:
        return False
    lower = text.lower()
    return _names_a_rare_earth().search(lower) is not None and any(
        not _negated().search(lower[: match.start()])
        for pattern in enhancing_patterns()
        for match in pattern.finditer(lower)
    )
