/**
 * The frame shared by the run report and the comparison: one self-contained HTML document with
 * uPlot's JS and CSS inlined, the chart data as one JSON block, and a Content-Security-Policy that
 * forbids every network request (the file must open offline, from an e-mail or a CI artifact).
 *
 * Escaping: all text goes through `escapeHtml`; the JSON block goes through `jsonForScript`, which
 * escapes `<` (so no `</script>` can end the block early) and U+2028/2029.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CLIENT_JS } from './html-client.js';
import type { ChartSpec } from './html-charts.js';

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values: script names, SQL and error messages are user data. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** JSON that is safe inside a <script> element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

interface UplotAssets {
  readonly js: string;
  readonly css: string;
}

let assets: UplotAssets | undefined;

/**
 * Read at render time from the installed package (no copy in the repository to keep in step);
 * cached, since a comparison renders once but tests render many times.
 */
function uplotAssets(): UplotAssets {
  if (assets !== undefined) return assets;
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('uplot/package.json')), 'dist');
  const js = readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(join(dist, 'uPlot.min.css'), 'utf8');
  // Inlined verbatim: a literal "</script" or "</style" would end the element early.
  if (/<\/script/i.test(js) || /<\/style/i.test(css)) throw new Error('uPlot assets contain a closing tag; cannot inline them');
  assets = { js, css };
  return assets;
}

const PAGE_CSS = `
:root { --fg:#1d2330; --muted:#5b6475; --line:#dde2ea; --bg:#fff; --card:#f6f8fb; --bad:#c62828; --good:#2e7d32; --warn:#ef6c00; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
main { max-width: 1400px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 20px; margin: 8px 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 13px; margin: 0 0 4px; color: var(--muted); font-weight: 600; }
.sub { color: var(--muted); margin: 0 0 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card .v { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .k { color: var(--muted); font-size: 12px; }
.card.bad .v, .bad { color: var(--bad); }
.card.good .v, .good { color: var(--good); }
.warn { color: var(--warn); }
.verdict { font-weight: 600; margin: 4px 0 12px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px 20px; }
.chart { min-width: 0; }
.chart .plot { width: 100%; min-height: 240px; }
table { border-collapse: collapse; margin: 6px 0 14px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px; text-align: right; vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.l, th.l { text-align: left; }
td.sql { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; text-align: left; white-space: pre-wrap; max-width: 760px; }
td.mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; text-align: left; white-space: pre-wrap; word-break: break-all; max-width: 900px; }
.sev-critical, .sev-error { color: var(--bad); font-weight: 600; }
.sev-warning { color: var(--warn); font-weight: 600; }
.note { color: var(--muted); font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.u-legend { font-size: 12px; }
`;

export interface PageInput {
  readonly title: string;
  /** Already-escaped HTML of the body. */
  readonly bodyHtml: string;
  readonly charts: readonly ChartSpec[];
}

/**
 * The whole document. Each chart's container is `<div id=spec.id>` somewhere in bodyHtml. An `app`
 * page (the live UI, src/ui) adds its script and may request its own origin, and nothing else.
 */
export function renderPage(input: PageInput, app?: { readonly script: string; readonly css: string }): string {
  const { js, css } = uplotAssets();
  // default-src 'none': no request of any kind can leave the page (images only as data: URLs).
  const csp = `default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:${app === undefined ? '' : "; connect-src 'self'"}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${css}</style>
<style>${PAGE_CSS}</style>${app === undefined ? '' : `\n<style>${app.css}</style>`}
</head>
<body>
<main>
${input.bodyHtml}
</main>
<script type="application/json" id="pgsurge-data">${jsonForScript({ charts: input.charts })}</script>
<script>${js}</script>
<script>${CLIENT_JS}</script>${app === undefined ? '' : `\n<script>${app.script}</script>`}
</body>
</html>
`;
}

/** A chart's container: heading, plot element, optional note. */
export function chartBox(spec: ChartSpec, note = ''): string {
  return `<div class="chart"><h3>${escapeHtml(spec.title)}</h3><div class="plot" id="${escapeHtml(spec.id)}"></div>${
    note === '' ? '' : `<div class="note">${escapeHtml(note)}</div>`
  }</div>`;
}
