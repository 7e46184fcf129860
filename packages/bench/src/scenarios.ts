/**
 * The scenarios, their sizes (full and `BENCH_QUICK=1`), and the measurement a client process reports back.
 */
import type { BenchClient } from "./BenchClient.js"
import * as Payloads from "./payloads.js"

export type ScenarioId = "S1" | "S2" | "S3" | "S4"

export interface Scenario {
  readonly id: ScenarioId
  readonly title: string
  /** What one "op" is in the table. */
  readonly unit: "request" | "event"
  /** Requests, or events of the one stream. */
  readonly count: number
  /** Requests made (or streams read) before measuring, to warm the JIT and the connection pool. */
  readonly warmup: number
  readonly concurrency: number
}

export const scenarios = (quick: boolean): ReadonlyArray<Scenario> => [
  {
    id: "S1",
    title: "conversation start, sequential",
    unit: "request",
    count: quick ? 200 : 2_000,
    warmup: quick ? 50 : 1_000,
    concurrency: 1
  },
  {
    id: "S2",
    title: "conversation start, concurrency 64",
    unit: "request",
    count: quick ? 1_000 : 10_000,
    warmup: quick ? 200 : 5_000,
    concurrency: 64
  },
  {
    id: "S3",
    title: "conversation stream, message.output.delta events",
    unit: "event",
    count: quick ? 2_000 : 20_000,
    // a backend client runs warm: three whole streams let every client's JIT settle before measuring
    warmup: quick ? 1 : 3,
    concurrency: 1
  },
  {
    id: "S4",
    title: "chat completion stream, chunks",
    unit: "event",
    count: quick ? 2_000 : 20_000,
    // a backend client runs warm: three whole streams let every client's JIT settle before measuring
    warmup: quick ? 1 : 3,
    concurrency: 1
  }
]

/** The base URL a scenario's client is made with: streams carry their size in a `/n/<events>` prefix. */
export const baseUrlFor = (origin: string, scenario: Scenario): string =>
  scenario.unit === "event" ? `${origin}/n/${scenario.count}` : origin

/** Runs a scenario `times` times (for streams: `times` streams), throwing unless every answer checks out. */
export const runScenario = async (client: BenchClient, scenario: Scenario, times: number): Promise<void> => {
  switch (scenario.id) {
    case "S1":
    case "S2": {
      const ok =
        scenario.concurrency === 1
          ? await client.sequential(times)
          : await client.concurrent(times, scenario.concurrency)
      if (ok !== times) throw new Error(`${scenario.id}: ${ok} of ${times} answers as expected`)
      return
    }
    case "S3":
    case "S4": {
      const expected = Payloads.streamText(scenario.count)
      for (let i = 0; i < times; i++) {
        const result = scenario.id === "S3" ? await client.conversationStream() : await client.chatStream()
        if (result.events !== scenario.count || result.text !== expected) {
          throw new Error(
            `${scenario.id}: ${result.events} of ${scenario.count} events, text ${result.text === expected ? "as expected" : "differs"}`
          )
        }
      }
    }
  }
}

/** What a client process reports for one measured run. */
export interface Measurement {
  readonly ops: number
  /** Client CPU (user + system), µs, during the measured run. */
  readonly cpuMicros: number
  readonly wallMs: number
  /** Highest RSS sampled (every 5 ms) after the client was built, warm-up included, minus the RSS then, bytes. */
  readonly peakRssGrowth: number
}
