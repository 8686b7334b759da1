"""A record's language as the tag IIIF and JSON-LD language maps want (BCP 47: ``en``).

Records write languages as ISO 639-2 codes (MARC: ``eng``, ``fre``), ISO 639-1 codes, BCP 47
tags or English names. BCP 47 uses the two-letter code where ISO 639-1 has one, so we map
those; a three-letter code without a two-letter equivalent is already a valid tag.
"""

from __future__ import annotations

import re

# (ISO 639-1, ISO 639-2/B, ISO 639-2/T where it differs, English name).
_LANGUAGES: tuple[tuple[str, str, str, str], ...] = (
    ("af", "afr", "", "Afrikaans"),
    ("am", "amh", "", "Amharic"),
    ("ar", "ara", "", "Arabic"),
    ("as", "asm", "", "Assamese"),
    ("az", "aze", "", "Azerbaijani"),
    ("be", "bel", "", "Belarusian"),
    ("bg", "bul", "", "Bulgarian"),
    ("bn", "ben", "", "Bengali"),
    ("bo", "tib", "bod", "Tibetan"),
    ("br", "bre", "", "Breton"),
    ("bs", "bos", "", "Bosnian"),
    ("ca", "cat", "", "Catalan"),
    ("co", "cos", "", "Corsican"),
    ("cs", "cze", "ces", "Czech"),
    ("cy", "wel", "cym", "Welsh"),
    ("da", "dan", "", "Danish"),
    ("de", "ger", "deu", "German"),
    ("el", "gre", "ell", "Greek"),
    ("en", "eng", "", "English"),
    ("eo", "epo", "", "Esperanto"),
    ("es", "spa", "", "Spanish"),
    ("et", "est", "", "Estonian"),
    ("eu", "baq", "eus", "Basque"),
    ("fa", "per", "fas", "Persian"),
    ("fi", "fin", "", "Finnish"),
    ("fo", "fao", "", "Faroese"),
    ("fr", "fre", "fra", "French"),
    ("fy", "fry", "", "Western Frisian"),
    ("ga", "gle", "", "Irish"),
    ("gd", "gla", "", "Scottish Gaelic"),
    ("gl", "glg", "", "Galician"),
    ("gu", "guj", "", "Gujarati"),
    ("gv", "glv", "", "Manx"),
    ("ha", "hau", "", "Hausa"),
    ("he", "heb", "", "Hebrew"),
    ("hi", "hin", "", "Hindi"),
    ("hr", "hrv", "", "Croatian"),
    ("ht", "hat", "", "Haitian"),
    ("hu", "hun", "", "Hungarian"),
    ("hy", "arm", "hye", "Armenian"),
    ("id", "ind", "", "Indonesian"),
    ("is", "ice", "isl", "Icelandic"),
    ("it", "ita", "", "Italian"),
    ("iu", "iku", "", "Inuktitut"),
    ("ja", "jpn", "", "Japanese"),
    ("ka", "geo", "kat", "Georgian"),
    ("kk", "kaz", "", "Kazakh"),
    ("kl", "kal", "", "Kalaallisut"),
    ("km", "khm", "", "Khmer"),
    ("kn", "kan", "", "Kannada"),
    ("ko", "kor", "", "Korean"),
    ("ku", "kur", "", "Kurdish"),
    ("kw", "cor", "", "Cornish"),
    ("la", "lat", "", "Latin"),
    ("lb", "ltz", "", "Luxembourgish"),
    ("lo", "lao", "", "Lao"),
    ("lt", "lit", "", "Lithuanian"),
    ("lv", "lav", "", "Latvian"),
    ("mi", "mao", "mri", "Maori"),
    ("mk", "mac", "mkd", "Macedonian"),
    ("ml", "mal", "", "Malayalam"),
    ("mn", "mon", "", "Mongolian"),
    ("mr", "mar", "", "Marathi"),
    ("ms", "may", "msa", "Malay"),
    ("mt", "mlt", "", "Maltese"),
    ("my", "bur", "mya", "Burmese"),
    ("nb", "nob", "", "Norwegian Bokmål"),
    ("ne", "nep", "", "Nepali"),
    ("nl", "dut", "nld", "Dutch"),
    ("nn", "nno", "", "Norwegian Nynorsk"),
    ("no", "nor", "", "Norwegian"),
    ("oc", "oci", "", "Occitan"),
    ("or", "ori", "", "Oriya"),
    ("pa", "pan", "", "Panjabi"),
    ("pl", "pol", "", "Polish"),
    ("ps", "pus", "", "Pushto"),
    ("pt", "por", "", "Portuguese"),
    ("qu", "que", "", "Quechua"),
    ("rm", "roh", "", "Romansh"),
    ("ro", "rum", "ron", "Romanian"),
    ("ru", "rus", "", "Russian"),
    ("sa", "san", "", "Sanskrit"),
    ("sd", "snd", "", "Sindhi"),
    ("se", "sme", "", "Northern Sami"),
    ("si", "sin", "", "Sinhala"),
    ("sk", "slo", "slk", "Slovak"),
    ("sl", "slv", "", "Slovenian"),
    ("so", "som", "", "Somali"),
    ("sq", "alb", "sqi", "Albanian"),
    ("sr", "srp", "", "Serbian"),
    ("sv", "swe", "", "Swedish"),
    ("sw", "swa", "", "Swahili"),
    ("ta", "tam", "", "Tamil"),
    ("te", "tel", "", "Telugu"),
    ("th", "tha", "", "Thai"),
    ("tl", "tgl", "", "Tagalog"),
    ("tr", "tur", "", "Turkish"),
    ("uk", "ukr", "", "Ukrainian"),
    ("ur", "urd", "", "Urdu"),
    ("uz", "uzb", "", "Uzbek"),
    ("vi", "vie", "", "Vietnamese"),
    ("xh", "xho", "", "Xhosa"),
    ("yi", "yid", "", "Yiddish"),
    ("yo", "yor", "", "Yoruba"),
    ("zh", "chi", "zho", "Chinese"),
    ("zu", "zul", "", "Zulu"),
)

_BY_CODE_OR_NAME: dict[str, str] = {}
_NAME_BY_CODE: dict[str, str] = {}
for _two, _bib, _term, _name in _LANGUAGES:
    for _key in (_two, _bib, _term, _name.lower()):
        if _key:
            _BY_CODE_OR_NAME[_key] = _two
            _NAME_BY_CODE[_key] = _name

# Not a language of content: no entry in a language map should claim them.
_NO_LANGUAGE = {"und", "zxx", "mul", "mis"}
_TAG = re.compile(r"^([a-z]{2,3})((?:-[a-z0-9]{1,8})*)$", re.IGNORECASE)


def language_tag(value: str | None) -> str | None:
    """``"eng"``/``"en"``/``"English"``/``"en-GB"`` -> ``"en"``/``"en-GB"``; None if unknown."""
    if not value:
        return None
    text = value.strip()
    named = _BY_CODE_OR_NAME.get(text.lower())
    if named is not None:
        return named
    m = _TAG.match(text)
    if m is None:
        return None
    primary = m[1].lower()
    if primary in _NO_LANGUAGE:
        return None
    return _BY_CODE_OR_NAME.get(primary, primary) + m[2]


def language_name(value: str) -> str:
    """The English name for a code or tag (``"fre"``, ``"fr-CA"`` -> ``"French"``); else ``value`` as written."""
    text = value.strip()
    m = _TAG.match(text)
    key = m[1].lower() if m else text.lower()
    return _NAME_BY_CODE.get(key, value)


_TERMINOLOGY = {_two: _term or _bib for _two, _bib, _term, _name in _LANGUAGES}


def terminology_code(value: str | None) -> str | None:
    """The ISO 639-2/T code (``"fra"`` for ``"fre"``, ``"fr"``, ``"French"``): what OCR engines'
    language data are named by; None when unknown."""
    tag = language_tag(value)
    if tag is None:
        return None
    primary = tag.split("-")[0]
    return _TERMINOLOGY.get(primary, primary if len(primary) == 3 else None)
