import { ManualClock } from '../../src/clock.js';

/** The manual clock, starting at a fixed date: tests move it with advance(). */
export class FakeClock extends ManualClock {
  constructor(start = Date.UTC(2026, 10, 23, 12, 0, 0)) {
    super(start);
  }
}
