/**
 * The memory of `Batch.run`, measured: how much its process's resident set grows while it runs batches of 1,000,
 * 10,000 and 100,000 chat requests of about 2 KB each (200 MB of JSONL for the largest) against the emulator, which
 * runs in a child process of its own. Each batch runs in a fresh `node --expose-gc` process: it builds its client,
 * runs a 50-request batch to warm up (code loaded, connections open), collects garbage, takes its RSS as the
 * baseline, then runs the measured batch (requests generated as they are pulled, results counted as they stream
 * back) while sampling `process.memoryUsage.rss()` every 20 ms; the peak also counts `process.resourceUsage().maxRSS`
 * when that rose during the run. The growth is peak minus baseline.
 *
 *   node dist/batchMemory.js [--sizes=1000,10000,100000] [--runs=2] [--out=results/batch-memory.json]
 *
 * Each size also runs with V8's heap capped (`cappedHeap`): what the client holds fits in it, so the default heap's
 * growth is V8 letting garbage accumulate. Prints a table (every run, and the median per size) and writes the chart
 * file (`batch-memory.json`, the medians of both).
 * Goal: the growth at 100,000 requests at most twice the growth at 1,000 (the upload is streamed, the results too).
 */
import { fork } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Batch from "@effect-mistral/core/Batch"
import * as Files from "@effect-mistral/core/Files"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"

const API_KEY = "sk-batch-memory"
const SAMPLE_MS = 20
const WARMUP_REQUESTS = 50
/** A child that takes longer is killed (the 100,000-request run takes well under a minute here). */
const RUN_LIMIT_MS = 600_000
const MB = 1024 * 1024

/** One measured run. */
export interface RunMeasurement {
  readonly requests: number
  readonly baselineMb: number
  readonly peakMb: number
  readonly growthMb: number
  readonly results: number
  readonly seconds: number
}

/** The chart file's format. */
export interface Chart {
  readonly id: "batch-memory"
  readonly title: string
  readonly x: { readonly label: string; readonly log: boolean }
  readonly y: { readonly label: string; readonly unit: string }
  readonly series: ReadonlyArray<{ readonly name: string; readonly points: ReadonlyArray<readonly [number, number]> }>
}

export interface Options {
  readonly sizes?: ReadonlyArray<number> | undefined
  /** Fresh processes per size. Default 2. */
  readonly runs?: number | undefined
  /** Where the chart file goes; none: not written. */
  readonly out?: string | undefined
  /** Lines of progress and the table. Default: `console.log`. */
  readonly log?: ((line: string) => void) | undefined
}

export interface Report {
  readonly runs: ReadonlyArray<RunMeasurement>
  /** The median growth per size, in order of size. */
  readonly medians: ReadonlyArray<readonly [number, number]>
  readonly chart: Chart
}

const here = fileURLToPath(import.meta.url)

/** About 2 KB of JSON per request; the emulator answers each with a few words. */
const filler = "lorem ipsum dolor sit amet ".repeat(74)
const requestOf = (index: number) => ({
  custom_id: `req-${index}`,
  body: {
    model: "mistral-small-latest",
    messages: [{ role: "user" as const, content: `${index} ${filler}` }],
    max_tokens: 8
  }
})

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const round = (value: number) => Math.round(value * 10) / 10

/** A child of this file in `role`; resolves with its one message. */
const child = <A>(role: string, args: ReadonlyArray<string>, execArgv: ReadonlyArray<string> = []) => {
  const process = fork(here, [role, ...args], {
    execArgv: [...execArgv],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const message = new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => process.kill("SIGKILL"), RUN_LIMIT_MS)
    process.once("message", (value) => resolve(value as A))
    process.once("exit", (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`batchMemory ${role} exited (${signal ?? code}) before it reported`))
    })
  })
  return { process, message }
}

/** The chart as the repository's formatter writes JSON (a short array of points on one line). */
const chartJson = (chart: Chart): string => {
  const inline = chart.series.map((series) => JSON.stringify(series.points).replace(/,/g, ", "))
  const placeholders = {
    ...chart,
    series: chart.series.map((series, index) => ({ ...series, points: `@points${index}@` }))
  }
  return `${JSON.stringify(placeholders, null, 2).replace(/"@points(\d+)@"/g, (_, index: string) => inline[Number(index)]!)}\n`
}

/** Measures every size `runs` times, each in a fresh process, against one emulator process. */
/**
 * The V8 flags of the second series: a heap capped well below the batch's size. What the client holds while a batch
 * runs fits in it; the default heap grows because V8 lets garbage accumulate while memory is plentiful.
 */
export const cappedHeap: ReadonlyArray<string> = ["--max-old-space-size=64", "--max-semi-space-size=2"]

const series = [
  { name: "effect-mistral Batch.run", flags: [] as ReadonlyArray<string> },
  { name: "the same, V8 heap capped (old space 64 MB)", flags: cappedHeap }
] as const

/** Measures every size `runs` times with the default heap and with a capped one, each in a fresh process. */
export const measure = async (options: Options = {}): Promise<Report> => {
  const sizes = options.sizes ?? [1_000, 10_000, 100_000]
  const runs = options.runs ?? 2
  const log = options.log ?? ((line: string) => console.log(line))
  const emulator = child<{ readonly url: string }>("emulator", [])
  try {
    const { url } = await emulator.message
    const measured: Array<RunMeasurement & { readonly series: number }> = []
    for (const size of sizes) {
      for (let run = 0; run < runs; run++) {
        for (const [index, { name, flags }] of series.entries()) {
          const worker = child<RunMeasurement>("worker", [url, String(size)], ["--expose-gc", ...flags])
          const result = await worker.message
          worker.process.kill()
          measured.push({ ...result, series: index })
          log(
            `${size.toLocaleString("en-US")} requests, ${name}, run ${run + 1}: +${result.growthMb.toFixed(1)} MB ` +
              `(baseline ${result.baselineMb.toFixed(1)} MB, peak ${result.peakMb.toFixed(1)} MB, ${result.seconds.toFixed(1)} s)`
          )
        }
      }
    }
    const mediansOf = (index: number) =>
      sizes.map(
        (size) =>
          [
            size,
            round(median(measured.filter((m) => m.requests === size && m.series === index).map((m) => m.growthMb)))
          ] as const
      )
    const medians = mediansOf(0)
    const chart: Chart = {
      id: "batch-memory",
      title: "Batch.run peak RSS growth vs requests",
      x: { label: "requests", log: true },
      y: { label: "peak RSS growth", unit: "MB" },
      series: series.map(({ name }, index) => ({ name, points: mediansOf(index) }))
    }
    log("")
    log("| requests | heap | RSS growth, each run (MB) | median (MB) | seconds |")
    log("| ---: | --- | ---: | ---: | ---: |")
    for (const size of sizes) {
      for (const [index, { flags }] of series.entries()) {
        const these = measured.filter((m) => m.requests === size && m.series === index)
        const growth = mediansOf(index).find(([x]) => x === size)?.[1] ?? 0
        log(
          `| ${size.toLocaleString("en-US")} | ${flags.length === 0 ? "default" : flags.join(" ")} | ${these.map((m) => m.growthMb.toFixed(1)).join(", ")} | ${growth.toFixed(1)} | ` +
            `${these.map((m) => m.seconds.toFixed(1)).join(", ")} |`
        )
      }
    }
    if (options.out !== undefined) {
      fs.mkdirSync(path.dirname(options.out), { recursive: true })
      fs.writeFileSync(options.out, chartJson(chart))
      log(`\nwrote ${options.out}`)
    }
    return { runs: measured, medians, chart }
  } finally {
    emulator.process.kill()
  }
}

/** The emulator's process: serves until its parent goes. */
const serveEmulator = async () => {
  const runtime = ManagedRuntime.make(MistralEmulator.layer({ apiKey: API_KEY, batchStep: 10_000 }))
  const emulator = await runtime.runPromise(MistralEmulator.MistralEmulator)
  process.send?.({ url: emulator.url })
  process.on("disconnect", () => {
    void runtime.dispose().then(() => process.exit(0))
  })
}

/** A measuring process: warms up, takes its baseline, runs `count` requests, reports. */
const measureRun = async (url: string, count: number): Promise<RunMeasurement> => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run with --expose-gc")
  const runtime = ManagedRuntime.make(MistralNode.layer({ apiKey: Redacted.make(API_KEY), baseUrl: url }))
  const batch = (requests: number) =>
    Effect.gen(function* () {
      let results = 0
      let job: Batch.JobProgress | undefined
      let fileId: string | undefined
      yield* Stream.runForEach(
        Batch.run(Stream.map(Stream.range(0, requests - 1), requestOf), {
          endpoint: "/v1/chat/completions",
          schedule: Schedule.spaced("50 millis"),
          onProgress: (progress) =>
            Effect.sync(() => {
              if (progress._tag === "JobProgress") job = progress
              if (progress._tag === "Uploaded") fileId = progress.fileId
            })
        }),
        () => Effect.sync(() => void results++)
      )
      return { results, job, fileId }
    })
  // what the run leaves in the emulator goes, so that the emulator does not grow from run to run
  const cleanUp = (done: { readonly job: Batch.JobProgress | undefined; readonly fileId: string | undefined }) =>
    Effect.ignore(
      Effect.all(
        [done.fileId, done.job?.job.output_file, done.job?.job.error_file]
          .filter((id): id is string => typeof id === "string")
          .map((id) => Files.delete(id))
      )
    )
  await runtime.runPromise(Effect.flatMap(batch(WARMUP_REQUESTS), cleanUp))
  gc()
  gc()
  const baseline = process.memoryUsage.rss()
  const maxRssBefore = process.resourceUsage().maxRSS * 1024
  let peak = baseline
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, SAMPLE_MS)
  const started = performance.now()
  const done = await runtime.runPromise(batch(count))
  const seconds = (performance.now() - started) / 1000
  clearInterval(timer)
  peak = Math.max(peak, process.memoryUsage.rss())
  const maxRss = process.resourceUsage().maxRSS * 1024
  // a maxRSS that rose during the run is a peak of the run (possibly between two samples)
  if (maxRss > maxRssBefore) peak = Math.max(peak, maxRss)
  await runtime.runPromise(cleanUp(done))
  await runtime.dispose()
  if (done.results !== count) throw new Error(`${count} requests gave ${done.results} results`)
  return {
    requests: count,
    baselineMb: round(baseline / MB),
    peakMb: round(peak / MB),
    growthMb: round((peak - baseline) / MB),
    results: done.results,
    seconds: round(seconds)
  }
}

const flag = (name: string): string | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3)

if (import.meta.url === `file://${process.argv[1]}`) {
  const [role, ...args] = process.argv.slice(2)
  if (role === "emulator") {
    await serveEmulator()
  } else if (role === "worker") {
    const result = await measureRun(args[0]!, Number(args[1]))
    process.send?.(result)
    process.disconnect?.()
  } else {
    const sizes = flag("sizes")?.split(",").map(Number)
    const runs = flag("runs")
    const report = await measure({
      sizes,
      runs: runs === undefined ? undefined : Number(runs),
      out: flag("out") ?? fileURLToPath(new URL("../results/batch-memory.json", import.meta.url))
    })
    const first = report.medians[0]
    const last = report.medians.at(-1)
    if (first !== undefined && last !== undefined && report.medians.length > 1) {
      const ratio = last[1] / first[1]
      console.log(
        `\ngrowth at ${last[0].toLocaleString("en-US")} / growth at ${first[0].toLocaleString("en-US")}: ${ratio.toFixed(2)} (goal ≤ 2)`
      )
    }
  }
}
