#!/usr/bin/env python3
"""Rewrap comment lines (run after `npm run format`; ESLint max-len reports what is left) longer than WIDTH (// line comments and ' * ' JSDoc lines) at word boundaries."""
import re, sys
WIDTH = 120
def wrap(prefix, text):
    words = text.split(' ')
    lines, cur = [], ''
    for w in words:
        cand = (cur + ' ' + w) if cur else w
        if len(prefix) + len(cand) > WIDTH and cur:
            lines.append(prefix + cur)
            cur = w
        else:
            cur = cand
    if cur: lines.append(prefix + cur)
    return lines
changed = 0
for path in sys.argv[1:]:
    src = open(path).read().split('\n')
    out = []
    for line in src:
        if len(line) > WIDTH:
            one = re.match(r'^(\s*)/\*\* (.*) \*/$', line)
            if one and '`' not in one.group(2):
                ind = one.group(1)
                out.append(ind + '/**')
                out.extend(wrap(ind + ' * ', one.group(2).rstrip()))
                out.append(ind + ' */')
                changed += 1
                continue
            m = re.match(r'^(\s*//\s?)(.*)$', line)
            if m is None:
                m = re.match(r'^(\s*\*\s)(?!.*\*/)(.*)$', line)
            if m and '`' not in m.group(2) and 'http' not in m.group(2):
                out.extend(wrap(m.group(1), m.group(2).rstrip()))
                changed += 1
                continue
        out.append(line)
    open(path, 'w').write('\n'.join(out))
print(f'rewrapped {changed} comment lines', file=sys.stderr)
