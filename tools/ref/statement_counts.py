"""Script verification of the hand counts for the Belarus-Russia OSCE statement.
Prints a markdown table (section, first two words, n_tokens, keyword counts,
n_stopwords, n_numbers) plus totals."""
import os, re, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokens import tokens

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../..')
TEXT = os.path.join(ROOT, 'data/corpus/2022-12-02_belarus-russia_joint-statement_osce.txt')
STOP = os.path.join(ROOT, 'data/stopwords/english.txt')

text = open(TEXT, encoding='utf-8').read()
stop = {l.strip() for l in open(STOP, encoding='utf-8') if l.strip()}
assert len(stop) == 174, len(stop)
blocks = [b for b in re.split(r'\n[ \t]*\n', text) if b.strip()]
assert len(blocks) == 18, len(blocks)

# keyword counters: token-based except co-operation (which is 2 tokens), counted on raw text
def counts(block):
    toks = tokens(block)
    low = [t.lower().replace('\u2019', "'") for t in toks]
    return {
        'n_tokens': len(toks),
        'secur*': sum(w.startswith('secur') for w in low),
        'co(-)operation': len(re.findall(r'\bco[-\u2010\u2011]?operation\b', block, re.I)),
        'OSCE': sum(t == 'OSCE' for t in toks),
        'state(s)': sum(w in ('state', 'states') for w in low),
        'discrimination': sum(w == 'discrimination' for w in low),
        'equal(ity)': sum(w in ('equal', 'equality') for w in low),
        'human': sum(w == 'human' for w in low),
        'n_stopwords': sum(w in stop for w in low),
        'n_numbers': sum(not any(c.isalpha() for c in t) for t in toks),
    }

cols = None
tot = {}
rows = []
for i, b in enumerate(blocks, 1):
    c = counts(b)
    cols = list(c)
    first2 = ' '.join(b.split()[:3] if b.startswith('\u2013') else b.split()[:2])
    rows.append((i, first2, c))
    for k, v in c.items():
        tot[k] = tot.get(k, 0) + v
print('| section | first words | ' + ' | '.join(cols) + ' |')
print('|---:|---|' + '---:|' * len(cols))
for i, f, c in rows:
    print(f'| {i} | {f} | ' + ' | '.join(str(c[k]) for k in cols) + ' |')
print('| **total** | | ' + ' | '.join(f'**{tot[k]}**' for k in cols) + ' |')
whole = counts(text)
assert whole == tot, (whole, tot)   # whole-file counts == sum of sections
if '--stopwords' in sys.argv:
    for i, b in enumerate(blocks, 1):
        print(i, [t for t in tokens(b) if t.lower().replace('\u2019', "'") in stop])
