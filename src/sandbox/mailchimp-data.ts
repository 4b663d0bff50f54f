// The Mailchimp audience members data set.
//
// Two orders are kept: creation order (the index, which is also timestamp_opt order) and a
// `last_changed` order (ties by member id) rebuilt in O(n) per `mutate` call: changed members move
// to the end, since they were stamped now. Each order also exists per status. A query whose filter
// uses the key of its sort order is then two binary searches plus direct indexing by offset:
// O(log n + page) even at deep offsets. A filter on the *other* key (e.g. since_last_changed with
// sort_field=timestamp_opt) cannot be answered that way; its filtered list is built once and
// cached per data version, so paging through it stays O(page) after the first request.
import { createHash } from 'node:crypto';
import { lowerBound } from './bsearch.js';
import { CITIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, emailFor } from './names.js';
import { HEX, hash32, pick, randChars, randInt, rngFor, sampleDistinct, sortedSeconds, type Rng } from './prng.js';
import { isoUtc, isoWithOffset, settleLagSec, shareRun } from './time.js';
import type { DataStore, MutateOptions, MutateResult, RecordSummary } from './types.js';

export const MEMBER_STATUSES = ['subscribed', 'unsubscribed', 'cleaned', 'pending'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

const SALT = 0x3c41;
const SALT_MUTATE = 0x3c42;
const DAY = 86_400;
const VIEW_CACHE_SIZE = 8;

export interface MailchimpMembersOptions {
  /** The emulator's clock (epoch ms) for every stamp: defaults to Date.now. */
  now?: () => number;
  /** `count` members share one last_changed second, `at` (unix seconds); ties are ordered by member id. */
  shared?: { count: number; at: number };
}

export interface MemberQuery {
  /** null: every status; 'none': a valid Mailchimp status that no member here has. */
  status: MemberStatus | 'none' | null;
  /** null: the API's default order (creation order here). */
  sortField: 'last_changed' | 'timestamp_opt' | null;
  descending: boolean;
  /** Lower bounds are inclusive, `before` bounds exclusive; unix seconds. */
  changedSince: number | null;
  changedBefore: number | null;
  optSince: number | null;
  optBefore: number | null;
  offset: number;
  count: number;
}

interface Seq {
  length: number;
  at(p: number): number;
}

const arraySeq = (a: readonly number[], from = 0, to = a.length): Seq => ({ length: to - from, at: (p) => a[from + p]! });

export function md5Hex(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

export class MailchimpMembers implements DataStore {
  private readonly opt: number[] = [];
  private readonly lc: number[] = [];
  private readonly status: number[] = [];
  private readonly rev: number[] = [];
  /** First 32 bits of the member id (md5), filled lazily: only ties need it. */
  private readonly idKey: number[] = [];
  private lcAll: number[] = [];
  private lcByStatus: number[][] = [];
  private optByStatus: number[][] = [];
  private version = 0;
  private readonly views = new Map<string, number[]>();
  private readonly mutateRng: Rng;
  private readonly now: () => number;
  /** Member id -> index, built on the first mutate({ids}) only (it hashes every email). */
  private byId: Map<string, number> | null = null;

  constructor(
    private readonly seed: number,
    size: number,
    startMs: number,
    readonly listId: string,
    options: MailchimpMembersOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    const end = Math.floor(startMs / 1000) - 3600;
    const times = sortedSeconds(rngFor(seed, SALT), size, end - 30 * DAY, end);
    if (options.shared && options.shared.count > 0) shareRun(times, options.shared.count, options.shared.at);
    for (const sec of times) {
      const i = this.lc.length;
      this.lc.push(sec);
      this.opt.push(sec - settleLagSec(sec));
      this.rev.push(0);
      this.idKey.push(-1);
      const roll = hash32(seed, SALT, i) % 100;
      this.status.push(roll < 76 ? 0 : roll < 90 ? 1 : roll < 95 ? 2 : 3);
      this.lcAll.push(i);
    }
    this.sortTiesFrom(0);
    this.rebuildStatusOrders();
    this.mutateRng = rngFor(seed, SALT_MUTATE);
  }

  get size(): number {
    return this.lc.length;
  }

  emailOf(i: number): string {
    const rng = rngFor(this.seed, SALT, i, 2);
    const first = pick(rng, FIRST_NAMES);
    const last = pick(rng, LAST_NAMES);
    return emailFor(first, last, i, pick(rng, EMAIL_DOMAINS));
  }

  /** Mailchimp's member id (subscriber hash): MD5 of the lower-cased email. */
  idOf(i: number): string {
    return md5Hex(this.emailOf(i).toLowerCase());
  }

  lastChangedSec(i: number): number {
    return this.lc[i]!;
  }

  statusOf(i: number): MemberStatus {
    return MEMBER_STATUSES[this.status[i]!]!;
  }

  private keyOf(i: number): number {
    let k = this.idKey[i]!;
    if (k < 0) {
      k = parseInt(this.idOf(i).slice(0, 8), 16);
      this.idKey[i] = k;
    }
    return k;
  }

  private compareIds(a: number, b: number): number {
    const d = this.keyOf(a) - this.keyOf(b);
    if (d !== 0) return d;
    const x = this.idOf(a);
    const y = this.idOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  /** Sorts each run of equal last_changed in lcAll, from `from` on, by member id. */
  private sortTiesFrom(from: number): void {
    const a = this.lcAll;
    let s = from;
    while (s < a.length) {
      const t = this.lc[a[s]!]!;
      let e = s + 1;
      while (e < a.length && this.lc[a[e]!] === t) e++;
      if (e - s > 1) {
        const group = a.slice(s, e).sort((x, y) => this.compareIds(x, y));
        for (let k = 0; k < group.length; k++) a[s + k] = group[k]!;
      }
      s = e;
    }
  }

  private rebuildStatusOrders(): void {
    this.lcByStatus = MEMBER_STATUSES.map(() => []);
    this.optByStatus = MEMBER_STATUSES.map(() => []);
    for (const i of this.lcAll) this.lcByStatus[this.status[i]!]!.push(i);
    for (let i = 0; i < this.size; i++) this.optByStatus[this.status[i]!]!.push(i);
    this.version++;
    this.views.clear();
  }

  /** The filtered, ordered members (ascending) as a sequence, and the page of it asked for. */
  query(q: MemberQuery): { total: number; items: number[] } {
    if (q.status === 'none') return { total: 0, items: [] };
    const s = q.status === null ? null : MEMBER_STATUSES.indexOf(q.status);
    const byChange = q.sortField === 'last_changed';
    const base: Seq = byChange
      ? arraySeq(s === null ? this.lcAll : this.lcByStatus[s]!)
      : s === null ? { length: this.size, at: (p) => p } : arraySeq(this.optByStatus[s]!);
    const own = byChange ? this.lc : this.opt;
    const [ownMin, ownBefore, otherMin, otherBefore] = byChange
      ? [q.changedSince, q.changedBefore, q.optSince, q.optBefore]
      : [q.optSince, q.optBefore, q.changedSince, q.changedBefore];
    const key = (p: number) => own[base.at(p)]!;
    const a = ownMin === null ? 0 : lowerBound(0, base.length, key, ownMin);
    const b = ownBefore === null ? base.length : lowerBound(a, base.length, key, ownBefore);

    let view: Seq = { length: Math.max(0, b - a), at: (p) => base.at(a + p) };
    if (otherMin !== null || otherBefore !== null) {
      const other = byChange ? this.opt : this.lc;
      const cacheKey = JSON.stringify([this.version, s, byChange, ownMin, ownBefore, otherMin, otherBefore]);
      let list = this.views.get(cacheKey);
      if (list) {
        this.views.delete(cacheKey);
      } else {
        list = [];
        for (let p = a; p < b; p++) {
          const i = base.at(p);
          const v = other[i]!;
          if ((otherMin === null || v >= otherMin) && (otherBefore === null || v < otherBefore)) list.push(i);
        }
      }
      this.views.set(cacheKey, list);
      if (this.views.size > VIEW_CACHE_SIZE) this.views.delete(this.views.keys().next().value!);
      view = arraySeq(list);
    }

    const items: number[] = [];
    for (let k = 0; k < q.count; k++) {
      const idx = q.offset + k;
      if (idx >= view.length) break;
      items.push(view.at(q.descending ? view.length - 1 - idx : idx));
    }
    return { total: view.length, items };
  }

  render(i: number): Record<string, unknown> {
    const rng = rngFor(this.seed, SALT, i, 2);
    const first = pick(rng, FIRST_NAMES);
    const last = pick(rng, LAST_NAMES);
    const email = emailFor(first, last, i, pick(rng, EMAIL_DOMAINS));
    const place = pick(rng, CITIES);
    const rev = this.rev[i]!;
    const at = (sec: number) => isoWithOffset(sec, 0);
    const detail = rngFor(this.seed, SALT, i, 3);
    return {
      id: md5Hex(email.toLowerCase()),
      email_address: email,
      unique_email_id: randChars(detail, HEX, 10),
      contact_id: randChars(detail, HEX, 32),
      full_name: `${first} ${last}`,
      web_id: 100_000_000 + (hash32(this.seed, SALT, i, 4) % 900_000_000),
      email_type: 'html',
      status: this.statusOf(i),
      consents_to_one_to_one_messaging: true,
      merge_fields: {
        FNAME: first,
        // A change shows in the data, not only in last_changed.
        LNAME: rev > 0 && rev % 2 === 1 ? `${last}-${pick(rngFor(this.seed, SALT, i, rev), LAST_NAMES)}` : last,
        ADDRESS: '',
        PHONE: '',
      },
      stats: { avg_open_rate: randInt(detail, 0, 100) / 100, avg_click_rate: randInt(detail, 0, 40) / 100 },
      ip_signup: '',
      timestamp_signup: at(this.opt[i]!),
      ip_opt: `198.51.100.${randInt(detail, 1, 254)}`,
      timestamp_opt: at(this.opt[i]!),
      member_rating: randInt(detail, 1, 5),
      last_changed: at(this.lc[i]!),
      language: '',
      vip: false,
      email_client: '',
      location: { latitude: 0, longitude: 0, gmtoff: 0, dstoff: 0, country_code: place.country, timezone: '', region: place.state ?? '' },
      source: 'API - Generic',
      tags_count: 0,
      tags: [],
      list_id: this.listId,
      _links: [],
    };
  }

  records(): RecordSummary[] {
    const out: RecordSummary[] = [];
    for (let i = 0; i < this.size; i++) out.push({ id: this.idOf(i), updatedAt: isoUtc(this.lc[i]!) });
    return out;
  }

  /** The index of a member id (subscriber hash), or -1. */
  indexOfId(id: string): number {
    if (!this.byId) {
      this.byId = new Map();
      for (let i = 0; i < this.size; i++) this.byId.set(this.idOf(i), i);
    }
    return this.byId.get(id) ?? -1;
  }

  /**
   * `update` random members and the `ids` ones change now (the emulator's clock): last_changed moves
   * to now, so they leave every before_last_changed window ending earlier (total_items shrinks), as
   * on Mailchimp; `create` new members stamped now.
   */
  mutate(opts: MutateOptions): MutateResult {
    const named = (opts.ids ?? []).map((id) => {
      const k = this.indexOfId(id);
      if (k < 0) throw new Error(`sandbox: no member with id ${id}`);
      return k;
    });
    const n = this.size;
    const newest = this.lcAll.length > 0 ? this.lc[this.lcAll[this.lcAll.length - 1]!]! : 0;
    // Never behind the newest stamp, so appending keeps lcAll sorted even if the clock steps back.
    const stamp = Math.max(Math.floor(this.now() / 1000), newest);
    const picked = sampleDistinct(this.mutateRng, n, opts.update ?? 0);
    for (const i of named) if (!picked.includes(i)) picked.push(i);
    const moved = new Uint8Array(n);
    for (const i of picked) {
      moved[i] = 1;
      this.rev[i] = this.rev[i]! + 1;
      this.lc[i] = stamp;
      const roll = this.mutateRng();
      const st = this.status[i]!;
      // The usual real-world change: people unsubscribe, a few come back, pending ones confirm.
      if (st === 0 && roll < 0.25) this.status[i] = 1;
      else if (st === 1 && roll < 0.3) this.status[i] = 0;
      else if (st === 3 && roll < 0.5) this.status[i] = 0;
    }
    const kept = picked.length > 0 ? this.lcAll.filter((i) => moved[i] === 0) : this.lcAll;
    for (const i of picked) kept.push(i);
    const created: string[] = [];
    for (let k = 0; k < (opts.create ?? 0); k++) {
      const i = this.size;
      this.lc.push(stamp);
      this.opt.push(stamp);
      this.rev.push(0);
      this.idKey.push(-1);
      this.status.push(hash32(this.seed, SALT, i) % 10 === 0 ? 3 : 0);
      kept.push(i);
      created.push(this.idOf(i));
      this.byId?.set(created[created.length - 1]!, i);
    }
    this.lcAll = kept;
    let from = kept.length;
    while (from > 0 && this.lc[kept[from - 1]!] === stamp) from--;
    this.sortTiesFrom(from);
    this.rebuildStatusOrders();
    return { updated: picked.map((i) => this.idOf(i)), created };
  }
}
