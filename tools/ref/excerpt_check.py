"""Check the hand count of the first paragraph of Emma, and explain the
naive-regex vs UAX #29 difference per novel."""
import glob, os, re, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokens import tokens, naive_tokens

emma = open('/work/shared/corpora/austen/emma.txt', encoding='utf-8').read()
start = emma.index('Emma Woodhouse, handsome, clever')
para = emma[start:emma.index('\n\n', start)]
print(repr(para))
t = tokens(para)
print('uax29 tokens:', len(t), t)
print('whitespace words:', len(para.split()))
print('plain regex [A-Za-z0-9]+ :', len(re.findall(r'[A-Za-z0-9]+', para)))

for path in sorted(glob.glob('/work/shared/corpora/austen/*.txt')):
    text = open(path, encoding='utf-8').read()
    u, n = tokens(text), naive_tokens(text)
    apos_only = sum(1 for x in n if not any(c.isalnum() for c in x))
    # UAX#29 keeps '.'/',' between letters/digits (M.D, 3,000, £20,000 ok) inside one token; naive splits
    joined = sum(len(re.findall(r'[.,:]', x)) for x in u)
    print(f'{os.path.basename(path)}: naive={len(n)} uax29={len(u)} diff={len(n)-len(u)} '
          f'= apostrophe-only naive runs {apos_only} + extra pieces from ./,/: inside UAX#29 tokens {joined}')
