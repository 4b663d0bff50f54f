// Credentials the destination emulators accept: fixed, plainly fake (every key carries "sandbox" or
// "SANDBOX"), and shaped so that the connectors' config validation accepts them. Each object holds
// exactly the connector's config fields, so `{ ...SANDBOX_SEGMENT }` is a valid Segment config, and the
// emulator is reached with `opts.baseUrlOverride = emulator.url` (sandbox mode, PIPELINE_SANDBOX=1).
// Every emulator answers a wrong credential with the provider's own refusal (see each emulator).

/** Segment: the source's write key (Basic auth user name, empty password). */
export const SANDBOX_SEGMENT = Object.freeze({
  writeKey: 'sandboxSegmentWriteKey00000000001',
});

/**
 * Braze: a REST API key and the instance's REST endpoint. The endpoint satisfies the connector's host
 * pattern (rest.<instance>.braze.com) but names no real instance; requests go to the emulator through
 * the sandbox override.
 */
export const SANDBOX_BRAZE = Object.freeze({
  restEndpoint: 'https://rest.sandbox-01.braze.com',
  apiKey: 'sandbox-braze-rest-api-key-00000001',
});

/** AWS: an access key pair, the region and the stream (with its account id and ARN, for reference). */
export const SANDBOX_KINESIS = Object.freeze({
  region: 'us-east-1',
  streamName: 'sandbox-events',
  accessKeyId: 'AKIASANDBOXKINESIS01',
  secretAccessKey: 'sandboxKinesisSecretAccessKey/0000000000',
});

export const SANDBOX_AWS_ACCOUNT_ID = '123456789012';

export function kinesisStreamArn(region: string, accountId: string, streamName: string): string {
  return `arn:aws:kinesis:${region}:${accountId}:stream/${streamName}`;
}

/** Every destination emulator's credentials (what startDestinations() hands back). */
export interface DestinationCredentials {
  segment: { writeKey: string };
  braze: { restEndpoint: string; apiKey: string };
  kinesis: { region: string; streamName: string; accessKeyId: string; secretAccessKey: string };
}

export function sandboxDestinationCredentials(): DestinationCredentials {
  return { segment: { ...SANDBOX_SEGMENT }, braze: { ...SANDBOX_BRAZE }, kinesis: { ...SANDBOX_KINESIS } };
}
