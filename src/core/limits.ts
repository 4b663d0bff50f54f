// Bounds on what provider and user input may grow into inside the engine: error messages (they
// become Temporal failure messages and CLI output), retry delays (they become nextRetryDelay) and
// JSON nesting (recursive code such as JSON.stringify overflows the stack on deep values).

/** Longest error message kept: an error names the problem, it does not carry a provider's body. */
export const MAX_MESSAGE_CHARS = 2_000;

/** Longest single string kept in a failed answer's body (executors read it for refinements). */
export const MAX_ERROR_BODY_STRING_CHARS = 16_000;

/**
 * The longest wait a provider may ask for (Retry-After, reset headers) that is taken as given: a day.
 * The activity then clamps it to its retry policy's maximum interval.
 */
export const MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1_000;

const CUT_MARKER = /… \[cut [\d,]+ characters\]/g;

/** The marker appended to a cut text, naming how much was cut ("… [cut 1,048,000 characters]"). */
export function cutMarker(cut: number): string {
  return `… [cut ${cut.toLocaleString('en-US')} characters]`;
}

/** Where the cut markers of a text begin (for redaction of a secret cut in half). */
export function cutMarkerPositions(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(CUT_MARKER)) out.push(m.index);
  return out;
}

/**
 * `text` when it has at most `max` characters; otherwise its start and a marker of what was cut, in
 * at most `max` characters (never splitting a surrogate pair).
 */
export function boundText(text: string, max: number = MAX_MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  // The marker's own length depends on the count it names: size it for the largest count possible.
  let keep = Math.max(0, max - cutMarker(text.length).length);
  const code = text.charCodeAt(keep - 1);
  if (keep > 0 && code >= 0xd800 && code <= 0xdbff) keep--;
  return `${text.slice(0, keep)}${cutMarker(text.length - keep)}`;
}

/** A delay in ms that is finite, not negative and at most `max`; undefined for anything else. */
export function boundDelay(ms: number | undefined, max: number = MAX_RETRY_DELAY_MS): number | undefined {
  if (ms === undefined || typeof ms !== 'number' || Number.isNaN(ms)) return undefined;
  const ceiling = Number.isFinite(max) && max >= 0 ? max : MAX_RETRY_DELAY_MS;
  return Math.round(Math.min(Math.max(0, ms), ceiling));
}

/**
 * The nesting depth of a JSON-like value (a scalar is 0, `{}` and `[]` are 1), counted without
 * recursion and without walking further than `limit + 1` levels: returns as soon as the depth is
 * known to exceed `limit`.
 */
export function jsonDepth(value: unknown, limit: number = Number.MAX_SAFE_INTEGER): number {
  if (value === null || typeof value !== 'object') return 0;
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) max = depth;
    if (max > limit) return max;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const c of children) if (c !== null && typeof c === 'object') stack.push([c, depth + 1]);
  }
  return max;
}
