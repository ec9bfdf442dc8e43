import type { IcingaEvent } from '../src/icinga/event-types.js';
import type { RelayMessage } from '../src/message.js';

export interface FormatContext {
  /** Longest text in characters; longer text is cut and ends with an ellipsis. */
  width: number;
  /**
   * When the object's previous hard state began (seconds since the epoch), if the relay knows it.
   * Events do not carry it; the pipeline tracks it per object and passes it in.
   */
  previousStateSince?: number;
}

/**
 * A pure function of one event: no I/O, no clock, never throws. It works out at once only what
 * routing and noise control read; the text and fields come from its MessageSpec.body, on first read.
 */
export type Formatter = (event: IcingaEvent, context: FormatContext) => RelayMessage;
