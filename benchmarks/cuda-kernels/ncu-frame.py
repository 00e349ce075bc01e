#!/usr/bin/env python3
"""Per-kernel GPU time of one frame from an Nsight Compute CSV of the posenet bench (device runs 30-32).

    ncu --clock-control none --metrics gpu__time_duration.sum --csv --log-file ncu.csv bash run.sh bench
    python3 ncu-frame.py ncu.csv[.gz] [--frame K] [--list]
    python3 ncu-frame.py a.csv[.gz] --compare b.csv[.gz] [--family REGEX] [--frame K]

Frames are cut at the frame's first launch: sparsifyTile (a delta frame diffs the input first) or, without any,
convSmallK (a dense frame starts with the first layer). --frame K picks the K-th frame found (default: the 4th, past
the recorded warm-up frames); prints the frame's total and its time per kernel (template arguments dropped), and with
--list every launch in order. --compare: the same frame of a second run, per kernel family (launches whose names
match --family, default 'depthwise'), launch by launch in order: an A/B of a kernel change per layer (runs 33-35).
"""
import csv, gzip, re, sys


def load(path):
    f = gzip.open(path, 'rt') if path.endswith('.gz') else open(path)
    rows = [r for r in csv.reader(f) if len(r) > 10]
    h = rows[0]
    ki, vi, ui, gi = h.index('Kernel Name'), h.index('Metric Value'), h.index('Metric Unit'), h.index('Grid Size')
    out = []
    for r in rows[1:]:
        v = float(r[vi].replace(',', ''))
        v = v / 1e3 if r[ui] in ('nsecond', 'ns') else v * 1e3 if r[ui] in ('msecond', 'ms') else v
        name = r[ki].replace('void ', '').replace('(anonymous namespace)::', '').replace('<unnamed>::', '').split('(')[0]
        out.append((v, name, r[gi]))
    return out


def frame_of(launches, k):
    """The k-th frame's launches: from a sparsifyTile (or, in dense runs, a convSmallK) to the next."""
    starts = [i for i, x in enumerate(launches) if 'sparsifyTile' in x[1]]
    # consecutive sparsify launches (frames without change: nothing else runs) belong to no frame of work
    starts = [i for j, i in enumerate(starts) if j + 1 == len(starts) or starts[j + 1] - i > 1]
    if not starts:
        starts = [i for i, x in enumerate(launches) if 'convSmallK' in x[1]]
    a = starts[min(k, len(starts) - 1)]
    b = next((i for i in starts if i > a), len(launches))
    return launches[a:b]


def compare(path_a, path_b, k, family):
    fa = [x for x in frame_of(load(path_a), k) if re.search(family, x[1])]
    fb = [x for x in frame_of(load(path_b), k) if re.search(family, x[1])]
    print(f'{family}: {len(fa)} launches in {path_a}, {len(fb)} in {path_b} (frame {k}; us)')
    for i in range(max(len(fa), len(fb))):
        a = fa[i] if i < len(fa) else (0.0, '-', '')
        b = fb[i] if i < len(fb) else (0.0, '-', '')
        print(f'  {i:3d}  {a[0]:8.1f}  {b[0]:8.1f}  {a[1].split("(")[0][:40]:40s} {b[1].split("(")[0][:40]}')
    print(f'  sum  {sum(x[0] for x in fa):8.1f}  {sum(x[0] for x in fb):8.1f}')


def main():
    args = sys.argv[1:]
    path = args[0]
    k = int(args[args.index('--frame') + 1]) if '--frame' in args else 3
    if '--compare' in args:
        family = args[args.index('--family') + 1] if '--family' in args else 'depthwise'
        return compare(path, args[args.index('--compare') + 1], k, family)
    frame = frame_of(load(path), k)
    by = {}
    for v, n, _ in frame:
        key = n.split('<')[0]
        t, c = by.get(key, (0.0, 0))
        by[key] = (t + v, c + 1)
    print(f'{path}: frame {k} ({len(frame)} launches): {sum(v for v, _, _ in frame):.0f} us')
    for n, (t, c) in sorted(by.items(), key=lambda x: -x[1][0]):
        print(f'  {t:8.0f} us  {c:3d}x  {n}')
    if '--list' in args:
        for v, n, g in frame:
            print(f'  {v:8.1f}  {n}  grid {g}')


if __name__ == '__main__':
    main()
