"""Text folded for search: lower case, without accents, ligatures spelled out ("Encyclopædia" is "encyclopaedia")."""

import unicodedata

# Letters that Unicode does not decompose into a base letter and a mark, spelled as people type them.
_FOLDS = {"æ": "ae", "œ": "oe", "ß": "ss", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "\u0131": "i", "ŧ": "t"}


def text_fold(text: str) -> str:
    """``text`` in lower case without accents: "Misérables" and "MISERABLES" both give "miserables"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "".join(_FOLDS.get(char, char) for char in plain)
