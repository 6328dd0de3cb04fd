import type { VarlinkAddress } from '../../varlink/address.js';
import type { VarlinkClient } from '../../varlink/varlink-client.js';
import type { RawVarlinkConnection } from './raw-varlink-connection.js';

/** What a Varlink case gets; every connection opened through it is closed once the case ends. */
export interface VarlinkCaseContext {
  readonly address: VarlinkAddress;
  /** How long to wait for one expected reply. */
  readonly timeoutMs: number;
  /** How long a service may take to close a connection it must close. */
  readonly closeTimeoutMs: number;
  /** A new raw connection. */
  open(): Promise<RawVarlinkConnection>;
  /** A new client connection (our VarlinkClient, which checks the replies' envelopes itself). */
  client(): Promise<VarlinkClient>;
  /** The service's interfaces, from one GetInfo (cached across cases). */
  interfaces(): Promise<readonly string[]>;
}

/** One named check of a Varlink service; passes by returning, fails with CaseFailure, skips with CaseSkip. */
export interface VarlinkCase {
  readonly name: string;
  run(ctx: VarlinkCaseContext): Promise<void>;
}
