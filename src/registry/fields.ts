// Field builders: a connector declares its connection and auth fields once, with these. The zod
// validation, the typed config and the UI form description are all derived from that declaration.
import { versionCheck, type VersionPolicy } from './versions.js';

export type FieldKind = 'text' | 'password' | 'textarea' | 'select' | 'number';

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
export function text<const R extends boolean>(o: Common<string, R>): FieldSpec<string, R> {
  return { kind: 'text', secret: false, ...o };
}

export function password<const R extends boolean>(o: Common<string, R>): FieldSpec<string, R> {
  return { kind: 'password', secret: true, ...o };
}

/** Multi-line input; secret when it holds key material (a PEM private key, say). */
export function textarea<const R extends boolean>(o: Common<string, R> & { secret?: boolean }): FieldSpec<string, R> {
  const { secret = false, ...rest } = o;
  return { kind: 'textarea', secret, ...rest };
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
