/**
 * One client at one point of one scale curve, in a fresh process: `node curveRunner.js '<json>'`. Builds the client,
 * warms up, measures, sends a `CurveMeasurement` to the parent (`curves.ts`), which kills it if it runs too long.
 */
import { pathToFileURL } from "node:url"
import { type BenchClient, clientModules, type ClientName, type MakeClient } from "./BenchClient.js"
import { reportToParent, sampleRss } from "./childProcess.js"
import * as Payloads from "./payloads.js"

export type CurveId = "concurrency" | "stream-length" | "history"

export interface CurveJob {
  readonly curve: CurveId
  readonly client: ClientName
  readonly origin: string
  /** Concurrency, stream length (events) or conversation length (entries). */
  readonly x: number
  /** Requests (concurrency), history fetches (history); one stream is always measured (stream-length). */
  readonly count: number
  /** Requests, streams or fetches before measuring, to warm the JIT and the connection pool. */
  readonly warmup: number
}

/** What a curve process reports for one measured run. */
export interface CurveMeasurement {
  /** Requests, events or fetches measured. */
  readonly ops: number
  /** Client CPU (user + system), µs, during the measured run. */
  readonly cpuMicros: number
  readonly wallMs: number
  /** Highest RSS sampled (every 5 ms) during the measured run, minus the RSS just before it, bytes. */
  readonly peakRssGrowth: number
}

/** The longest stream a warm-up reads: long enough to settle the JIT, short enough to keep 1M-event points bounded. */
export const WARMUP_STREAM_EVENTS = 20_000

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

const load = async (client: ClientName): Promise<MakeClient> =>
  ((await import(clientModules[client])) as { make: MakeClient }).make

const checkTally = async (client: BenchClient, events: number) => {
  const tally = await client.chatStreamTally()
  const characters = Payloads.streamTextLength(events)
  if (tally.events !== events || tally.characters !== characters) {
    throw new Error(`${tally.events} of ${events} events, ${tally.characters} of ${characters} characters`)
  }
}

const checkCount = (what: string, ok: number, expected: number) => {
  if (ok !== expected) throw new Error(`${what}: ${ok} of ${expected} answers as expected`)
}

/** Runs `run` with CPU, wall time and the RSS peak measured around it. */
const measured = async (ops: number, run: () => Promise<void>): Promise<CurveMeasurement> => {
  gc()
  const rss = sampleRss()
  const cpu = process.cpuUsage()
  const started = performance.now()
  await run()
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { ops, cpuMicros: used.user + used.system, wallMs, peakRssGrowth: rss.stop() }
}

/** Measures one point; throws unless every answer checks out. */
export const runCurvePoint = async (job: CurveJob): Promise<CurveMeasurement> => {
  const make = await load(job.client)
  switch (job.curve) {
    case "concurrency": {
      const client = await make(job.origin)
      try {
        checkCount("warm-up", await client.chat(job.warmup, job.x), job.warmup)
        let ok = 0
        const measurement = await measured(job.count, async () => {
          ok = await client.chat(job.count, job.x)
        })
        checkCount(`c=${job.x}`, ok, job.count)
        return measurement
      } finally {
        await client.close()
      }
    }
    case "stream-length": {
      const warmEvents = Math.min(job.x, WARMUP_STREAM_EVENTS)
      const warm = await make(`${job.origin}/n/${warmEvents}`)
      const client = await make(`${job.origin}/n/${job.x}`)
      try {
        for (let i = 0; i < job.warmup; i++) await checkTally(warm, warmEvents)
        return await measured(job.x, () => checkTally(client, job.x))
      } finally {
        await warm.close()
        await client.close()
      }
    }
    case "history": {
      const client = await make(`${job.origin}/n/${job.x}`)
      const history = client.history
      if (history === undefined) throw new Error(`${job.client} has no history call`)
      try {
        checkCount("warm-up", await history(job.warmup, job.x), job.warmup)
        let ok = 0
        const measurement = await measured(job.count, async () => {
          ok = await history(job.count, job.x)
        })
        checkCount(`${job.x} entries`, ok, job.count)
        return measurement
      } finally {
        await client.close()
      }
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  reportToParent(runCurvePoint(JSON.parse(process.argv[2] ?? "{}") as CurveJob))
}
