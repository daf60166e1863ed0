"""Word types of the six Austen novels with their Snowball English (Porter2)
stems -> tests/fixtures/austen_snowball_english.tsv.

types: tokens (see tokens.py), lowercased, U+2019 -> U+0027; tokens containing
a digit, '.' or '_' are skipped; nothing else is stripped (possessive 's kept).
Sorted by UTF-8 byte order.  Stemmer: PyPI snowballstemmer (version printed)."""
import glob, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokens import tokens
import snowballstemmer

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../tests/fixtures/austen_snowball_english.tsv')
types = set()
for path in sorted(glob.glob('/work/shared/corpora/austen/*.txt')):
    for t in tokens(open(path, encoding='utf-8').read()):
        w = t.lower().replace('\u2019', "'")
        if any(c.isdigit() for c in w) or '.' in w or '_' in w:
            continue
        types.add(w)
st = snowballstemmer.stemmer('english')
words = sorted(types, key=lambda s: s.encode('utf-8'))
with open(OUT, 'w', encoding='utf-8', newline='\n') as f:
    for w in words:
        f.write(f'{w}\t{st.stemWord(w)}\n')
from importlib.metadata import version
print('snowballstemmer', version('snowballstemmer'), 'types', len(words), 'bytes', os.path.getsize(OUT))
