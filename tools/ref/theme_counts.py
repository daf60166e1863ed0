"""Independent check of the theme hand counts (tests/fixtures/themes_hand_counts.md).

Re-implements the codebook matching semantics simply, without themata:

* sections = blocks separated by blank lines;
* a single hyphen (U+002D, U+2010, U+2011) between two word characters joins
  them into one compound token ("co-operation" -> "cooperation");
* tokens = runs of [\\w’']; leading/trailing apostrophes dropped (others’ ->
  others), lowercase, ’ -> ', a final possessive 's stripped (one’s -> one);
* pattern = words separated by spaces (hyphens removed, lowercase); in a word
  `*` = any run of characters, `?` = one character, else exact;
* per theme (a parent takes its own and its descendants' patterns) collect all
  phrase matches, accept longest first (then leftmost), skipping any that
  overlaps an accepted one; count = accepted matches;
* exclusions: a pattern of theme t is not matched where it overlaps tokens
  covered by an exclusion match of t or of an ancestor of t.

--parts additionally emulates the current Rust matcher (src/theme/mod.rs),
which sees hyphenated compounds as their parts and lets a one-word pattern
match either a single part or the whole joined chain (length in parts).

Usage: python3 tools/ref/theme_counts.py [--parts] [--matches] [--sections 7,10]
"""
import os
import re
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../..')
TEXT = os.path.join(ROOT, 'data/corpus/2022-12-02_belarus-russia_joint-statement_osce.txt')
BOOK = os.path.join(ROOT, 'data/themes.toml')
HYPHENS = '-\u2010\u2011'


def norm(word):
    w = word.lower().replace('\u2019', "'").strip("'")
    if w.endswith("'s"):
        w = w[:-2]
    return w


def tokens(block, parts=False):
    """List of (form, n_parts). With parts=False compounds are one token."""
    out = []
    for m in re.finditer(r"[\w’']+(?:[%s][\w’']+)*" % HYPHENS, block):
        chain = re.split('[%s]' % HYPHENS, m.group())
        if parts:
            # one entry per part, plus the chain id so compounds can be rebuilt
            out.extend((norm(p), m.start()) for p in chain)
        else:
            out.append((norm(''.join(chain)), m.start()))
    return out


def compile_word(w):
    w = norm(''.join(c for c in w if c not in HYPHENS))
    if '*' in w or '?' in w:
        rx = re.compile(''.join('.*' if c == '*' else '.' if c == '?' else re.escape(c) for c in w) + r'\Z')
        return lambda t: rx.match(t) is not None
    return lambda t: t == w


def load_codebook(path=BOOK):
    with open(path, 'rb') as f:
        book = tomllib.load(f)
    themes = []
    for t in book['theme']:
        assert set(t) <= {'key', 'label', 'definition', 'patterns', 'exclude'}, t['key']
        themes.append((t['key'], t['patterns']))
        EXCLUDE[t['key']] = t.get('exclude', [])
    return themes


# key -> exclusion patterns (phrases/globs, matched like patterns).
EXCLUDE = {}


def excluded_tokens(forms, key):
    """Token indices covered by any exclusion match of `key`."""
    covered = set()
    for ptext in EXCLUDE.get(key, []):
        words = [compile_word(w) for w in ptext.split()]
        n = len(words)
        for i in range(len(forms) - n + 1):
            if all(words[k](forms[i + k]) for k in range(n)):
                covered.update(range(i, i + n))
    return covered


def theme_patterns(themes):
    """key -> list of (pattern text, [word matchers]) incl. descendants."""
    out = {}
    for key, _ in themes:
        pats = []
        for k2, p2 in themes:
            if k2 == key or k2.startswith(key + '.'):
                # The themes whose exclusions block this pattern: its own
                # and every ancestor of it.
                parts = k2.split('.')
                owners = ['.'.join(parts[:n]) for n in range(1, len(parts) + 1)]
                pats.extend((p, [compile_word(w) for w in p.split()], owners) for p in p2)
        out[key] = pats
    return out


def match_section(block, pats, parts=False):
    toks = tokens(block, parts)
    forms = [f for f, _ in toks]
    cands = []  # (length, start, order, end, pattern, text)
    blocked = {}
    for order, (ptext, words, owners) in enumerate(pats):
        n = len(words)
        covered = set()
        for owner in owners:
            if owner not in blocked:
                blocked[owner] = excluded_tokens(forms, owner)
            covered |= blocked[owner]
        for i in range(len(forms) - n + 1):
            if covered.intersection(range(i, i + n)):
                continue
            if all(words[k](forms[i + k]) for k in range(n)):
                cands.append((n, i, order, i + n - 1, ptext, ' '.join(forms[i:i + n])))
        if parts and n == 1:  # whole hyphen chains (chain id = start offset)
            i = 0
            while i < len(toks):
                j = i
                while j + 1 < len(toks) and toks[j + 1][1] == toks[i][1]:
                    j += 1
                if j > i and words[0](''.join(forms[i:j + 1])):
                    cands.append((j - i + 1, i, order, j, ptext, ''.join(forms[i:j + 1])))
                i = j + 1
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    used = [False] * len(forms)
    accepted = []
    for n, i, order, j, ptext, text in cands:
        if any(used[i:j + 1]):
            continue
        for k in range(i, j + 1):
            used[k] = True
        accepted.append((i, text, ptext))
    return sorted(accepted)


def main():
    parts = '--parts' in sys.argv
    show = '--matches' in sys.argv
    sel = None
    if '--sections' in sys.argv:
        sel = {int(x) for x in sys.argv[sys.argv.index('--sections') + 1].split(',')}
    text = open(TEXT, encoding='utf-8').read()
    blocks = [b for b in re.split(r'\n[ \t]*\n', text) if b.strip()]
    assert len(blocks) == 18, len(blocks)
    themes = load_codebook()
    tp = theme_patterns(themes)
    keys = [k for k, _ in themes]
    table = {}
    for s, b in enumerate(blocks, 1):
        for k in keys:
            acc = match_section(b, tp[k], parts)
            table[s, k] = len(acc)
            if show and acc and (sel is None or s in sel):
                print(f'§{s} {k} = {len(acc)}: ' + '; '.join(f'{t} <- {p}' for _, t, p in acc))
    short = {k: k.split('.')[-1][:10] for k in keys}
    print('| § | ' + ' | '.join(short[k] for k in keys) + ' |')
    print('|---:|' + '---:|' * len(keys))
    for s in range(1, 19):
        print(f'| {s} | ' + ' | '.join(str(table[s, k]) for k in keys) + ' |')
    uncovered = [s for s in range(3, 18) if not any(table[s, k] for k in keys)]
    print('body sections without any theme match:', uncovered or 'none')


if __name__ == '__main__':
    main()
