// Local emulators of the batch destinations (Segment, Braze, Kinesis) and the Slack webhook receiver,
// for pipeline tests, the demo and benchmarks. Executors reach them through CallOptions.baseUrlOverride
// (sandbox mode only, PIPELINE_SANDBOX=1), with the fixed fake credentials of ./credentials.ts:
//
//   const d = await startDestinations();
//   await getExecutor('segment').sendBatch!(d.credentials.segment, events, { baseUrlOverride: d.segment.url });
//   d.segment.unique(); d.segment.duplicates(); d.kinesis.faults.set({ throttleRecords: { share: 0.1 } });
//   await d.close();
//
// Every emulator takes faults in process (emulator.faults) and over HTTP (POST /_sandbox/faults, see
// ./faults.ts), and reports what it received (received, requests, stats(), reset()).
import { startBrazeEmulator, type BrazeEmulator, type BrazeEmulatorOptions } from './braze.js';
import { sandboxDestinationCredentials, type DestinationCredentials } from './credentials.js';
import { startKinesisEmulator, type KinesisEmulator, type KinesisEmulatorOptions } from './kinesis.js';
import { startSegmentEmulator, type SegmentEmulator, type SegmentEmulatorOptions } from './segment.js';
import { startSlackReceiver, type SlackReceiver } from './slack.js';

export * from './braze.js';
export * from './credentials.js';
export * from './faults.js';
export * from './kinesis.js';
export * from './segment.js';
export * from './slack.js';

export interface DestinationsOptions {
  host?: string;
  segment?: SegmentEmulatorOptions;
  braze?: BrazeEmulatorOptions;
  kinesis?: KinesisEmulatorOptions;
  /** Fixed ports (0 or absent: free ports). */
  ports?: { segment?: number; braze?: number; kinesis?: number; slack?: number };
}

export interface Destinations {
  segment: SegmentEmulator;
  braze: BrazeEmulator;
  kinesis: KinesisEmulator;
  slack: SlackReceiver;
  /** The credentials each emulator accepts by default, as connector configs. */
  credentials: DestinationCredentials;
  /** Each emulator's base URL, for opts.baseUrlOverride (Slack: the receiver's origin; webhooks POST to /services/…). */
  urls: { segment: string; braze: string; kinesis: string; slack: string };
  close(): Promise<void>;
}

/** Starts the Segment, Braze and Kinesis emulators and the Slack receiver; close() stops all four. */
export async function startDestinations(opts: DestinationsOptions = {}): Promise<Destinations> {
  const host = opts.host ?? '127.0.0.1';
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    await Promise.allSettled(started.map((s) => s.close()));
  };
  try {
    const segment = await startSegmentEmulator({ host, port: opts.ports?.segment ?? 0, ...opts.segment });
    started.push(segment);
    const braze = await startBrazeEmulator({ host, port: opts.ports?.braze ?? 0, ...opts.braze });
    started.push(braze);
    const kinesis = await startKinesisEmulator({ host, port: opts.ports?.kinesis ?? 0, ...opts.kinesis });
    started.push(kinesis);
    const slack = await startSlackReceiver(host, opts.ports?.slack ?? 0);
    started.push(slack);
    return {
      segment,
      braze,
      kinesis,
      slack,
      credentials: sandboxDestinationCredentials(),
      urls: { segment: segment.url, braze: braze.url, kinesis: kinesis.url, slack: slack.url },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
