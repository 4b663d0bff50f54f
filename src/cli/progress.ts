// Live progress of running syncs: bars on a terminal (cli-progress), one line every few seconds
// otherwise (CI logs, pipes), so that long work always shows it is moving. Where the source reports
// a total (Mailchimp total_items, slices once a sync is sliced) the bar shows a percentage and an ETA.
//
// cli-progress turns the terminal's line wrapping and cursor off while it draws; whatever way the
// process ends (done, failure, Ctrl-C, an uncaught error) they are turned back on.
import cliProgress from 'cli-progress';
import type { PullProgress } from '../../workflows/pull.js';
import { color, formatDuration, isInteractive, plural } from './output.js';

export interface ProgressView {
  update(key: string, p: PullProgress): void;
  done(key: string, records: number, pages: number): void;
  /** Marks a sync as ended otherwise (failed, cancelled) with a short word. */
  ended(key: string, word: string): void;
  /** Stops drawing and gives the terminal back (idempotent). */
  stop(): void;
}

/** Turns line wrapping and the cursor back on (DECAWM, DECTCEM). */
export const TERMINAL_RESTORE = '\x1b[?7h\x1b[?25h';

function rate(records: number, startedAt: string | null): string {
  if (!startedAt) return '-';
  const secs = (Date.now() - Date.parse(startedAt)) / 1000;
  return secs > 0 ? `${Math.round(records / secs)}/s` : '-';
}

/** "42% · ETA 1 min 3 s" when a total is known; otherwise empty. */
export function completion(p: Pick<PullProgress, 'records' | 'total' | 'startedAt'> & { slices?: PullProgress['slices'] }, nowMs: number = Date.now()): string {
  // A sliced sync: slices done / planned (the plan can grow when a slice is split again).
  if (p.slices) return `slices ${p.slices.done}/${p.slices.total}${p.slices.running ? ` (${p.slices.running} running)` : ''}`;
  if (!p.total || p.total <= 0) return '';
  const share = Math.min(1, p.records / p.total);
  const pct = `${Math.floor(share * 100)}%`;
  if (!p.startedAt || p.records === 0 || share >= 1) return pct;
  const elapsed = nowMs - Date.parse(p.startedAt);
  const eta = (elapsed / p.records) * (p.total - p.records);
  return `${pct} · ETA ${formatDuration(eta)}`;
}

export function createProgressView(labels: Record<string, string>): ProgressView {
  const width = Math.max(...Object.values(labels).map((l) => l.length));
  const started = Date.now();
  if (isInteractive()) {
    const multi = new cliProgress.MultiBar(
      {
        format: `{label} ${color.dim('|')} {phase} ${color.dim('|')} {records} ${color.dim('·')} {pages} ${color.dim('·')} {rate} ${color.dim('·')} {elapsed}{completion}`,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        noTTYOutput: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let stopped = false;
    const restore = () => {
      if (!stopped) process.stdout.write(TERMINAL_RESTORE);
    };
    // The last resort for paths that never reach stop(): process.exit() in a signal handler, an uncaught error.
    process.once('exit', restore);
    const bars = new Map<string, cliProgress.SingleBar>();
    for (const [key, label] of Object.entries(labels)) {
      bars.set(key, multi.create(1, 0, { label: label.padEnd(width), phase: 'starting', records: plural(0, 'record'), pages: plural(0, 'page'), rate: '-', elapsed: '0 ms', completion: '' }));
    }
    return {
      update(key, p) {
        const done = completion(p);
        bars.get(key)?.update(0, {
          phase: p.phase, records: plural(p.records, 'record'), pages: plural(p.pages, 'page'), rate: rate(p.records, p.startedAt),
          elapsed: formatDuration(Date.now() - started), completion: done ? ` ${color.dim('·')} ${done}` : '',
        });
      },
      done(key, records, pages) {
        bars.get(key)?.update(1, { phase: color.green('done'), records: plural(records, 'record'), pages: plural(pages, 'page'), elapsed: formatDuration(Date.now() - started), completion: '' });
      },
      ended(key, word) {
        bars.get(key)?.update(0, { phase: color.red(word), elapsed: formatDuration(Date.now() - started), completion: '' });
      },
      stop() {
        if (stopped) return;
        multi.stop();
        process.stdout.write(TERMINAL_RESTORE);
        stopped = true;
        process.removeListener('exit', restore);
      },
    };
  }
  // Not a terminal: a line per sync at most every 2 s, and one when it finishes.
  const last = new Map<string, number>();
  return {
    update(key, p) {
      const now = Date.now();
      // The end is said once, by done() or ended().
      if (p.phase === 'done' || now - (last.get(key) ?? 0) < 2_000) return;
      last.set(key, now);
      const done = completion(p);
      process.stdout.write(`${labels[key]}: ${p.phase}, ${plural(p.records, 'record')}, ${plural(p.pages, 'page')}, ${rate(p.records, p.startedAt)}${done ? `, ${done}` : ''}\n`);
    },
    done(key, records, pages) {
      process.stdout.write(`${labels[key]}: done, ${plural(records, 'record')}, ${plural(pages, 'page')}, ${formatDuration(Date.now() - started)}\n`);
    },
    ended(key, word) {
      process.stdout.write(`${labels[key]}: ${word} after ${formatDuration(Date.now() - started)}\n`);
    },
    stop() {},
  };
}
