// The scale results as one SVG: three panels (controller + Redis CPU per offer, Redis commands per
// offer, hand-over p99) against the step's size, on logarithmic axes (the costs before bounded offers
// span three orders of magnitude), this run as a solid line and, when given, the
// earlier run (the code before bounded offers) dashed. A small writer: four lines, some text.
import type { ScaleResults } from './results';

const W = 300;
const H = 220;
const PAD = { l: 48, r: 40, t: 28, b: 66 };

interface Panel { title: string; value: (s: ScaleResults['steps'][number]) => number }

const PANELS: Panel[] = [
  { title: 'CPU per offer (ms, controller + Redis)', value: (s) => s.controllerCpuMsPerOffer + s.redisCpuMsPerOffer },
  { title: 'Redis commands per offer', value: (s) => s.redisCommandsPerOffer },
  { title: 'Hand-over p99 (ms)', value: (s) => s.handovers?.p99 ?? 0 },
];

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const label = (s: ScaleResults['steps'][number]) => `${short(s.agents)}a ${short(s.waiting)}w ${s.queues}q`;
const short = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

export function scaleChart(now: ScaleResults, before?: ScaleResults): string {
  const steps = now.steps;
  const parts: string[] = [];
  PANELS.forEach((panel, i) => {
    const x0 = i * W;
    const series = [{ r: now, dash: '', color: '#1f6feb', name: now.label }, ...(before ? [{ r: before, dash: '5 4', color: '#d1242f', name: before.label }] : [])];
    const values = series.flatMap((s) => s.r.steps.filter((x) => x.offers).map(panel.value)).filter((v) => v > 0);
    const lo = Math.floor(Math.log10(Math.min(...values, 1)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values, 1))));
    const px = (j: number) => x0 + PAD.l + (steps.length < 2 ? 0 : (j * (W - PAD.l - PAD.r)) / (steps.length - 1));
    const py = (v: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - (Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo));
    const bottom = PAD.t + (H - PAD.t - PAD.b);
    parts.push(`<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-size="12" font-weight="bold">${esc(panel.title)}</text>`);
    parts.push(`<line x1="${x0 + PAD.l}" y1="${bottom}" x2="${x0 + W - PAD.r}" y2="${bottom}" stroke="#888"/>`);
    parts.push(`<line x1="${x0 + PAD.l}" y1="${PAD.t}" x2="${x0 + PAD.l}" y2="${bottom}" stroke="#888"/>`);
    for (let e = lo; e <= hi; e++) {
      const v = 10 ** e;
      parts.push(`<line x1="${x0 + PAD.l}" y1="${py(v)}" x2="${x0 + W - PAD.r}" y2="${py(v)}" stroke="#eee"/>`);
      parts.push(`<text x="${x0 + PAD.l - 4}" y="${py(v) + 4}" text-anchor="end" font-size="10">${v >= 1 ? v.toLocaleString('en-US') : v}</text>`);
    }
    steps.forEach((s, j) => {
      parts.push(`<text transform="translate(${px(j) - 6},${bottom + 10}) rotate(35)" font-size="9">${esc(label(s))}</text>`);
    });
    for (const s of series) {
      // the earlier run is drawn at the steps it shares with this one
      const pts = steps.map((st, j) => {
        const m = s.r.steps.find((x) => x.agents === st.agents && x.waiting === st.waiting && x.queues === st.queues);
        // a step without offers has no per-offer figure
        return m && m.offers ? `${px(j).toFixed(1)},${py(panel.value(m)).toFixed(1)}` : undefined;
      }).filter((p): p is string => !!p);
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''} points="${pts.join(' ')}"/>`);
      for (const p of pts) { const [x, y] = p.split(','); parts.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${s.color}"/>`); }
    }
    if (i === 0) {
      series.forEach((s, k) => {
        parts.push(`<line x1="${x0 + PAD.l + 8}" y1="${PAD.t + 8 + k * 14}" x2="${x0 + PAD.l + 28}" y2="${PAD.t + 8 + k * 14}" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''}/>`);
        parts.push(`<text x="${x0 + PAD.l + 32}" y="${PAD.t + 12 + k * 14}" font-size="10">${esc(s.name)}</text>`);
      });
    }
  });
  // room on the right for the last step's slanted label
  const width = W * PANELS.length + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="sans-serif">\n`
    + `<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}
