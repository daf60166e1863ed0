"""Per-novel token counts -> tests/fixtures/austen_token_counts.csv.
Also prints the comparison with the naive [\\w']+ regex."""
import collections, csv, glob, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokens import tokens, naive_tokens

CORPUS = '/work/shared/corpora/austen'
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../tests/fixtures/austen_token_counts.csv')

rows = []
for path in sorted(glob.glob(os.path.join(CORPUS, '*.txt'))):
    name = os.path.basename(path)
    text = open(path, encoding='utf-8').read()
    t = tokens(text)           # ICU == regex(corrected), asserted
    tr = naive_tokens(text)
    rows.append((name, len(t)))
    ca, cb = collections.Counter(t), collections.Counter(tr)
    print(f'{name}: uax29={len(t)} naive={len(tr)} diff={len(tr)-len(t)}')
    print('   naive-only:', (cb - ca).most_common(6))
    print('   uax29-only:', (ca - cb).most_common(6))
with open(OUT, 'w', newline='') as f:
    w = csv.writer(f, lineterminator='\n')
    w.writerow(['file', 'n_tokens'])
    w.writerows(rows)
print('total', sum(n for _, n in rows))
