// defineConnector: one declaration in, the connector's zod schemas, typed config and form spec out.
import { z } from 'zod';
import { checkAllowedUrl } from '../core/url-guard.js';
import { isSecretRef } from '../core/secret-ref.js';
import type { ConnectorPolicy, RateScopeSpec } from '../policies/types.js';
import { boundText } from '../core/limits.js';
import { FORBIDDEN_CHARACTERS, textRules, type AnyField, type CharacterRule, type FieldMap, type FieldValues, type SelectOption, type ValidationHints } from './fields.js';
import { versionStatus, type VersionPolicy, type VersionStatus } from './versions.js';

export type ConnectorCategory = 'messaging' | 'cdp_support' | 'commerce_source' | 'reverse_etl';

export interface AuthMethodSpec<Id extends string = string, CF extends FieldMap = FieldMap, AF extends FieldMap = FieldMap> {
  id: Id;
  label: string;
  help?: string;
  /** Where to reach the provider (shop domain, region, webhook URL, ...). */
  connectionFields: CF;
  /** Credentials. */
  authFields: AF;
}

export interface Capabilities {
  /** 'api': testConnection makes the cheapest real call; 'offline': the provider has none, the config is validated offline. */
  testConnection: 'api' | 'offline';
  send: boolean;
  /** Streams this connector can pull, e.g. ['orders']. Empty when it cannot pull. */
  pull: readonly string[];
  /** Starts a provider-side sync or statement and reports its outcome (reverse ETL). */
  trigger: boolean;
  /**
   * A batch endpoint (executor.sendBatch): how many messages, and bytes, one call may carry, and its
   * own rate where the provider limits it apart from single sends (Iterable trackBulk: 10/s against
   * 2,000/s for track). Batches with a rate of their own go to a queue of their own
   * (`<connector>-batch`), where the server holds them to it.
   */
  batch?: { maxItems: number; maxBytes?: number; endpoint: string; requestsPerSecond?: number };
}

export interface IdempotencySupport {
  /** Whether the provider de-duplicates repeated deliveries itself. */
  supported: boolean;
  /** The provider mechanism the idempotency key feeds ("dedup_key", "Idempotency-Key header", ...). */
  via?: string;
  note: string;
}

/**
 * A connection's own budget where the provider's limit depends on the account or URL family rather
 * than on the provider alone (a Fivetran trial account, a Teams legacy webhook, the share of a
 * Mailchimp user's connections this engine may take). Unset members keep the connector's policy.
 */
export interface ConnectionBudget {
  requestsPerSecond?: number;
  /** Calls of this connection in flight at once, across every worker. */
  concurrency?: number;
  /** Why this connection's budget differs, for `connections show` and the docs. */
  reason: string;
}

export interface FieldIssue {
  field: string;
  message: string;
}

export interface ConnectorDefinition<A extends readonly AuthMethodSpec[] = readonly AuthMethodSpec[]> {
  id: string;
  name: string;
  category: ConnectorCategory;
  description: string;
  docsUrl: string;
  capabilities: Capabilities;
  /** What testConnection does, in words (shown in the UI and README). */
  credentialCheck: string;
  idempotency: IdempotencySupport;
  authMethods: A;
  /** Rules across fields (e.g. "from or messagingServiceSid"). Secret values may be references here. */
  refine?: (config: Record<string, unknown>) => FieldIssue[];
  policy: ConnectorPolicy;
  /** What the provider limits by: each connection's rate key comes from these fields (src/policies/rate-key.ts). */
  rateScope: RateScopeSpec;
  /** A connection's own budget, from its (validated) config, where it differs from the policy's. */
  connectionBudget?: (config: Record<string, unknown>) => ConnectionBudget | null;
  /** For connectors that pin a provider API version: the current one, the accepted ones and their end of support. */
  apiVersion?: VersionPolicy;
  notes?: readonly string[];
}

type MethodConfig<M> = M extends AuthMethodSpec<infer Id, infer CF, infer AF>
  ? { authMethod: Id } & FieldValues<CF> & FieldValues<AF>
  : never;

/**
 * The typed config of a connector, derived from its declaration. A built connector carries it in its
 * configSchema (its `authMethods` member is widened by the Connector interface, so it cannot be re-derived).
 */
export type ConfigOf<D> = D extends { configSchema: z.ZodType<infer C> }
  ? C
  : D extends { authMethods: readonly (infer M)[] }
    ? MethodConfig<M>
    : never;

export interface FormField {
  key: string;
  group: 'connection' | 'auth';
  kind: AnyField['kind'];
  label: string;
  help: string;
  required: boolean;
  secret: boolean;
  placeholder?: string;
  default?: unknown;
  options?: readonly SelectOption[];
  validation?: ValidationHints;
}

/** JSON-serialisable description of a connector's form, for any UI. */
export interface FormSpec {
  id: string;
  name: string;
  category: ConnectorCategory;
  description: string;
  docsUrl: string;
  capabilities: Capabilities;
  credentialCheck: string;
  idempotency: IdempotencySupport;
  authMethods: { id: string; label: string; help?: string; fields: FormField[] }[];
  /** The pinned API version's policy, where the connector has one. */
  apiVersion?: VersionPolicy;
  notes: readonly string[];
}

export type ValidationResult<C> = { ok: true; config: C } | { ok: false; issues: FieldIssue[]; message: string };

export interface Connector<C = Record<string, unknown>> extends ConnectorDefinition {
  /** Full validation of a usable config (secrets resolved). */
  configSchema: z.ZodType<C>;
  /** Validation of a config to store: secret fields may hold env:/file: references instead. */
  storedConfigSchema: z.ZodType<Record<string, unknown>>;
  validateConfig(input: unknown): ValidationResult<C>;
  validateStoredConfig(input: unknown): ValidationResult<Record<string, unknown>>;
  /** Keys of the secret fields of an auth method (all methods when omitted). */
  secretFields(authMethod?: string): string[];
  formSpec(): FormSpec;
  /** The support status of the API version a config pins (null when the connector pins none). */
  versionStatus(config: Record<string, unknown>, nowMs?: number): VersionStatus | null;
}

// ---------------------------------------------------------------------------------------------
// Field -> zod

function describePattern(label: string, hints: ValidationHints): string {
  return hints.patternDescription ? `${label} must be ${hints.patternDescription}` : `${label} has an invalid format`;
}

const FORBIDDEN: Readonly<Record<Exclude<CharacterRule, 'any'>, RegExp>> = {
  single_line: new RegExp(FORBIDDEN_CHARACTERS.single_line, 'u'),
  multi_line: new RegExp(FORBIDDEN_CHARACTERS.multi_line, 'u'),
};

const CHARACTER_NAMES: Readonly<Record<number, string>> = {
  0x00: 'NUL', 0x09: 'tab', 0x0a: 'line feed', 0x0d: 'carriage return', 0x7f: 'DEL', 0xad: 'soft hyphen',
  0x200b: 'zero-width space', 0x200c: 'zero-width non-joiner', 0x200d: 'zero-width joiner',
  0x200e: 'left-to-right mark', 0x200f: 'right-to-left mark', 0x2028: 'line separator', 0x2029: 'paragraph separator',
  0x2060: 'word joiner', 0xfeff: 'byte-order mark / zero-width no-break space',
};

/** "U+200B (zero-width space)": a character named without printing it (it may be invisible). */
function characterName(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CHARACTER_NAMES[cp]
    ?? (cp >= 0xd800 && cp <= 0xdfff ? 'an unpaired surrogate'
      : (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ? 'a bidirectional text control'
        : /\p{Cc}/u.test(ch) ? 'a control character' : 'an invisible formatting character');
  return `${hex} (${name})`;
}

/**
 * The length and character rules every text field has (fields.ts textRules), checked before
 * anything else looks at the value: no pattern, normalizer or check ever sees an unbounded value
 * or one with characters the field cannot hold.
 */
function textLimitProblem(where: string, value: string, rules: ValidationHints, refLike: boolean): string | null {
  const max = rules.maxLength ?? Number.POSITIVE_INFINITY;
  // A secret reference or an encrypted value stands for the secret: an encrypted one is longer
  // (base64 of the UTF-8 bytes, plus nonce and tag), so it gets a limit of its own.
  const refMax = Math.max(4_096, 4 * max + 256);
  if (value.length > (refLike ? refMax : max)) {
    return `${where} must be at most ${max.toLocaleString('en-US')} characters (got ${value.length.toLocaleString('en-US')})`;
  }
  if (refLike && isSecretRef(value)) return null;
  if (value.length > max) return `${where} must be at most ${max.toLocaleString('en-US')} characters (got ${value.length.toLocaleString('en-US')})`;
  const rule = rules.characters ?? 'single_line';
  if (rule === 'any') return null;
  const bad = FORBIDDEN[rule].exec(value);
  if (!bad) return null;
  const allowed = rule === 'multi_line'
    ? 'control and invisible characters other than line breaks and tabs are not allowed'
    : 'line breaks, control characters and invisible characters are not allowed';
  return `${where} contains ${characterName(bad[0])} at position ${bad.index + 1}: ${allowed} (often a paste from a document or a terminal)`;
}

function fieldSchema(key: string, field: AnyField, allowRef: boolean): z.ZodType {
  const label = field.label;
  const hints = textRules(field.kind, field.validation);
  const requiredMessage = `${label} (${key}) is required`;
  let schema: z.ZodType;

  if (field.kind === 'number') {
    let n = z.coerce.number({ error: `${label} (${key}) must be a number` });
    if (hints.integer) n = n.int({ error: `${label} (${key}) must be a whole number` });
    if (hints.min !== undefined) n = n.min(hints.min, { error: `${label} (${key}) must be at least ${hints.min}` });
    if (hints.max !== undefined) n = n.max(hints.max, { error: `${label} (${key}) must be at most ${hints.max}` });
    schema = n;
  } else if (field.kind === 'select') {
    const values = (field.options ?? []).map((o) => o.value);
    schema = z.string({ error: requiredMessage }).refine((v) => values.includes(v), {
      error: `${label} (${key}) must be one of: ${values.join(', ')}`,
    });
  } else {
    // Secrets are kept byte for byte; other text is trimmed.
    let s = field.secret ? z.string({ error: requiredMessage }) : z.string({ error: requiredMessage }).trim();
    s = s.min(1, { error: requiredMessage });
    const refLike = allowRef && field.secret;
    const base: z.ZodType<string> = s.superRefine((value, ctx) => {
      const limit = textLimitProblem(`${label} (${key})`, value, hints, refLike);
      if (limit) {
        ctx.addIssue({ code: 'custom', message: limit, continue: false });
        return;
      }
      if (refLike && isSecretRef(value)) return;
      const v = field.normalize ? (field.normalize(value) as string) : value;
      if (hints.minLength !== undefined && v.length < hints.minLength)
        ctx.addIssue({ code: 'custom', message: `${label} (${key}) must be at least ${hints.minLength} characters` });
      if (hints.maxLength !== undefined && v !== value && v.length > hints.maxLength)
        ctx.addIssue({ code: 'custom', message: `${label} (${key}) must be at most ${hints.maxLength} characters` });
      if (hints.pattern !== undefined && !new RegExp(`^(?:${hints.pattern})$`, hints.patternFlags ?? '').test(v))
        ctx.addIssue({ code: 'custom', message: `${describePattern(label, hints)} (${key})` });
      if (hints.url) {
        const problem = checkAllowedUrl(v, {
          hosts: hints.url.hosts ?? [],
          hostSuffixes: hints.url.hostSuffixes ?? [],
          hostPatterns: (hints.url.hostPatterns ?? []).map((p) => new RegExp(`^(?:${p})$`, 'i')),
        }, `${label} (${key})`);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }
      if (field.check) {
        const problem = field.check(v);
        if (problem) ctx.addIssue({ code: 'custom', message: `${label} (${key}): ${problem}` });
      }
    });
    schema = field.normalize && !field.secret
      ? base.transform((v) => (allowRef && isSecretRef(v) ? v : (field.normalize!(v) as string)))
      : base;
  }

  // Text kinds run `check` inside their refinement above; selects and numbers run it here.
  if ((field.kind === 'select' || field.kind === 'number') && field.check) {
    schema = schema.superRefine((value, ctx) => {
      const problem = field.check!(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `${label} (${key}): ${problem}` });
    });
  }

  if (field.required) return schema;
  // Optional: absent, null or an empty string all mean "not set"; the default applies if declared.
  const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
  return z.preprocess(blankToUndefined, field.default !== undefined ? schema.default(field.default) : schema.optional());
}

function methodSchema(method: AuthMethodSpec, allowRef: boolean) {
  const shape: Record<string, z.ZodType> = { authMethod: z.literal(method.id) };
  for (const [key, field] of Object.entries({ ...method.connectionFields, ...method.authFields })) {
    shape[key] = fieldSchema(key, field, allowRef);
  }
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `Unknown field(s): ${iss.keys.slice(0, 20).map((k) => boundText(k, 64)).join(', ')}${iss.keys.length > 20 ? ` and ${iss.keys.length - 20} more` : ''}` : undefined),
  });
}

function buildSchema(def: ConnectorDefinition, allowRef: boolean): z.ZodType<Record<string, unknown>> {
  const methods = def.authMethods.map((m) => methodSchema(m, allowRef));
  const ids = def.authMethods.map((m) => m.id);
  const union =
    methods.length === 1
      ? methods[0]!
      : z.discriminatedUnion('authMethod', methods as unknown as [ReturnType<typeof methodSchema>, ...ReturnType<typeof methodSchema>[]], {
          error: `authMethod must be one of: ${ids.join(', ')}`,
        });
  const withDefault = z.preprocess((input) => {
    // A connector with one auth method does not make users name it.
    if (input && typeof input === 'object' && !Array.isArray(input) && !('authMethod' in input) && ids.length === 1) {
      return { authMethod: ids[0], ...input };
    }
    return input;
  }, union);
  return withDefault.superRefine((config, ctx) => {
    for (const issue of def.refine?.(config as Record<string, unknown>) ?? []) {
      ctx.addIssue({ code: 'custom', path: [issue.field], message: issue.message });
    }
  }) as unknown as z.ZodType<Record<string, unknown>>;
}

function toResult<C>(parsed: { success: true; data: unknown } | { success: false; error: z.ZodError }): ValidationResult<C> {
  if (parsed.success) return { ok: true, config: parsed.data as C };
  const issues: FieldIssue[] = parsed.error.issues.map((i) => ({
    field: i.path.length
      ? i.path.map((p) => boundText(String(p), 64)).join('.')
      : i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys.slice(0, 20).map((k) => boundText(k, 64)).join(',') : '(config)',
    message: i.message,
  }));
  const message = issues.map((i) => (i.message.includes(i.field) ? i.message : `${i.field}: ${i.message}`)).join('; ');
  return { ok: false, issues, message };
}

export function defineConnector<const A extends readonly AuthMethodSpec[]>(
  def: ConnectorDefinition<A>,
): Connector<ConfigOf<ConnectorDefinition<A>>> {
  type C = ConfigOf<ConnectorDefinition<A>>;
  if (def.apiVersion) {
    const field = def.apiVersion.field;
    if (!def.authMethods.some((m) => field in m.connectionFields)) throw new Error(`${def.id}: apiVersion.field "${field}" is not a connection field`);
    if (!def.apiVersion.versions.some((v) => v.version === def.apiVersion!.current)) throw new Error(`${def.id}: the current API version is not in its list`);
  }
  const configSchema = buildSchema(def, false) as unknown as z.ZodType<C>;
  const storedConfigSchema = buildSchema(def, true);
  return {
    ...def,
    configSchema,
    storedConfigSchema,
    validateConfig: (input) => toResult<C>(configSchema.safeParse(input)),
    validateStoredConfig: (input) => toResult<Record<string, unknown>>(storedConfigSchema.safeParse(input)),
    secretFields(authMethod) {
      const methods = def.authMethods.filter((m) => authMethod === undefined || m.id === authMethod);
      const keys = new Set<string>();
      for (const m of methods) {
        for (const [k, f] of Object.entries({ ...m.connectionFields, ...m.authFields })) if (f.secret) keys.add(k);
      }
      return [...keys];
    },
    versionStatus(config, nowMs) {
      if (!def.apiVersion) return null;
      const value = config[def.apiVersion.field];
      return versionStatus(def.name, def.apiVersion, typeof value === 'string' && value !== '' ? value : undefined, nowMs);
    },
    formSpec() {
      return JSON.parse(
        JSON.stringify({
          id: def.id,
          name: def.name,
          category: def.category,
          description: def.description,
          docsUrl: def.docsUrl,
          capabilities: def.capabilities,
          credentialCheck: def.credentialCheck,
          idempotency: def.idempotency,
          notes: def.notes ?? [],
          ...(def.apiVersion ? { apiVersion: def.apiVersion } : {}),
          authMethods: def.authMethods.map((m) => ({
            id: m.id,
            label: m.label,
            ...(m.help ? { help: m.help } : {}),
            fields: [
              ...Object.entries(m.connectionFields).map(([key, f]) => formField(key, 'connection', f)),
              ...Object.entries(m.authFields).map(([key, f]) => formField(key, 'auth', f)),
            ],
          })),
        }),
      ) as FormSpec;
    },
  };
}

function formField(key: string, group: FormField['group'], f: AnyField): FormField {
  const out: FormField = { key, group, kind: f.kind, label: f.label, help: f.help, required: f.required, secret: f.secret };
  if (f.placeholder !== undefined) out.placeholder = f.placeholder;
  if (f.default !== undefined) out.default = f.default;
  if (f.options) out.options = f.options;
  if (f.validation && Object.keys(f.validation).length > 0) out.validation = f.validation;
  return out;
}
