// Live progress of a pipeline run: a bar line on a terminal (cli-progress), a line every few seconds
// otherwise (CI logs, pipes). Read from the run's `pipelineProgress` query.
import cliProgress from 'cli-progress';
import type { PipelineProgress } from '../../workflows/pipeline.js';
import { color, formatDuration, isInteractive } from './output.js';
import { TERMINAL_RESTORE } from './progress.js';

export interface PipelineProgressView {
  update(p: PipelineProgress): void;
  stop(): void;
}

function line(p: PipelineProgress, started: number): string {
  const secs = (Date.now() - started) / 1000;
  const rate = secs > 0 ? `${Math.round(p.delivered / secs)}/s` : '-';
  const parts = [
    `${p.records.toLocaleString('en-US')} read`,
    `${p.delivered.toLocaleString('en-US')} delivered (${rate})`,
    ...(p.dead ? [color.red(`${p.dead} dead`)] : []),
    ...(p.unknown ? [color.yellow(`${p.unknown} unknown`)] : []),
    ...(p.failed ? [color.yellow(`${p.failed} failed`)] : []),
    ...(p.skipped ? [`${p.skipped.toLocaleString('en-US')} already delivered`] : []),
    `${p.callsInFlight} call(s) in flight`,
  ];
  return `${p.phase} · ${parts.join(' · ')} · ${formatDuration(Date.now() - started)}`;
}

export function createPipelineProgressView(label: string): PipelineProgressView {
  const started = Date.now();
  if (isInteractive()) {
    const bar = new cliProgress.SingleBar({ format: `${label} ${color.dim('|')} {text}`, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
    let stopped = false;
    const restore = () => {
      if (!stopped) process.stdout.write(TERMINAL_RESTORE);
    };
    process.once('exit', restore);
    bar.start(1, 0, { text: 'starting' });
    return {
      update(p) {
        bar.update(0, { text: line(p, started) });
      },
      stop() {
        if (stopped) return;
        bar.stop();
        process.stdout.write(TERMINAL_RESTORE);
        stopped = true;
        process.removeListener('exit', restore);
      },
    };
  }
  let last = 0;
  return {
    update(p) {
      if (Date.now() - last < 2_000) return;
      last = Date.now();
      process.stdout.write(`${label}: ${line(p, started)}\n`);
    },
    stop() {},
  };
}
