/**
 * The scale curves of `pnpm bench`: how each client's cost changes with concurrency, stream length and conversation
 * length. Every point of every client is measured in a fresh process (`curveRunner.ts`), killed after a timeout,
 * clients interleaved, median of the rounds; each curve is written as `results/<id>.json` and drawn as
 * `results/<id>.svg` (`charts.ts`).
 *
 * Selected with `BENCH_SCENARIOS=curves` (all) or by id (`concurrency`, `stream-length`, `history`);
 * `BENCH_CURVE_ROUNDS=n` sets the rounds (default 3, 1 with `BENCH_QUICK=1`, which also uses tiny sizes); a round is
 * started only while the curves fit in `BENCH_CURVE_BUDGET_S` seconds (default 900), and each measurement process
 * is killed after 300 s (60 s quick).
 */
import { fork } from "node:child_process"
import { mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { ClientName } from "./BenchClient.js"
import { type Chart, resultsDir, writeChart } from "./charts.js"
import type { CurveId, CurveJob, CurveMeasurement } from "./curveRunner.js"

export const curveIds: ReadonlyArray<CurveId> = ["concurrency", "stream-length", "history"]

export interface CurvePoint {
  readonly x: number
  readonly count: number
  readonly warmup: number
  /** At most this many rounds (the longest streams: one, long enough to average themselves). */
  readonly rounds?: number | undefined
}

export interface Curve {
  readonly id: CurveId
  /** The clients drawn, in legend order (those that have the call). */
  readonly clients: ReadonlyArray<ClientName>
  readonly points: ReadonlyArray<CurvePoint>
}

const sameFour: ReadonlyArray<ClientName> = ["effect-mistral", "raw undici", "@mistralai/mistralai", "@ai-sdk/mistral"]

/** The curves and their sizes: full, or tiny for `BENCH_QUICK=1`. */
export const curves = (quick: boolean): ReadonlyArray<Curve> => [
  {
    id: "concurrency",
    clients: sameFour,
    // enough requests that every worker makes several; the high points make more in all but fewer per worker, so
    // c=1024 stays within seconds for the slowest client
    points: (quick ? [1, 16, 64] : [1, 4, 16, 64, 256, 1024]).map((c) => ({
      x: c,
      count: quick ? 200 : Math.max(1_000, 2 * c),
      warmup: quick ? 50 : Math.max(300, c)
    }))
  },
  {
    id: "stream-length",
    clients: sameFour,
    // one measured stream per point; the warm-up reads streams of at most 20,000 events
    points: (quick ? [1_000, 10_000] : [1_000, 10_000, 100_000, 1_000_000]).map((n) => ({
      x: n,
      count: 1,
      warmup: quick ? 1 : 2,
      rounds: n >= 1_000_000 ? 1 : undefined
    }))
  },
  {
    id: "history",
    clients: ["effect-mistral", "raw undici", "@mistralai/mistralai"],
    points: (quick ? [100, 1_000] : [100, 1_000, 10_000]).map((n) => ({
      x: n,
      count: Math.max(quick ? 3 : 5, Math.round((quick ? 2_000 : 10_000) / n)),
      warmup: Math.max(2, Math.round((quick ? 1_000 : 5_000) / n))
    }))
  }
]

/** The curves a `BENCH_SCENARIOS` selection asks for: `curves` for all, or their ids. */
export const selectedCurves = (wanted: ReadonlySet<string>, quick: boolean): ReadonlyArray<Curve> =>
  curves(quick).filter((curve) => wanted.has("curves") || wanted.has(curve.id))

/** The medians over the rounds of one client at one point. */
export interface PointMedian {
  /** Client CPU per request, event or fetch, µs. */
  readonly cpuPerOp: number
  readonly opsPerSecond: number
  readonly peakRssGrowthMb: number
}

/** The charts of one curve's medians, keyed `<client>|<x>` (one chart per y quantity). */
export const chartsOf = (curve: Curve, medians: ReadonlyMap<string, PointMedian>): ReadonlyArray<Chart> => {
  const series = (y: (m: PointMedian) => number) =>
    curve.clients
      .map((client) => ({
        name: client,
        points: curve.points.flatMap((point): Array<[number, number]> => {
          const m = medians.get(`${client}|${point.x}`)
          return m === undefined ? [] : [[point.x, round(y(m))]]
        })
      }))
      .filter((s) => s.points.length > 0)
  switch (curve.id) {
    case "concurrency":
      return [
        {
          id: "concurrency-throughput",
          title: "Chat completion throughput against concurrency",
          x: { label: "requests in flight", log: true },
          y: { label: "throughput", unit: "req/s" },
          series: series((m) => m.opsPerSecond)
        },
        {
          id: "concurrency-cpu",
          title: "Client CPU per chat completion against concurrency",
          x: { label: "requests in flight", log: true },
          y: { label: "client CPU per request", unit: "µs" },
          series: series((m) => m.cpuPerOp)
        }
      ]
    case "stream-length":
      return [
        {
          id: "stream-length-cpu",
          title: "Client CPU per event of a streamed chat completion against its length",
          x: { label: "stream length (events)", log: true },
          y: { label: "client CPU per event", unit: "µs" },
          series: series((m) => m.cpuPerOp)
        },
        {
          id: "stream-length-rss",
          title: "Peak RSS growth while reading one stream, against its length",
          x: { label: "stream length (events)", log: true },
          y: { label: "peak RSS growth", unit: "MB" },
          series: series((m) => m.peakRssGrowthMb)
        }
      ]
    case "history":
      return [
        {
          id: "history-decode",
          title: "Conversation history fetch and decode against its length",
          x: { label: "conversation length (entries)", log: true },
          y: { label: "client CPU per history fetch", unit: "ms" },
          series: series((m) => m.cpuPerOp / 1000)
        }
      ]
  }
}

const round = (value: number) => Number(value.toPrecision(4))

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export interface CurveRunOptions {
  readonly origin: string
  readonly quick: boolean
  readonly rounds: number
  /** The clients asked for (`BENCH_CLIENTS`); a curve draws those of its clients that are among them. */
  readonly clients: ReadonlyArray<ClientName>
  /** Where the JSON and SVG files go; `undefined` for nowhere. */
  readonly dir: string | undefined
  readonly log: (line: string) => void
  /** How long one measurement process may run before it is killed, ms. */
  readonly timeoutMs?: number | undefined
  /** Rounds after the first are started only while the curves fit in this many seconds (default 900, quick 300). */
  readonly budgetSeconds?: number | undefined
  /** How a point is measured: by default in a fresh `curveRunner.js` process, killed after `timeoutMs`. */
  readonly measure?: ((job: CurveJob) => Promise<CurveMeasurement>) | undefined
}

export interface CurveRun {
  readonly charts: ReadonlyArray<Chart>
  /** Rounds run (fewer than asked when the budget ran out). */
  readonly rounds: number
  readonly failures: ReadonlyArray<string>
  readonly seconds: number
}

/** Measures one point in a fresh process, killed (SIGKILL) if it has not answered after `timeoutMs`. */
export const measureInChild = (job: CurveJob, timeoutMs: number): Promise<CurveMeasurement> =>
  new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./curveRunner.js", import.meta.url)), [JSON.stringify(job)], {
      execArgv: ["--expose-gc", "--max-old-space-size=4096"],
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, timeoutMs)
    let answer: { measurement?: CurveMeasurement; error?: string } | undefined
    child.on("message", (message) => {
      answer = message as typeof answer
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      const what = `curve ${job.curve} x=${job.x} ${job.client}`
      if (answer?.measurement !== undefined) resolve(answer.measurement)
      else if (timedOut) reject(new Error(`${what}: no answer after ${timeoutMs / 1000} s, killed`))
      else reject(new Error(`${what}: ${answer?.error ?? `exited with ${code}`}`))
    })
  })

const rotate = <A>(items: ReadonlyArray<A>, by: number): Array<A> =>
  items.map((_, i) => items[(i + by) % items.length] as A)

/** Runs the curves, writes their charts (JSON + SVG) and answers them. */
export const runCurves = async (selected: ReadonlyArray<Curve>, options: CurveRunOptions): Promise<CurveRun> => {
  const started = Date.now()
  const timeoutMs = options.timeoutMs ?? (options.quick ? 60_000 : 300_000)
  const budgetMs = (options.budgetSeconds ?? (options.quick ? 300 : 900)) * 1000
  const measure = options.measure ?? ((job: CurveJob) => measureInChild(job, timeoutMs))
  const failures: Array<string> = []
  const charts: Array<Chart> = []
  const runs = new Map<string, Array<CurveMeasurement>>()
  let rounds = 0
  // rounds outermost, so that every curve has its first round before any has its second; a round that would end
  // after the budget is not started (its points keep the medians of the rounds done)
  // the time spent on the points every round repeats: what another round would take
  let repeatedMs = 0
  for (let round = 0; round < options.rounds; round++) {
    const elapsed = Date.now() - started
    if (round > 0 && elapsed + repeatedMs / round > budgetMs) {
      options.log(`curves: ${Math.round(elapsed / 1000)} s after ${round} round(s); another would pass the budget`)
      break
    }
    rounds++
    for (const curve of selected) {
      const clients = curve.clients.filter((client) => options.clients.includes(client))
      for (const [index, point] of curve.points.entries()) {
        if (round >= (point.rounds ?? options.rounds)) continue
        for (const client of rotate(clients, round + index)) {
          const key = `${curve.id}|${client}|${point.x}`
          const pointStarted = Date.now()
          try {
            const m = await measure({
              curve: curve.id,
              client,
              origin: options.origin,
              x: point.x,
              count: point.count,
              warmup: point.warmup
            })
            runs.set(key, [...(runs.get(key) ?? []), m])
            options.log(
              `round ${round + 1}/${options.rounds} curve ${curve.id} x=${point.x} ${client}: ${(m.cpuMicros / m.ops).toFixed(2)} µs/op CPU, ${Math.round(m.ops / (m.wallMs / 1000))} ops/s, +${(m.peakRssGrowth / 2 ** 20).toFixed(1)} MB`
            )
          } catch (error) {
            const message = String(error instanceof Error ? error.message : error)
            failures.push(message)
            options.log(`FAILED ${message}`)
          }
          if (round + 1 < (point.rounds ?? options.rounds)) repeatedMs += Date.now() - pointStarted
        }
      }
    }
  }
  for (const curve of selected) {
    const medians = new Map<string, PointMedian>()
    for (const [key, ms] of runs) {
      if (!key.startsWith(`${curve.id}|`)) continue
      medians.set(key.slice(curve.id.length + 1), {
        cpuPerOp: median(ms.map((m) => m.cpuMicros / m.ops)),
        opsPerSecond: median(ms.map((m) => m.ops / (m.wallMs / 1000))),
        peakRssGrowthMb: median(ms.map((m) => m.peakRssGrowth / 2 ** 20))
      })
    }
    for (const chart of chartsOf(curve, medians)) {
      charts.push(chart)
      if (options.dir !== undefined) {
        mkdirSync(options.dir, { recursive: true })
        writeChart(chart, options.dir)
      }
    }
  }
  return { charts, failures, rounds, seconds: Math.round((Date.now() - started) / 1000) }
}

/** The default place of the curve files. */
export const defaultDir = resultsDir

/** A markdown table of one chart: a row per x, a column per series. */
export const chartTable = (chart: Chart): Array<string> => {
  const xs = [...new Set(chart.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b)
  const header = [chart.x.label, ...chart.series.map((s) => s.name)]
  const format = (value: number) =>
    value >= 100 ? Math.round(value).toLocaleString("en-US") : value >= 10 ? value.toFixed(1) : value.toFixed(2)
  const body = xs.map((x) => [
    x.toLocaleString("en-US"),
    ...chart.series.map((s) => {
      const point = s.points.find((p) => p[0] === x)
      return point === undefined ? "n/a" : format(point[1])
    })
  ])
  const widths = header.map((cell, i) => Math.max(cell.length, 4, ...body.map((row) => row[i]!.length)))
  const line = (row: ReadonlyArray<string>) => `| ${row.map((cell, i) => cell.padStart(widths[i]!)).join(" | ")} |`
  return [
    `${chart.title}, ${chart.y.label}${chart.y.unit === undefined ? "" : ` (${chart.y.unit})`} ([${chart.id}.svg](results/${chart.id}.svg)):`,
    "",
    line(header),
    `| ${widths.map((width) => `${"-".repeat(width - 1)}:`).join(" | ")} |`,
    ...body.map(line)
  ]
}
