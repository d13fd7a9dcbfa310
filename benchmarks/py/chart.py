"""
Bar chart of one suite's results: one group of bars per case (one bar per metric), the median
with min-max whiskers and its value on top, and the target drawn as a red dashed line across
each bar. Metrics with different units get their own panel; ratios use a log axis so 0.5x and
2x are equally far from 1x. A metric with no value in any case (a side not available) is left out.

    chart.py RESULTS.json OUT.png
"""
import json
import math
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator  # noqa: E402

COLORS = ['#3b75af', '#ef8636', '#519e3e', '#8d69b8']


def finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x)


def fmt(v):
    return f'{v:.0f}' if abs(v) >= 100 else f'{v:.3g}'


def panel(ax, cases, unit):
    names, labels, seen = [], {}, []
    for c in cases:
        for m in c['metrics']:
            if m['unit'] == unit and finite(m['value']) and m['name'] not in names:
                names.append(m['name'])
                labels[m['name']] = m['label']
    for i, c in enumerate(cases):
        # Bars of one case share its slot: only the metrics this case has take room.
        present = [nm for nm in names if any(m['name'] == nm for m in c['metrics'])]
        bw = 0.8 / max(1, len(present))
        for k, name in enumerate(present):
            j = names.index(name)
            m = next(m for m in c['metrics'] if m['name'] == name)
            x = i - 0.4 + bw * (k + 0.5)
            if finite(m['value']):
                v = m['value']
                lo = v - m['min'] if finite(m['min']) else 0.0
                hi = m['max'] - v if finite(m['max']) else 0.0
                ax.bar(x, v, bw * 0.9, color=COLORS[j % len(COLORS)], yerr=[[lo], [hi]], capsize=3, ecolor='black', zorder=2)
                ax.annotate(fmt(v), (x, m['max'] if finite(m['max']) else v), textcoords='offset points', xytext=(0, 3),
                            ha='center', fontsize=7)
                seen.extend([v, m['min'], m['max']])
            else:
                ax.text(x, 0.03, 'n/a', ha='center', va='bottom', fontsize=8, color='gray', rotation=90,
                        transform=ax.get_xaxis_transform())
            if finite(m.get('target')):
                ax.hlines(m['target'], x - bw * 0.5, x + bw * 0.5, colors='red', linestyles='--', linewidth=1.5, zorder=3)
                seen.append(m['target'])
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels([c['label'] for c in cases], rotation=35, ha='right', fontsize=8)
    ax.set_xlim(-0.6, len(cases) - 0.4)
    seen = [s for s in seen if finite(s) and s > 0]
    if unit == 'x':
        ax.set_yscale('log')
        if seen:
            ax.set_ylim(min(seen) / 1.6, max(seen) * 1.6)
        ax.axhline(1.0, color='gray', linewidth=0.8, zorder=1)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ''))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f'{v:g}x'))
        ax.set_ylabel('ratio (log scale)')
    else:
        if seen:
            ax.set_ylim(0, max(seen) * 1.2)
        ax.set_ylabel(unit)
    handles = [plt.Rectangle((0, 0), 1, 1, color=COLORS[j % len(COLORS)]) for j in range(len(names))]
    texts = [labels[nm] for nm in names]
    if any(finite(m.get('target')) for c in cases for m in c['metrics'] if m['unit'] == unit):
        handles.append(plt.Line2D([0], [0], color='red', linestyle='--'))
        texts.append('target')
    ax.legend(handles, texts, fontsize=8, loc='best')
    ax.grid(axis='y', alpha=0.3, which='major', zorder=0)


def main(src, out):
    r = json.load(open(src))
    cases = r['cases']
    units = []
    for c in cases:
        for m in c['metrics']:
            if m['unit'] not in units:
                units.append(m['unit'])
    units = units or ['x']
    width = max(7.5, 0.75 * len(cases) + 3.0)
    fig, axes = plt.subplots(len(units), 1, figsize=(width, 4.4 * len(units)), squeeze=False)
    for ax, unit in zip(axes[:, 0], units):
        panel(ax, cases, unit)
    m = r['machine']
    fig.suptitle(f"{r['suite']}: {r['title']}\n{r['date']}, {m['cpus']} x {m['cpuModel']}; "
                 f"median of {r['rounds']} round(s), whiskers min-max", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
