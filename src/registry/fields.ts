// Field builders: a connector declares its connection and auth fields once, with these. The zod
// validation, the typed config and the UI form description are all derived from that declaration.
import { versionCheck, type VersionPolicy } from './versions.js';

export type FieldKind = 'text' | 'password' | 'textarea' | 'select' | 'number';

/**
 * Which characters a text field accepts, besides what its pattern says:
 * - `single_line` (the default of text and password fields): no control characters (NUL, CR, LF,
 *   tab, DEL, C1), no invisible formatting characters (zero-width space/joiners, bidi embeddings,
 *   overrides and isolates, soft hyphen, byte-order mark), no line/paragraph separators, no unpaired
 *   surrogates. Such characters are never part of a key, id, address or URL; pasted by mistake
 *   they make the HTTP client refuse the header, or hide what a value really is.
 * - `multi_line` (the default of textareas): the same, but line breaks (LF, CR) and tabs are allowed.
 * - `any`: no rule (a field that must carry such characters says so explicitly).
 */
export type CharacterRule = 'single_line' | 'multi_line' | 'any';

/**
 * The characters each rule refuses, as regular-expression sources (flag `u`), so that a UI can apply
 * the same rule as the engine.
 */
export const FORBIDDEN_CHARACTERS: Readonly<Record<Exclude<CharacterRule, 'any'>, string>> = {
  single_line: '[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}]',
  multi_line: '(?![\\t\\n\\r])[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}]',
};

/**
 * Default length limits (characters), applied by the builders and by defineConnector to any text
 * field that declares none, so that no value of any size reaches a pattern, a normalizer or a
 * request. A field overrides them with its own `validation.maxLength`.
 */
export const DEFAULT_MAX_LENGTH = {
  /** Ids, names, addresses, dates. */
  text: 256,
  /** API keys, tokens, passwords (AWS session tokens and Meta system-user tokens run to a few hundred characters). */
  password: 4_096,
  /** Multi-line values such as a PEM private key. */
  textarea: 16_384,
  /** Any field with a `url` rule (webhook URLs, hosts). */
  url: 2_048,
} as const;

/** Validation rules as plain data, so a UI can apply the same rules as the engine. */
export interface ValidationHints {
  /** Regular expression source the whole (trimmed) value must match. */
  pattern?: string;
  patternFlags?: string;
  /** What the pattern means in words ("AC followed by 32 hex characters"). Used in error messages. */
  patternDescription?: string;
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
  integer?: boolean;
  /** The value is a URL: https only, host in the allow-list. */
  url?: { hosts?: readonly string[]; hostSuffixes?: readonly string[]; hostPatterns?: readonly string[] };
  /** Which characters the value may hold (text kinds; default single_line, multi_line for textareas). */
  characters?: CharacterRule;
}

const isTextKind = (kind: FieldKind) => kind === 'text' || kind === 'password' || kind === 'textarea';

/**
 * The rules a text field is validated with: its own hints over the defaults of its kind (a length
 * limit and a character rule). Other kinds have no text rules. Undefined members of `hints` do not
 * erase a default.
 */
export function textRules(kind: FieldKind, hints: ValidationHints | undefined): ValidationHints {
  const own = Object.fromEntries(Object.entries(hints ?? {}).filter(([, v]) => v !== undefined)) as ValidationHints;
  if (!isTextKind(kind)) return own;
  const maxLength = own.url ? DEFAULT_MAX_LENGTH.url : DEFAULT_MAX_LENGTH[kind as 'text' | 'password' | 'textarea'];
  return { maxLength, characters: kind === 'textarea' ? 'multi_line' : 'single_line', ...own };
}

export interface SelectOption<V extends string = string> {
  value: V;
  label: string;
}

export interface FieldSpec<T = unknown, R extends boolean = boolean> {
  kind: FieldKind;
  label: string;
  help: string;
  required: R;
  /** Secret values are write-only: redacted everywhere, resolvable from env:/file: references. */
  secret: boolean;
  placeholder?: string;
  default?: T;
  options?: readonly SelectOption[];
  validation?: ValidationHints;
  /** A rule the hints cannot express. Returns the problem, or null. Not part of the form spec. */
  check?: (value: T) => string | null;
  /** Turns accepted input into the stored form (e.g. an admin URL into a shop domain). */
  normalize?: (value: T) => T;
  /** Phantom member carrying the value type for ConfigOf<>; never set at run time. */
  readonly __value?: T;
}

// `any` here only widens the phantom value type so that any field fits a FieldMap.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyField = FieldSpec<any, boolean>;
export type FieldMap = Record<string, AnyField>;

interface Common<T, R extends boolean> {
  label: string;
  help: string;
  required: R;
  placeholder?: string;
  default?: T;
  validation?: ValidationHints;
  check?: (value: T) => string | null;
  normalize?: (value: T) => T;
}

// `const R` on every builder: called inline inside defineConnector({...}), the contextual FieldMap type
// would otherwise widen `required: true` to boolean, and ConfigOf would make every field optional.
// Text builders carry the default limits in their hints, so that the form spec shows them to a UI.
export function text<const R extends boolean>(o: Common<string, R>): FieldSpec<string, R> {
  return { kind: 'text', secret: false, ...o, validation: textRules('text', o.validation) };
}

export function password<const R extends boolean>(o: Common<string, R>): FieldSpec<string, R> {
  return { kind: 'password', secret: true, ...o, validation: textRules('password', o.validation) };
}

/** Multi-line input; secret when it holds key material (a PEM private key, say). */
export function textarea<const R extends boolean>(o: Common<string, R> & { secret?: boolean }): FieldSpec<string, R> {
  const { secret = false, ...rest } = o;
  return { kind: 'textarea', secret, ...rest, validation: textRules('textarea', rest.validation) };
}

export function select<const V extends string, const R extends boolean>(
  o: Omit<Common<V, R>, 'validation'> & { options: readonly SelectOption<V>[] },
): FieldSpec<V, R> {
  return { kind: 'select', secret: false, ...o };
}

export function number<const R extends boolean>(
  o: Omit<Common<number, R>, 'validation'> & { min?: number; max?: number; integer?: boolean },
): FieldSpec<number, R> {
  const { min, max, integer, ...rest } = o;
  const validation: ValidationHints = {};
  if (min !== undefined) validation.min = min;
  if (max !== undefined) validation.max = max;
  if (integer) validation.integer = true;
  return { kind: 'number', secret: false, validation, ...rest };
}

/** Field value types, for deriving the typed config from a declaration. */
type ValueOf<F> = F extends FieldSpec<infer T, boolean> ? T : never;
type RequiredKeys<M> = { [K in keyof M]: M[K] extends { required: true } ? K : never }[keyof M];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type FieldValues<M extends FieldMap> = Simplify<
  { [K in RequiredKeys<M>]: ValueOf<M[K]> } & { [K in Exclude<keyof M, RequiredKeys<M>>]?: ValueOf<M[K]> }
>;

/**
 * The field holding a pinned provider API version: a select of the versions the registry declares
 * (src/registry/versions.ts), defaulting to the current one, refusing a retired one by date.
 */
export function apiVersionField(connectorName: string, policy: VersionPolicy, o: { help: string; required?: false }): FieldSpec<string, false> {
  return {
    kind: 'select',
    secret: false,
    label: policy.label.charAt(0).toUpperCase() + policy.label.slice(1),
    help: `${o.help} ${policy.rule}`,
    required: false,
    default: policy.current,
    options: policy.versions.map((v) => ({
      value: v.version,
      label: v.version === policy.current
        ? `${v.version} (current)`
        : v.retiresOn
          ? `${v.version} (retires ${v.retiresOn})`
          : v.supportedUntil
            ? `${v.version} (supported until ${v.supportedUntil})`
            : v.version,
    })),
    check: versionCheck(connectorName, policy),
  };
}
