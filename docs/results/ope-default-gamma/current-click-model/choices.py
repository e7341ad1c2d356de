#!/usr/bin/env python3
"""gchoice.py DIR: per seed, the variant each estimator picks on validation lists (DIR/validation-S.json) and whether its
true clicks (online-S.json beside DIR's parent) are within the online-best's 95% interval."""
import json, sys, os
d = sys.argv[1]; root = d if os.path.exists(f'{d}/online-1.json') else os.path.dirname(os.path.abspath(d))
names = ['γ 0', 'γ 0.4', 'γ 0.9']
for est in ['cascade_dr_clip', 'dm']:
    ok = 0
    for s in range(1, 6):
        f = f'{d}/validation-{s}.json'
        if not os.path.exists(f): continue
        r = json.load(open(f))['ope']['result']
        vals = [p['estimates'][est]['value'] for p in r['policies'][:3]]
        on = json.load(open(f'{root}/online-{s}.json'))['online']['models']
        truth = [m['clicks_per_list'] for m in on]
        best = max(range(3), key=lambda i: truth[i]); low = on[best]['ci95'][0]
        pick = max(range(3), key=lambda i: vals[i])
        good = truth[pick] >= low; ok += good
        ba = [x for x in r.get('best_against', []) if x['a'] == r['policies'][pick]['name']] if est == 'cascade_dr_clip' else []
        print(f"{est} seed {s}: estimates {' / '.join(f'{v:.3f}' for v in vals)}; picks {names[pick]} (true {truth[pick]:.3f}; best {names[best]} {truth[best]:.3f}, low {low:.3f}) {'ok' if good else 'OUT'}"
              + (f"; margin {min(ba, key=lambda x: x['difference'])['difference']:+.3f}" if ba else ''))
    print(est, ok, 'ok')
