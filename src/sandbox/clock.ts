// The emulator's own "now": the real clock plus a settable offset. Everything time-dependent in an
// emulator's data reads it: the stamps of mutations and operations (updated_at, last_changed, a
// Stripe event's created), Stripe's 30-day event retention, and the Date header of every answer.
// Moving it forward makes a test's data "age" (e.g. past Stripe's retention window) without waiting;
// the generated data set stays where it was put at start (the 30 days ending an hour before start).
// Shopify's API-version calendar keeps the real clock: it is about Shopify's releases, not the data.

export interface EmulatorClock {
  /** The emulator's now, epoch milliseconds: Date.now() + offsetMs. */
  now(): number;
  /** How far the emulator's clock runs ahead of the real one (negative: behind). */
  readonly offsetMs: number;
  /** Moves the emulator's clock forward by `ms` (backward when negative); returns the new offset. */
  advance(ms: number): number;
  /** Sets the offset outright (0: the real clock again); returns it. */
  set(offsetMs: number): number;
}

export class SandboxClock implements EmulatorClock {
  private offset: number;

  constructor(offsetMs = 0) {
    this.offset = SandboxClock.check(offsetMs, 'offsetMs');
  }

  static check(ms: unknown, name: string): number {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || !Number.isInteger(ms)) throw new Error(`${name} must be a whole number of milliseconds`);
    // Beyond this, epoch seconds no longer fit Stripe's created range (year 9999) and Date breaks.
    if (Math.abs(ms) > 100 * 365 * 86_400_000) throw new Error(`${name} must be within 100 years`);
    return ms;
  }

  get offsetMs(): number {
    return this.offset;
  }

  now(): number {
    return Date.now() + this.offset;
  }

  /** The emulator's now in whole unix seconds (the precision every provider here reports). */
  nowSec(): number {
    return Math.floor(this.now() / 1000);
  }

  advance(ms: number): number {
    return this.set(this.offset + SandboxClock.check(ms, 'advanceMs'));
  }

  set(offsetMs: number): number {
    this.offset = SandboxClock.check(offsetMs, 'offsetMs');
    return this.offset;
  }
}
