/**
 * One client, one scenario, in a fresh process (so the server's CPU is not counted and clients share no JIT state):
 * `node runner.js '<json>'`. Builds the client, warms up, measures, sends a `Measurement` to the parent.
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { reportToParent, sampleRss } from "./childProcess.js"
import { clientModules, type ClientName, type MakeClient } from "./BenchClient.js"
import { baseUrlFor, type Measurement, runScenario, type Scenario } from "./scenarios.js"

interface Job {
  readonly client: ClientName
  readonly scenario: Scenario
  readonly origin: string
  /** Where to write a CPU profile of the measured run only (not the import, not the warm-up). */
  readonly profile?: string | undefined
}

/** Starts the V8 sampling profiler; the returned function stops it and writes the `.cpuprofile`. */
const startProfiler = async (file: string): Promise<() => Promise<void>> => {
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 100 })
  await session.post("Profiler.start")
  return async () => {
    const { profile } = await session.post("Profiler.stop")
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
  }
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

const main = async (job: Job): Promise<Measurement> => {
  const { make } = (await import(clientModules[job.client])) as { make: MakeClient }
  const client = await make(baseUrlFor(job.origin, job.scenario))
  gc()
  // the warm-up's growth counts too
  const rss = sampleRss()
  await runScenario(client, job.scenario, job.scenario.warmup)
  gc()
  const stopProfiler = job.profile === undefined ? undefined : await startProfiler(job.profile)
  const cpu = process.cpuUsage()
  const started = performance.now()
  await runScenario(client, job.scenario, job.scenario.unit === "event" ? 1 : job.scenario.count)
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  await stopProfiler?.()
  const peakRssGrowth = rss.stop()
  await client.close()
  return {
    ops: job.scenario.count,
    cpuMicros: used.user + used.system,
    wallMs,
    peakRssGrowth
  }
}

reportToParent(main(JSON.parse(process.argv[2] ?? "{}") as Job))
