#!/usr/bin/env python3
"""Synthetic labelled call transcripts for fitting the triage weights.

Combines the phrase banks in tools/triage/banks/ (our own writing, see banks/SCHEMA.md) with the
default city's gazetteer (Models/triage/) into spoken-style calls: opener, place, problem,
details, the caller's request, sometimes a second issue, a phone or ID number, fillers.
Emergencies and their near misses come from banks/handoffs.json. Deterministic for a seed.

Output: a labelled-set JSONL (../shared/domain/LABELLED_SETS.md format).

    python3 tools/triage/make_calls.py --n 12000 --seed 1 --out corpus_triage/train_calls.jsonl
"""
import argparse, json, os, random, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def tsv(name):
    rows = []
    with open(os.path.join(ROOT, 'Models', 'triage', name), encoding='utf-8') as f:
        lines = [l.rstrip('\n') for l in f if l.strip() and not l.startswith('#')]
    head = lines[0].split('\t')
    for l in lines[1:]:
        rows.append(dict(zip(head, l.split('\t'))))
    return rows


def load():
    topics = {r['id']: r for r in tsv('topics.tsv')}
    gaz = tsv('gazetteer.tsv')
    places = tsv('places.tsv')
    banks = {}
    for fn in sorted(os.listdir(os.path.join(HERE, 'banks', 'topics'))):
        b = json.load(open(os.path.join(HERE, 'banks', 'topics', fn), encoding='utf-8'))
        banks[b['topic']] = b
    missing = [t for t in topics if t not in banks]
    if missing:
        sys.exit(f'missing banks for topics: {missing}')
    handoffs = json.load(open(os.path.join(HERE, 'banks', 'handoffs.json'), encoding='utf-8'))
    common = json.load(open(os.path.join(HERE, 'banks', 'common.json'), encoding='utf-8'))
    return topics, gaz, places, banks, handoffs, common


def weighted(rng, d):
    keys = sorted(d)
    return rng.choices(keys, weights=[d[k] for k in keys])[0]


def phone(rng):
    if rng.random() < 0.8:
        return '1' + rng.choice('3456789') + ''.join(rng.choice('0123456789') for _ in range(9))
    return '0532' + ''.join(rng.choice('0123456789') for _ in range(8))


def idnum(rng):
    return '3702' + ''.join(rng.choice('0123456789') for _ in range(13)) + rng.choice('0123456789X')


def place_phrase(rng, gaz, places, common):
    """A place phrase and its label ({district, street} or None)."""
    t = common['place_templates']
    kind = rng.choices(['district', 'street', 'alias', 'road', 'compound'], weights=[2, 4, 2, 2, 2])[0]
    num = rng.choice(common['numbers'])
    if kind == 'district':
        d = rng.choice(sorted({g['district'] for g in gaz}))
        return rng.choice(t['district']).format(district=d), {'district': d}
    if kind == 'street':
        g = rng.choice(gaz)
        tpl = rng.choice(t['street'])
        return tpl.format(district=g['district'], street=g['street']), {'district': g['district'], 'street': g['street']}
    if kind == 'alias':
        p = rng.choice([p for p in places if p['kind'] in ('street_alias', 'district_alias')])
        lab = {'district': p['district']}
        if p['street'] != '-':
            lab['street'] = p['street']
        return rng.choice(t['alias']).format(alias=p['name']), lab
    if kind == 'road':
        p = rng.choice([p for p in places if p['kind'] == 'road'])
        return rng.choice(t['road']).format(road=p['name'], num=num), {'district': p['district'], 'street': p['street']}
    c = rng.choice(common['compounds'])
    return rng.choice(t['compound']).format(compound=c, num=num), None


def add_fillers(rng, clauses, common, p=0.12):
    out = []
    for c in clauses:
        if rng.random() < p:
            c = rng.choice(common['fillers']) + '，' + c
        out.append(c)
    return out


def join(rng, clauses, question=False):
    s = '，'.join(c for c in clauses if c)
    end = '？' if question else rng.choice(['。', '。', '。', '！', ''])
    return s + end


def ordinary_labels(topics, tid, typ):
    """Labels of a call that is not an emergency: the topic's units and time limit."""
    if tid == 'out_of_scope':
        units, tl = [], 'answer'
    else:
        units = topics[tid]['units'].split(',')
        tl = 'answer' if typ == 'consult' else topics[tid]['time_limit']
    return {'type': typ, 'topic': tid, 'units': units, 'time_limit': tl, 'handoff': None}


# A suggestion is often made without 建议/希望: "要是……就好了", "我觉得还不如……", "能不能给……".
SUGGEST_PREFIXES = ('我想建议', '我建议', '建议', '我希望', '希望', '我想', '能不能')
SUGGEST_FRAMES = ['要是{x}就好了', '我觉得吧，{x}比较好', '我觉得应该{x}', '你们看能不能考虑{x}', '最好是{x}',
                  '我有个想法，{x}', '提个意见啊，{x}', '是不是可以{x}', '能不能{x}，这样大家都方便',
                  '与其这样，还不如{x}', '我觉得还不如{x}', '{x}，这样不就好了嘛', '要我说啊，{x}',
                  '应该{x}', '真得{x}', '{x}，你们考虑考虑', '以后能不能{x}', '能不能{x}啊']


def reframe_suggestion(aux, text):
    """The same suggestion in other words, or unchanged when it does not start with a cue."""
    for pre in SUGGEST_PREFIXES:
        if text.startswith(pre) and len(text) > len(pre) + 3:
            rest = text[len(pre):].lstrip('，')
            head, _, tail = rest.partition('，')
            out = aux.choice(SUGGEST_FRAMES).format(x=head)
            return out + ('，' + tail if tail else '')
    return text


def topic_call(rng, tid, topics, banks, gaz, places, common, all_topics, aux=None):
    b = banks[tid]
    typ = weighted(rng, b['types'])
    clauses = []
    label_place = None
    if rng.random() < 0.55:
        clauses.append(rng.choice(common['openers']))
    if rng.random() < 0.45:
        ph, label_place = place_phrase(rng, gaz, places, common)
        clauses.append(ph)
    question = False
    if typ == 'consult':
        if rng.random() < 0.35:
            clauses.append(rng.choice(b['problems']))
        q = rng.choice(b['asks']['consult']).rstrip('？?')
        clauses.append(q)
        question = True
    elif typ == 'suggest':
        if rng.random() < 0.6:
            clauses.append(rng.choice(b['problems']))
        ask = rng.choice(b['asks']['suggest']).rstrip('。')
        if aux is not None and aux.random() < 0.7:
            ask = reframe_suggestion(aux, ask)
        clauses.append(ask)
    else:
        probs = rng.sample(b['problems'], k=min(len(b['problems']), rng.choice([1, 1, 2])))
        clauses += probs
        for d in rng.sample(b['details'], k=rng.choice([0, 1, 1, 2])):
            clauses.append(d)
        if rng.random() < 0.85:
            clauses.append(rng.choice(b['asks'][typ]).rstrip('。'))
    if rng.random() < 0.12:
        other = rng.choice([t for t in all_topics if t != tid])
        clauses.append(rng.choice(common['other_issue_lead']) + '，' + rng.choice(banks[other]['problems']))
    if rng.random() < 0.08:
        clauses.append(rng.choice(common['phone_templates']).format(phone=phone(rng)))
    if rng.random() < 0.03:
        clauses.append(rng.choice(common['id_templates']).format(id=idnum(rng)))
    if rng.random() < 0.35 and not question:
        clauses.append(rng.choice(common['closers']))
    clauses = add_fillers(rng, clauses, common)
    text = join(rng, clauses, question)
    labels = ordinary_labels(topics, tid, typ)
    if label_place:
        labels['place'] = label_place
    return text, labels


def handoff_call(rng, e, topics, gaz, places, common, emergency):
    clauses = []
    if rng.random() < 0.3:
        clauses.append(rng.choice(['喂', '喂喂', '喂，你好', '你好']))
    label_place = None
    if rng.random() < 0.4:
        ph, label_place = place_phrase(rng, gaz, places, common)
        clauses.append(ph)
    clauses.append(e['text'].rstrip('。！？'))
    if emergency and rng.random() < 0.4:
        clauses.append(rng.choice(['快点来人啊', '你们快派人', '怎么办啊', '赶紧的', '求求你们快点']))
    text = join(rng, add_fillers(rng, clauses, common, 0.08), e['text'].endswith('？'))
    tid = e['topic']
    if emergency:
        units = ['GAJ', 'STREET'] if e['handoff'] == 'POLICE' else topics[tid]['units'].split(',')
        labels = {'type': e.get('type', 'help'), 'topic': tid, 'units': units, 'time_limit': '1h', 'handoff': e['handoff']}
    else:
        labels = ordinary_labels(topics, tid, e.get('type', 'report'))
    if label_place:
        labels['place'] = label_place
    return text, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=12000, help='number of calls')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--emergency-share', type=float, default=0.07)
    ap.add_argument('--near-miss-share', type=float, default=0.05)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    topics, gaz, places, banks, handoffs, common = load()
    rng = random.Random(a.seed)
    # Draws that came later (suggestion rewording) use their own stream, so the calls drawn from
    # rng stay as they were.
    aux = random.Random(a.seed * 7919 + 1)
    all_topics = sorted(banks)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    seen = set()
    with open(a.out, 'w', encoding='utf-8') as f:
        i = 0
        while i < a.n:
            r = rng.random()
            if r < a.emergency_share:
                text, labels = handoff_call(rng, rng.choice(handoffs['emergencies']), topics, gaz, places, common, True)
            elif r < a.emergency_share + a.near_miss_share:
                text, labels = handoff_call(rng, rng.choice(handoffs['near_misses']), topics, gaz, places, common, False)
            else:
                # out_of_scope at about the share of one topic and a half.
                tid = rng.choice(all_topics + ['out_of_scope'])
                text, labels = topic_call(rng, tid, topics, banks, gaz, places, common, [t for t in all_topics if t != 'out_of_scope'], aux)
            if text in seen:
                continue
            seen.add(text)
            i += 1
            f.write(json.dumps({'id': f's{a.seed}-{i:06d}', 'transcript': text, 'labels': labels}, ensure_ascii=False) + '\n')
    print(f'wrote {a.n} calls to {a.out}', file=sys.stderr)


if __name__ == '__main__':
    main()
