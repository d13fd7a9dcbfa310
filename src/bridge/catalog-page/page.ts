/**
 * The catalog page (GET / on the HTTP port): every dataset with its variables and units, time
 * range, extent on a small world map, a quicklook per variable and copy-paste snippets for
 * pyarrow, Spark (Scala, PySpark, SQL) and curl. Rendered on the server as one self-contained
 * HTML document (inline CSS and SVG, no script, no external assets), so it works offline and
 * behind any proxy.
 */
import type { BBox } from '../../catalog/types.js';
import type { DatasetSummary } from '../dataset-info.js';
import { CONTINENTS } from './world.js';

export interface PageContext {
  /** Flight endpoint as clients reach it, e.g. grpc://host:8815. */
  flightUri: string;
  /** This HTTP server as the browser reached it, e.g. http://host:8816. */
  httpBase: string;
}

/** A dataset the page could not summarize is still listed, with the reason. */
export type PageEntry = DatasetSummary | { name: string; description: string; source: string; error: string };

export function renderCatalogPage(entries: PageEntry[], ctx: PageContext): string {
  const sections = entries.map((e) => ('error' in e ? failedSection(e) : datasetSection(e, ctx))).join('\n');
  const toc = entries.map((e) => `<a href="#${attr(anchor(e.name))}">${html(e.name)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wekeo-bridge catalog</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>wekeo-bridge catalog</h1><p>Arrow Flight at <code>${html(ctx.flightUri)}</code> · HTTP at <code>${html(ctx.httpBase)}</code> · ${entries.length} datasets: ${toc}</p></header>
<main>
${sections}
</main>
</body>
</html>
`;
}

function datasetSection(d: DatasetSummary, ctx: PageContext): string {
  const time = d.time ? `${html(d.time.start)} → ${html(d.time.end)}` : 'no time axis';
  const rows = d.rows === null ? 'unknown until queried' : d.rows.toLocaleString('en');
  const groups = d.groups
    .map((g) => {
      const vars = g.variables
        .map((v) => {
          const src = quicklookUrl(d.name, v.name, g.time?.start, g.levels?.min);
          const img = g.coordinates.includes('lat') ? `<img src="${attr(src)}" alt="${attr(`${v.name} quicklook`)}" width="240">` : '<span class="muted">(no lat/lon grid)</span>';
          return `<tr><td><code>${html(v.name)}</code></td><td>${html(v.units ?? '')}</td><td>${html(v.long_name ?? '')}</td><td>${img}</td></tr>`;
        })
        .join('\n');
      const levels = g.levels ? ` · ${g.levels.count} levels ${g.levels.min}–${g.levels.max} ${html(g.levels.units ?? '')}` : '';
      const steps = g.time ? ` · ${g.time.steps} time steps` : '';
      return `<h3>group <code>${html(g.id)}</code>${g.default ? ' <span class="tag">default</span>' : ''}</h3>
<p class="muted">${html(g.grid.kind)} grid ${g.grid.ny} × ${g.grid.nx}${steps}${levels} · ${g.rows.toLocaleString('en')} rows</p>
<table><thead><tr><th>variable</th><th>units</th><th>description</th><th>quicklook (first time step${g.levels ? ', first level' : ''})</th></tr></thead>
<tbody>${vars}</tbody></table>`;
    })
    .join('\n');
  return `<section id="${attr(anchor(d.name))}">
<h2>${html(d.name)}</h2>
<div class="facts">
<div>${worldMap(d.bbox)}</div>
<dl>
<dt>description</dt><dd>${html(d.description || '—')}</dd>
<dt>source</dt><dd>${html(d.source)}${d.files ? ` (${d.files} file${d.files > 1 ? 's' : ''})` : ''}</dd>
<dt>time</dt><dd>${time}</dd>
<dt>extent</dt><dd>${d.bbox ? html(d.bbox.map((x) => round(x)).join(', ')) + ' (W, S, E, N)' : 'unknown'}</dd>
<dt>rows</dt><dd>${rows}</dd>
</dl>
</div>
${d.note ? `<p class="muted">${html(d.note)}</p>` : ''}
${groups}
${snippets(d, ctx)}
</section>`;
}

function failedSection(e: { name: string; description: string; source: string; error: string }): string {
  return `<section id="${attr(anchor(e.name))}"><h2>${html(e.name)}</h2><p>${html(e.description)} (${html(e.source)})</p><p class="error">${html(e.error)}</p></section>`;
}

function quicklookUrl(dataset: string, variable: string, time?: string, level?: number): string {
  const p = new URLSearchParams({ variable });
  if (time) p.set('time', time);
  if (level !== undefined) p.set('level', String(level));
  return `/datasets/${encodeURIComponent(dataset)}/quicklook.png?${p}`;
}

/** Snippets that read a small, real slice: the first time step of the default group. */
function snippets(d: DatasetSummary, ctx: PageContext): string {
  const g = d.groups.find((x) => x.default) ?? d.groups[0];
  const vars = g?.variables.slice(0, 2).map((v) => v.name) ?? [];
  const t = g?.time?.start;
  const q: Record<string, unknown> = { dataset: d.name };
  if (t) Object.assign(q, { start: t, end: t });
  if (vars.length) q.variables = vars;
  const cols = ['time', 'lat', 'lon', ...vars].filter((c) => c !== 'time' || t);
  const where = t ? `time = '${t}'` : 'true';
  const view = d.name.replace(/[^A-Za-z0-9_]/g, '_');
  const http = new URLSearchParams({ dataset: d.name, ...(t ? { start: t, end: t } : {}), ...(vars.length ? { variables: vars.join(',') } : {}) });
  const blocks: Array<[string, string]> = [
    [
      'pyarrow',
      `import json, pyarrow as pa, pyarrow.flight as fl
c = fl.connect(${py(ctx.flightUri)})
q = ${JSON.stringify(q)}
info = c.get_flight_info(fl.FlightDescriptor.for_command(json.dumps(q)))
table = pa.concat_tables(c.do_get(e.ticket).read_all() for e in info.endpoints)`,
    ],
    [
      'Spark (Scala)',
      `val df = spark.read.format("wekeo")
  .option("endpoint", ${py(ctx.flightUri)})
  .option("dataset", ${py(d.name)})
  .load()
df.where(${py(where)}).select(${cols.map(py).join(', ')}).show()`,
    ],
    [
      'PySpark',
      `df = (spark.read.format("wekeo")
      .option("endpoint", ${py(ctx.flightUri)})
      .option("dataset", ${py(d.name)})
      .load())
df.where(${py(where)}).select(${cols.map(py).join(', ')}).show()`,
    ],
    [
      'Spark SQL',
      `CREATE TEMPORARY VIEW ${view} USING wekeo OPTIONS (endpoint '${ctx.flightUri}', dataset '${d.name.replace(/'/g, "''")}');
SELECT ${cols.join(', ')} FROM ${view} WHERE ${where} LIMIT 20;`,
    ],
    ['curl (Arrow IPC stream)', `curl -o ${view}.arrows "${ctx.httpBase}/stream?${http}"`],
  ];
  return `<div class="snippets">${blocks.map(([name, code], i) => `<details${i === 0 ? ' open' : ''}><summary>${html(name)}</summary><pre><code>${html(code)}</code></pre></details>`).join('\n')}</div>`;
}

/** Equirectangular world (-180..180, -90..90) with a graticule, the continents and the extent. */
function worldMap(bbox: BBox | null): string {
  const path = (pts: Array<[number, number]>) => `M${pts.map(([x, y]) => `${x},${-y}`).join('L')}Z`;
  const grat = [
    ...[-120, -60, 0, 60, 120].map((x) => `M${x},-90V90`),
    ...[-60, -30, 0, 30, 60].map((y) => `M-180,${y}H180`),
  ].join('');
  const land = CONTINENTS.map(path).join('');
  const boxes = bbox ? extentRects(bbox).map(([x, w]) => `<rect x="${round(x)}" y="${round(-bbox[3])}" width="${round(w)}" height="${round(bbox[3] - bbox[1])}" class="extent"/>`).join('') : '';
  return `<svg viewBox="-180 -90 360 180" width="360" height="180" role="img" aria-label="extent on a world map"><rect x="-180" y="-90" width="360" height="180" class="sea"/><path d="${grat}" class="grat"/><path d="${land}" class="land"/>${boxes}</svg>`;
}

/** The extent's longitude spans on a -180..180 map: grids in 0..360 are shifted, seams split. */
function extentRects(b: BBox): Array<[number, number]> {
  let [w, , e] = b;
  if (e - w >= 359) return [[-180, 360]];
  if (w >= 180) {
    w -= 360;
    e -= 360;
  }
  if (e <= 180) return [[w, e - w]];
  return [
    [w, 180 - w],
    [-180, e - 360 + 180],
  ];
}

const round = (x: number) => Math.round(x * 100) / 100;
const anchor = (name: string) => `ds-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
/** A string literal valid in Python, Scala and JSON alike. */
const py = (s: string) => JSON.stringify(s);

function html(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const attr = html;

const CSS = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{background:#12324a;color:#fff;padding:14px 24px}header h1{margin:0 0 4px;font-size:22px}header a{color:#bfe3ff}
header code{color:#fff}
main{padding:8px 24px 40px;max-width:1100px}
section{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:12px 18px;margin:16px 0}
h2{margin:4px 0 8px}h3{font-size:15px;margin:14px 0 2px}
.facts{display:flex;gap:20px;flex-wrap:wrap;align-items:flex-start}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}dt{color:#5b6577}dd{margin:0}
table{border-collapse:collapse;margin:6px 0}td,th{border-bottom:1px solid #e6e9ef;padding:4px 10px;text-align:left;vertical-align:middle}
th{font-weight:600;color:#5b6577}
img{display:block;border:1px solid #dde2ea;image-rendering:pixelated}
.muted{color:#5b6577;margin:2px 0}.error{color:#a11}.tag{background:#e3f1ff;color:#12324a;border-radius:3px;padding:0 5px;font-size:12px}
.snippets details{margin:4px 0}.snippets summary{cursor:pointer;color:#12324a;font-weight:600}
pre{background:#0f1c2b;color:#e8eef6;padding:10px 12px;border-radius:4px;overflow:auto;font-size:13px}
svg .sea{fill:#dcecf7}svg .land{fill:#c9d5c0;stroke:#8fa184;stroke-width:.4}svg .grat{stroke:#fff;stroke-width:.4;fill:none}
svg .extent{fill:rgba(220,60,40,.25);stroke:#c0392b;stroke-width:1}
`;
