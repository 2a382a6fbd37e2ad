/**
 * The fault suite's common shape (issue 9). Each scenario is a function that drives the real broker, database and
 * apps through one kind of fault and counts what it promised: nothing lost, nothing applied twice, no 5xx.
 * `npm run test:faults` runs them at full size and prints/appends the table; CI runs them small through jest
 * (test/faults/*.faults-spec.ts).
 */
export interface ScenarioOptions {
  /** Small sizes for CI; the full sizes of the issue otherwise. */
  quick: boolean;
  /** Seed for every random choice, so a failing run can be repeated. */
  seed: number;
}

export interface ScenarioResult {
  scenario: string;
  /** Repetitions of the fault (kills, outages, inputs sent…). */
  runs: number;
  /** Events (or requests) that went through the system under fault. */
  events: number;
  lost: number;
  duplicated: number;
  /** HTTP answers of 500 and above (a 503 with a clear message during an outage is counted apart, in notes). */
  http5xx: number;
  /** Everything promised held. */
  passed: boolean;
  /** Short facts worth printing (peak RSS, quarantine reasons, seconds taken…). */
  notes: string[];
}

export type Scenario = (options: ScenarioOptions) => Promise<ScenarioResult>;
