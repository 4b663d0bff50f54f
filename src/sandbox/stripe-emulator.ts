// The Stripe emulator's own operations on an account's charges, in process and over the admin API.
// Each changes one charge and appends the event Stripe would (see stripe-data.ts), stamped with the
// emulator's clock; each throws (admin: 400) with Stripe's wording when Stripe would refuse it.
//
//   sandbox.stripe.refund(chargeId, { amount?, tenant? })      charge.refunded (amount: default all that is left)
//   sandbox.stripe.capture(chargeId, { tenant? })               charge.captured (a charge created with captured: false)
//   sandbox.stripe.dispute(chargeId, { reason?, tenant? })      charge.dispute.created (its data.object is the Dispute)
//   sandbox.stripe.updateMetadata(chargeId, { k: 'v', gone: '' }, { tenant? })   charge.updated
//   sandbox.stripe.createCharges({ count, captured?, tenant? }) charge.succeeded per charge
//   sandbox.stripe.events({ tenant? })                          the whole log, oldest first, expired events included
//
// Admin (POST, JSON body, ?tenant=name): /_sandbox/charges/refund {"charge", "amount"?},
// /_sandbox/charges/capture {"charge"}, /_sandbox/charges/dispute {"charge", "reason"?},
// /_sandbox/charges/metadata {"charge", "metadata": {…}}, /_sandbox/charges/create {"count", "captured"?};
// GET /_sandbox/events lists the log like events().
import type { SandboxClock } from './clock.js';
import type { FaultSettingsInput } from './faults.js';
import { EmulatorServer, type AdminReply, type ProviderSpec } from './server.js';
import type { StripeCharges, StripeEventType } from './stripe-data.js';
import type { DataStore, Emulator } from './types.js';

/** One event of an account's log, as the operations and events() report it. */
export interface StripeEventSummary {
  /** The event id (evt_…), as GET /v1/events lists it. */
  id: string;
  type: StripeEventType;
  /** Unix seconds, as the API prints it. */
  created: number;
  /** The charge the event is about (a dispute event's too). */
  charge: string;
}

/** The Stripe emulator: the common emulator plus the account operations above. */
export interface StripeEmulator extends Emulator {
  refund(chargeId: string, opts?: { amount?: number; tenant?: string }): StripeEventSummary;
  capture(chargeId: string, opts?: { tenant?: string }): StripeEventSummary;
  /** `reason`: the Dispute's reason (default fraudulent). */
  dispute(chargeId: string, opts?: { reason?: string; tenant?: string }): StripeEventSummary;
  /** Stripe's merge: the given keys are set, a key given '' is removed. */
  updateMetadata(chargeId: string, metadata: Readonly<Record<string, string>>, opts?: { tenant?: string }): StripeEventSummary;
  /** New charges (the account's newest); `captured: false` authorises them only. Returns their charge.succeeded events. */
  createCharges(opts: { count: number; captured?: boolean; tenant?: string }): StripeEventSummary[];
  /** The account's whole event log, oldest first, including events past the API's 30 days. */
  events(opts?: { tenant?: string }): StripeEventSummary[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function summary(store: StripeCharges, seq: number): StripeEventSummary {
  const e = store.eventAt(seq);
  return { id: store.eventIdOf(seq), type: e.type, created: e.created, charge: store.idOf(e.charge) };
}

function chargeOf(store: StripeCharges, body: Record<string, unknown>): number {
  if (typeof body.charge !== 'string') throw new Error('body needs "charge": a charge id');
  return store.requireIndex(body.charge);
}

export class StripeEmulatorServer extends EmulatorServer implements StripeEmulator {
  constructor(spec: ProviderSpec, faults: FaultSettingsInput, clock: SandboxClock) {
    super(spec, faults, clock);
  }

  private charges(tenant?: string): StripeCharges {
    return this.dataStore(tenant) as StripeCharges;
  }

  refund(chargeId: string, opts: { amount?: number; tenant?: string } = {}): StripeEventSummary {
    const store = this.charges(opts.tenant);
    return summary(store, store.refund(store.requireIndex(chargeId), opts.amount));
  }

  capture(chargeId: string, opts: { tenant?: string } = {}): StripeEventSummary {
    const store = this.charges(opts.tenant);
    return summary(store, store.capture(store.requireIndex(chargeId)));
  }

  dispute(chargeId: string, opts: { reason?: string; tenant?: string } = {}): StripeEventSummary {
    const store = this.charges(opts.tenant);
    return summary(store, store.dispute(store.requireIndex(chargeId), opts.reason));
  }

  updateMetadata(chargeId: string, metadata: Readonly<Record<string, string>>, opts: { tenant?: string } = {}): StripeEventSummary {
    const store = this.charges(opts.tenant);
    return summary(store, store.updateMetadata(store.requireIndex(chargeId), metadata));
  }

  createCharges(opts: { count: number; captured?: boolean; tenant?: string }): StripeEventSummary[] {
    if (!Number.isInteger(opts.count) || opts.count < 0) throw new Error('sandbox: count must be a non-negative integer');
    const store = this.charges(opts.tenant);
    const before = store.eventCount;
    store.createCharges(opts.count, opts.captured ?? true);
    return Array.from({ length: store.eventCount - before }, (_, k) => summary(store, before + k));
  }

  events(opts: { tenant?: string } = {}): StripeEventSummary[] {
    const store = this.charges(opts.tenant);
    return Array.from({ length: store.eventCount }, (_, seq) => summary(store, seq));
  }

  protected override adminRoute(route: string, body: unknown, data: DataStore): AdminReply | null {
    const store = data as StripeCharges;
    const b = isRecord(body) ? body : {};
    switch (route) {
      case 'POST /_sandbox/charges/refund': {
        if (b.amount !== undefined && typeof b.amount !== 'number') throw new Error('"amount" must be a number');
        return { status: 200, body: summary(store, store.refund(chargeOf(store, b), b.amount as number | undefined)) };
      }
      case 'POST /_sandbox/charges/capture':
        return { status: 200, body: summary(store, store.capture(chargeOf(store, b))) };
      case 'POST /_sandbox/charges/dispute': {
        if (b.reason !== undefined && typeof b.reason !== 'string') throw new Error('"reason" must be a string');
        return { status: 200, body: summary(store, store.dispute(chargeOf(store, b), b.reason as string | undefined)) };
      }
      case 'POST /_sandbox/charges/metadata': {
        if (!isRecord(b.metadata)) throw new Error('body needs "metadata": an object of strings');
        return { status: 200, body: summary(store, store.updateMetadata(chargeOf(store, b), b.metadata as Record<string, string>)) };
      }
      case 'POST /_sandbox/charges/create': {
        if (typeof b.count !== 'number' || !Number.isInteger(b.count) || b.count < 0) throw new Error('body needs "count": a non-negative integer');
        if (b.captured !== undefined && typeof b.captured !== 'boolean') throw new Error('"captured" must be true or false');
        const before = store.eventCount;
        store.createCharges(b.count, (b.captured as boolean | undefined) ?? true);
        return { status: 200, body: { events: Array.from({ length: store.eventCount - before }, (_, k) => summary(store, before + k)) } };
      }
      case 'GET /_sandbox/events':
        return { status: 200, body: { events: Array.from({ length: store.eventCount }, (_, seq) => summary(store, seq)) } };
      default:
        return null;
    }
  }

  protected override adminRoutes(): string[] {
    return [
      'POST /_sandbox/charges/refund[?tenant=name] {"charge","amount"?}',
      'POST /_sandbox/charges/capture {"charge"}',
      'POST /_sandbox/charges/dispute {"charge","reason"?}',
      'POST /_sandbox/charges/metadata {"charge","metadata":{…}}',
      'POST /_sandbox/charges/create {"count","captured"?}',
      'GET /_sandbox/events[?tenant=name]',
    ];
  }
}
