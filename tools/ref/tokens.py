"""Reference tokenizers for themata tests (independent of the Rust code).

NOTE: themata's tokens now follow ICU's default rules and word status (no
join across `:`, `@` a letter, a run of `__` a word, `²` none; see
tools/ref/README.md section 5 and tidytext_tokens.R). On the texts checked
here (Austen novels, statement, excerpt) that gives the same tokens as the
definition below, so the fixtures made with this file still hold.

token = a UAX #29 default word-boundary segment containing >= 1 char with
str.isalnum() True.

Two independent segmenters are provided and are checked to give IDENTICAL
token lists on all reference texts:

* icu_tokens(): ICU BreakIterator word instance, root locale (PyICU).  ICU's
  root word rules are the UAX #29 default rules (plus dictionary segmentation
  for CJK/Thai, irrelevant here).  This is the PRIMARY reference.
* regex_tokens(): the `regex` module, where with WORD|V1 the pattern \\b is a
  Unicode default word boundary and split() splits on zero-width matches.
  CAVEAT: regex (checked with 2026.5.9) is NOT pure UAX #29: it does not break
  between an apostrophe and a following vowel (a French/Italian-style
  tailoring for "l'objectif"), so  x 'apple  gives the segment "'apple" where
  UAX #29 gives "'" + "apple" (x 'banana is split correctly).  Under UAX #29 a
  segment can never start with an apostrophe followed by a letter (WB6/WB7
  need a letter BEFORE the apostrophe), so regex_tokens() splits such a leading
  apostrophe off; with that correction both segmenters agree exactly.
"""
import regex

_B = regex.compile(r'\b', flags=regex.WORD | regex.V1)
_APOS = ("'", '\u2019')


def regex_segments(text):
    out = []
    for s in _B.split(text):
        if not s:
            continue
        if len(s) > 1 and s[0] in _APOS:      # undo regex's apostrophe+vowel tailoring
            out.extend([s[0], s[1:]])
        else:
            out.append(s)
    return out


def is_token(seg):
    return any(ch.isalnum() for ch in seg)


def regex_tokens(text):
    return [s for s in regex_segments(text) if is_token(s)]


def icu_segments(text):
    import icu
    bi = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
    ut = icu.UnicodeString(text)   # indices are UTF-16 code units; slice the UnicodeString
    bi.setText(ut)
    out, start = [], bi.first()
    for end in bi:
        out.append(str(ut[start:end]))
        start = end
    return out


def icu_tokens(text):
    return [s for s in icu_segments(text) if is_token(s)]


def tokens(text):
    """Primary reference; asserts the two segmenters agree."""
    a, b = icu_tokens(text), regex_tokens(text)
    assert a == b, 'ICU and regex segmenters disagree'
    return a


def naive_tokens(text):
    """Third, deliberately naive approach: runs of [\\w'\\u2019] (no UAX #29)."""
    return regex.findall(r"[\w'\u2019]+", text)
