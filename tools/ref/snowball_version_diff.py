"""Diff the fixture's stems (current snowballstemmer) against an older
snowballstemmer installed with `pip install --target DIR snowballstemmer==X`.
usage: python3 snowball_version_diff.py DIR"""
import os, sys
d = sys.argv[1]
sys.path.insert(0, d)
import snowballstemmer
assert snowballstemmer.__file__.startswith(d), snowballstemmer.__file__
st = snowballstemmer.stemmer('english')
fx = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../tests/fixtures/austen_snowball_english.tsv')
n = diff = 0
for line in open(fx, encoding='utf-8'):
    w, s = line.rstrip('\n').split('\t')
    n += 1
    o = st.stemWord(w)
    if o != s:
        diff += 1
        print(f'{w}\tcurrent={s}\told={o}')
print(f'# {diff} of {n} types differ', file=sys.stderr)
