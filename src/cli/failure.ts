// What a failed or cancelled workflow says to a person: the workflow's own failure message and the
// chain of causes under it (activity -> provider reason), the failure type (the engine's error code),
// and whether it was a cancel. Messages are redacted by the activities that made them; the chain is
// printed as the server keeps it.
import { CancelledFailure, TerminatedFailure, TimeoutFailure, WorkflowFailedError, ApplicationFailure, ActivityFailure } from '@temporalio/client';
import { EXIT } from './output.js';

export interface FailureReport {
  ok: false;
  /** 'failed' | 'cancelled' | 'terminated' | 'timed_out' */
  outcome: 'failed' | 'cancelled' | 'terminated' | 'timed_out';
  /** The error code of the deepest typed cause (invalid_config, rate_limited, ...), when there is one. */
  code?: string;
  /** The workflow's failure message. */
  message: string;
  /** Messages of the causes under it, outermost first, without repeats. */
  causes: string[];
  exitCode: number;
}

/** A workflow's failure, from the error `handle.result()` threw; null when it is not one. */
export function failureReport(err: unknown): FailureReport | null {
  if (!(err instanceof WorkflowFailedError)) return null;
  const top = err.cause;
  const outcome: FailureReport['outcome'] = top instanceof CancelledFailure ? 'cancelled'
    : top instanceof TerminatedFailure ? 'terminated'
      : top instanceof TimeoutFailure ? 'timed_out'
        : 'failed';
  const chain: Error[] = [];
  for (let e: unknown = top; e instanceof Error && chain.length < 8; e = (e as Error & { cause?: unknown }).cause) chain.push(e);
  const typed = [...chain].reverse().find((e): e is ApplicationFailure => e instanceof ApplicationFailure && !!e.type);
  const messages = chain
    .filter((e) => !(e instanceof ActivityFailure)) // "Activity task failed" says nothing a person needs
    .map((e) => e.message.trim())
    .filter((m) => m !== '');
  const unique = messages.filter((m, i) => messages.findIndex((o) => o === m || o.includes(m)) === i);
  const message = unique[0] ?? (outcome === 'cancelled' ? 'Workflow cancelled' : outcome === 'terminated' ? 'Workflow terminated' : outcome === 'timed_out' ? 'Workflow timed out' : err.message);
  return {
    ok: false,
    outcome,
    ...(typed?.type ? { code: typed.type } : {}),
    message,
    causes: unique.slice(1),
    exitCode: outcome === 'failed' ? EXIT.failed : EXIT.cancelled,
  };
}

/** The report as lines for a terminal: "<code>: message", then each cause indented. */
export function formatFailure(report: FailureReport): string {
  const head = report.outcome === 'failed' ? `${report.code ?? 'failed'}: ${report.message}` : `${report.outcome.replace('_', ' ')}: ${report.message}`;
  return [head, ...report.causes.map((c) => `  caused by: ${c}`)].join('\n');
}
