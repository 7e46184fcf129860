O=$(cat /tmp/lazy-origin.txt)
for i in $(seq ${N:-9}); do node lazy-t.mjs $O; done | python3 -c "
import sys,statistics
rows=[dict(kv.split('=') for kv in l.split()) for l in sys.stdin]
print(' '.join(f'{k}={statistics.median(float(r[k]) for r in rows):.0f}' for k in rows[0]))"
