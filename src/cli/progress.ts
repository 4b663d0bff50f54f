// Live progress of running syncs: bars on a terminal (cli-progress), one line every few seconds
// otherwise (CI logs, pipes), so that long work always shows it is moving.
import cliProgress from 'cli-progress';
import type { PullProgress } from '../../workflows/pull.js';
import { color, formatDuration, isInteractive } from './output.js';

export interface ProgressView {
  update(key: string, p: PullProgress): void;
  done(key: string, records: number, pages: number): void;
  stop(): void;
}

function rate(records: number, startedAt: string | null): string {
  if (!startedAt) return '-';
  const secs = (Date.now() - Date.parse(startedAt)) / 1000;
  return secs > 0 ? `${Math.round(records / secs)}/s` : '-';
}

export function createProgressView(labels: Record<string, string>): ProgressView {
  const width = Math.max(...Object.values(labels).map((l) => l.length));
  const started = Date.now();
  if (isInteractive()) {
    const multi = new cliProgress.MultiBar(
      {
        format: `{label} ${color.dim('|')} {phase} ${color.dim('|')} {records} records ${color.dim('·')} {pages} pages ${color.dim('·')} {rate} ${color.dim('·')} {elapsed}`,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        noTTYOutput: false,
      },
      cliProgress.Presets.shades_classic,
    );
    const bars = new Map<string, cliProgress.SingleBar>();
    for (const [key, label] of Object.entries(labels)) {
      bars.set(key, multi.create(1, 0, { label: label.padEnd(width), phase: 'starting', records: 0, pages: 0, rate: '-', elapsed: '0 ms' }));
    }
    return {
      update(key, p) {
        bars.get(key)?.update(0, { phase: p.phase, records: p.records, pages: p.pages, rate: rate(p.records, p.startedAt), elapsed: formatDuration(Date.now() - started) });
      },
      done(key, records, pages) {
        bars.get(key)?.update(1, { phase: color.green('done'), records, pages, elapsed: formatDuration(Date.now() - started) });
      },
      stop() {
        multi.stop();
      },
    };
  }
  // Not a terminal: a line per sync at most every 2 s, and one when it finishes.
  const last = new Map<string, number>();
  return {
    update(key, p) {
      const now = Date.now();
      if (now - (last.get(key) ?? 0) < 2_000) return;
      last.set(key, now);
      process.stdout.write(`${labels[key]}: ${p.phase}, ${p.records} records, ${p.pages} pages, ${rate(p.records, p.startedAt)}\n`);
    },
    done(key, records, pages) {
      process.stdout.write(`${labels[key]}: done, ${records} records, ${pages} pages, ${formatDuration(Date.now() - started)}\n`);
    },
    stop() {},
  };
}
