// A registered connection: which connector, and its config as stored (secrets as references).
import type { PipelineStore } from '../pipelines/types.js';

export interface ConnectionRecord {
  /** User-chosen id; workflows carry only this. */
  id: string;
  connectorId: string;
  /**
   * Validated against the connector's stored-config schema: secret fields hold env:/file: references
   * or values encrypted at rest (enc:v1:..., see secret-box.ts), never the secret in plaintext.
   */
  config: Record<string, unknown>;
  /** Local emulator base URL; honoured only in sandbox mode and only for loopback hosts. */
  baseUrlOverride?: string;
  createdAt: string;
  updatedAt: string;
}

export interface NewConnection {
  id: string;
  connectorId: string;
  config: Record<string, unknown>;
  baseUrlOverride?: string;
}

export interface ConnectionStore {
  add(input: NewConnection): Promise<ConnectionRecord>;
  /** Adds, or replaces the config of an existing connection of the same connector. */
  put(input: NewConnection): Promise<ConnectionRecord>;
  get(id: string): Promise<ConnectionRecord | null>;
  list(): Promise<ConnectionRecord[]>;
  remove(id: string): Promise<boolean>;
  /** Pipeline definitions, kept in the same store (src/pipelines/). */
  readonly pipelines: PipelineStore;
  /** Releases what the store holds open (a database pool); absent when there is nothing to release. */
  close?(): Promise<void>;
}

export const CONNECTION_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export class ConnectionError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid_config' | 'not_found' | 'conflict' | 'missing_secret',
    readonly issues: { field: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}
