/**
 * The loss curve as a standalone SVG: training loss per step (faint) and its moving average, validation
 * loss points, and optional horizontal reference lines (e.g. the bigram baseline). No dependencies.
 */
import type { TrainingHistory } from "./training-history.js";

export interface ReferenceLine {
  readonly label: string;
  readonly value: number;
}

const WIDTH = 800;
const HEIGHT = 480;
const MARGIN = { left: 64, right: 24, top: 36, bottom: 48 };

export function lossPlotSvg(history: TrainingHistory, title: string, references: readonly ReferenceLine[] = []): string {
  const steps = history.steps;
  const lastStep = Math.max(1, ...steps.map((s) => s.step), ...history.evals.map((e) => e.step));
  const values = [...steps.map((s) => s.loss), ...history.evals.map((e) => e.loss), ...references.map((r) => r.value)].filter(Number.isFinite);
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (hi - lo < 1e-6) { hi += 0.5; lo -= 0.5; }
  const pad = (hi - lo) * 0.05;
  lo = Math.max(0, lo - pad);
  hi += pad;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (step: number): number => MARGIN.left + (step / lastStep) * plotW;
  const y = (loss: number): number => MARGIN.top + (1 - (loss - lo) / (hi - lo)) * plotH;
  const fmt = (n: number): string => n.toFixed(1);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`);
  // Axes and ticks.
  parts.push(`<g stroke="#888" fill="none"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}"/></g>`);
  for (let i = 0; i <= 5; i++) {
    const v = lo + ((hi - lo) * i) / 5;
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${fmt(y(v) + 4)}" text-anchor="end">${v.toFixed(2)}</text>`);
    const s = Math.round((lastStep * i) / 5);
    parts.push(`<text x="${fmt(x(s))}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${s}</text>`);
  }
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">step</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">cross-entropy (nats/token)</text>`);
  for (const r of references) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(y(r.value))}" y2="${fmt(y(r.value))}" stroke="#c60" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${MARGIN.left + plotW - 4}" y="${fmt(y(r.value) - 4)}" text-anchor="end" fill="#c60">${escapeXml(r.label)} ${r.value.toFixed(3)}</text>`);
  }
  if (steps.length > 0) {
    parts.push(`<polyline fill="none" stroke="#9bd" stroke-width="1" points="${steps.map((s) => `${fmt(x(s.step))},${fmt(y(s.loss))}`).join(" ")}"/>`);
    let avg = steps[0]!.loss;
    const smooth = steps.map((s) => { avg = 0.95 * avg + 0.05 * s.loss; return `${fmt(x(s.step))},${fmt(y(avg))}`; });
    parts.push(`<polyline fill="none" stroke="#14a" stroke-width="2" points="${smooth.join(" ")}"/>`);
  }
  if (history.evals.length > 0) {
    parts.push(`<polyline fill="none" stroke="#c22" stroke-width="1.5" points="${history.evals.map((e) => `${fmt(x(e.step))},${fmt(y(e.loss))}`).join(" ")}"/>`);
    for (const e of history.evals) parts.push(`<circle cx="${fmt(x(e.step))}" cy="${fmt(y(e.loss))}" r="3" fill="#c22"/>`);
  }
  parts.push(`<g transform="translate(${MARGIN.left + 12} ${MARGIN.top + 16})"><line x2="18" stroke="#14a" stroke-width="2"/><text x="24" y="4">training loss (moving average)</text>`);
  parts.push(`<line y1="18" y2="18" x2="18" stroke="#c22" stroke-width="1.5"/><text x="24" y="22">validation loss</text></g>`);
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
