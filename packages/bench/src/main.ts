/**
 * `pnpm bench`: starts the loopback server in its own process, runs every scenario with every client (each run in a
 * fresh process, clients interleaved, median of the rounds), prints a markdown table and writes it to
 * `packages/bench/results.md`.
 *
 * Environment: `BENCH_QUICK=1` (small counts, 2 rounds), `BENCH_ROUNDS=n`, `BENCH_CLIENTS=a,b` and
 * `BENCH_SCENARIOS=S1,S5` (subsets; `curves` for the scale curves, or their ids `concurrency`, `stream-length`,
 * `history`, and `batch` for `Batch.run`'s memory against its size, which `batchMemory.ts` measures;
 * `BENCH_CURVE_ROUNDS=n`, `BENCH_CURVE_BUDGET_S=s` — see `curves.ts`, which writes `results/<id>.json` and
 * `.svg`, or for a quick run into a temporary directory; `BENCH_CURVE_DIR=<dir>` sets it), `BENCH_PROFILE=<dir>` (each client process writes a CPU profile of its measured run there; read one with
 * `node dist/profile.js <file>`),
 * `BENCH_OUT=<file>` (where to write the results; `-` for nowhere).
 *
 * Timings never fail the run; a client whose answers do not check out does.
 */
import { type ChildProcess, fork, spawn } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import * as Os from "node:os"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { type ClientName, clientNames, observabilityClients, supports } from "./BenchClient.js"
import * as BatchMemory from "./batchMemory.js"
import { writeChart } from "./charts.js"
import { chartTable, defaultDir, runCurves, selectedCurves } from "./curves.js"
import { type Measurement, type Scenario, type ScenarioId, scenarios } from "./scenarios.js"

const env = process.env
const quick = env.BENCH_QUICK === "1"
const rounds = Math.max(1, Number(env.BENCH_ROUNDS ?? (quick ? 2 : 5)))
const clients = (env.BENCH_CLIENTS?.split(",") ?? clientNames).filter((name): name is ClientName =>
  (clientNames as ReadonlyArray<string>).includes(name)
)
const wanted = new Set(env.BENCH_SCENARIOS?.split(",") ?? ["S1", "S2", "S3", "S4", "S5", "curves"])
const batchWanted = wanted.has("curves") || wanted.has("batch")
const curvePlan = selectedCurves(wanted, quick)
const curveRounds = Math.max(1, Number(env.BENCH_CURVE_ROUNDS ?? (quick ? 1 : 3)))
// a quick run's tiny curves do not replace the committed ones
const curveDir = env.BENCH_CURVE_DIR ?? (quick ? join(Os.tmpdir(), "effect-mistral-bench-curves") : defaultDir)
const profileDir = env.BENCH_PROFILE
if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true })
const out = env.BENCH_OUT ?? fileURLToPath(new URL("../results.md", import.meta.url))
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const CHILD_TIMEOUT_MS = 10 * 60_000
const raw: ClientName = "raw undici"
const official: ClientName = "@mistralai/mistralai"
const ours: ClientName = "effect-mistral"
/** S5's floor: a process that only imports `effect` and `@effect/platform/HttpClient`. */
const coldBaseline = "effect + HttpClient import only"
/** Drives the requests differently; its streams would be `effect-mistral`'s again. */
const perCall: ClientName = "effect-mistral (runPromise per call)"

const log = (line: string) => process.stderr.write(`${line}\n`)

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Kills a child that outlives its budget, by its handle. */
const bounded = (child: ChildProcess, what: string) =>
  setTimeout(() => {
    log(`${what}: no answer after ${CHILD_TIMEOUT_MS / 1000} s, killing it`)
    child.kill("SIGKILL")
  }, CHILD_TIMEOUT_MS)

const startServer = (events: ReadonlyArray<number>): Promise<{ origin: string; child: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const child = fork(
      here("./serverMain.js"),
      events.map((n) => String(n)),
      { stdio: ["ignore", "inherit", "inherit", "ipc"] }
    )
    child.once("message", (message) => resolve({ origin: (message as { origin: string }).origin, child }))
    child.once("exit", (code) => reject(new Error(`the bench server exited with ${code}`)))
  })

const measure = (client: ClientName, scenario: Scenario, origin: string, round: number): Promise<Measurement> =>
  new Promise((resolve, reject) => {
    const profile =
      profileDir === undefined
        ? undefined
        : join(profileDir, `${client.replace(/[^a-z0-9]+/gi, "-")}-${scenario.id}-${round + 1}.cpuprofile`)
    const child = fork(here("./runner.js"), [JSON.stringify({ client, scenario, origin, profile })], {
      execArgv: ["--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    const timer = bounded(child, `${client} ${scenario.id}`)
    let answer: { measurement?: Measurement; error?: string } | undefined
    child.on("message", (message) => {
      answer = message as typeof answer
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      if (answer?.measurement !== undefined) resolve(answer.measurement)
      else reject(new Error(`${client} ${scenario.id}: ${answer?.error ?? `exited with ${code}`}`))
    })
  })

/** S5: spawn to exit of a process that imports the client and makes one request, ms. */
const coldStart = (args: ReadonlyArray<string>): Promise<number> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] })
    const timer = bounded(child, `cold ${args.join(" ")}`)
    child.once("exit", (code) => {
      clearTimeout(timer)
      const elapsed = performance.now() - started
      if (code === 0) resolve(elapsed)
      else reject(new Error(`cold start ${args.slice(1).join(" ")} exited with ${code}`))
    })
  })

const rotate = <A>(items: ReadonlyArray<A>, by: number): Array<A> =>
  items.map((_, i) => items[(i + by) % items.length] as A)

interface Row {
  readonly cpuPerOp: number
  readonly opsPerSecond: number
  readonly peakRssMb: number
}

const format = (value: number, digits = 1) =>
  value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(digits)
const ratio = (value: number, base: number | undefined) =>
  base === undefined || base <= 0 ? "–" : `${(value / base).toFixed(2)}×`

/** A markdown table with padded columns (as the formatter writes it); `right` marks right-aligned columns. */
const table = (
  header: ReadonlyArray<string>,
  right: ReadonlyArray<boolean>,
  body: ReadonlyArray<ReadonlyArray<string>>
) => {
  const widths = header.map((cell, i) => Math.max(cell.length, right[i] ? 4 : 3, ...body.map((row) => row[i]!.length)))
  const line = (row: ReadonlyArray<string>) =>
    `| ${row.map((cell, i) => (right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(" | ")} |`
  const rule = `| ${widths.map((width, i) => (right[i] ? `${"-".repeat(width - 1)}:` : "-".repeat(width))).join(" | ")} |`
  return [line(header), rule, ...body.map(line)]
}

const main = async () => {
  const plan = scenarios(quick).filter((scenario) => wanted.has(scenario.id))
  const { origin, child: server } = await startServer(plan.filter((s) => s.unit === "event").map((s) => s.count))
  const failures: Array<string> = []
  const results = new Map<string, Array<Measurement>>()
  const cold = new Map<string, Array<number>>()
  const started = Date.now()
  let curveRun: Awaited<ReturnType<typeof runCurves>> | undefined
  let batchChart: BatchMemory.Chart | undefined
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [index, scenario] of plan.entries()) {
        for (const client of rotate(clients, round + index)) {
          if (client === perCall && scenario.unit === "event") continue
          if (!supports(client, scenario.id)) continue
          try {
            const measurement = await measure(client, scenario, origin, round)
            const key = `${scenario.id}|${client}`
            results.set(key, [...(results.get(key) ?? []), measurement])
            log(
              `round ${round + 1}/${rounds} ${scenario.id} ${client}: ${format(measurement.cpuMicros / measurement.ops)} µs/op, ${format(measurement.ops / (measurement.wallMs / 1000))} ops/s, +${format(measurement.peakRssGrowth / 2 ** 20)} MB`
            )
          } catch (error) {
            failures.push(String(error instanceof Error ? error.message : error))
            log(`FAILED ${String(error instanceof Error ? error.message : error)}`)
          }
        }
      }
      if (wanted.has("S5")) {
        const variants: Array<[string, Array<string>]> = clients
          .filter((client) => !observabilityClients.includes(client) && client !== perCall && supports(client, "S5"))
          .map((client) => [client, [here("./cold.js"), client]])
        if (clients.includes(ours)) variants.push([`${ours} (barrel imports)`, [here("./cold.js"), ours, "barrel"]])
        variants.push(["node (empty process)", ["-e", "0"]])
        variants.push([coldBaseline, [here("./cold.js"), "baseline"]])
        for (const [name, args] of rotate(variants, round)) {
          try {
            const ms = await coldStart(
              name === "node (empty process)" || name === coldBaseline
                ? args
                : [...args.slice(0, 2), origin, ...args.slice(2)]
            )
            cold.set(name, [...(cold.get(name) ?? []), ms])
            log(`round ${round + 1}/${rounds} S5 ${name}: ${format(ms)} ms`)
          } catch (error) {
            failures.push(String(error instanceof Error ? error.message : error))
            log(`FAILED ${String(error instanceof Error ? error.message : error)}`)
          }
        }
      }
    }
    if (curvePlan.length > 0) {
      curveRun = await runCurves(curvePlan, {
        origin,
        quick,
        rounds: curveRounds,
        clients,
        dir: out === "-" ? undefined : curveDir,
        log,
        budgetSeconds: env.BENCH_CURVE_BUDGET_S === undefined ? undefined : Number(env.BENCH_CURVE_BUDGET_S)
      })
      failures.push(...curveRun.failures)
    }
    if (batchWanted) {
      try {
        const report = await BatchMemory.measure({
          sizes: quick ? [200, 1_000] : undefined,
          runs: quick ? 1 : 2,
          out: out === "-" ? undefined : join(curveDir, "batch-memory.json"),
          log
        })
        batchChart = report.chart
        if (out !== "-") writeChart(report.chart, curveDir)
      } catch (error) {
        failures.push(`batch memory: ${String(error instanceof Error ? error.message : error)}`)
      }
    }
  } finally {
    server.disconnect()
  }

  const rows = new Map<string, Row>()
  for (const [key, measurements] of results) {
    rows.set(key, {
      cpuPerOp: median(measurements.map((m) => m.cpuMicros / m.ops)),
      opsPerSecond: median(measurements.map((m) => m.ops / (m.wallMs / 1000))),
      peakRssMb: median(measurements.map((m) => m.peakRssGrowth / 2 ** 20))
    })
  }
  const coldMs = new Map([...cold].map(([name, values]) => [name, median(values)]))

  const lines: Array<string> = []
  const cpus = Os.cpus()
  lines.push("# effect-mistral benchmarks", "")
  lines.push(
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, ${format(Os.totalmem() / 2 ** 30)} GiB, ${Os.platform()} ${Os.release()}`,
    `- node ${process.version}; ${quick ? "QUICK run (small counts)" : "full run"}, median of ${rounds} round(s), clients interleaved, each client × scenario in a fresh process (server in its own process, its CPU not counted); ${Math.round((Date.now() - started) / 1000)} s`,
    "- clients: `effect-mistral` = `MistralNode.layer` (lean undici transport, default retry policy on); `effect-mistral+layerUndici` = `MistralNode.layerWithoutHttpClient` + `NodeHttpClient.layerUndici`; `effect-mistral (runPromise per call)` = `MistralNode.layer` driven from promise code, one `runtime.runPromise` per request (the others run each loop as one effect); `@mistralai/mistralai` 2.7.0 with its defaults (retries off, global fetch); `raw undici` = `undici.request` + `JSON.parse` (+ a minimal SSE splitter), no validation; `@ai-sdk/mistral` 3 = the Vercel AI SDK (`ai` 6, `generateText`/`streamText`) with its defaults (maxRetries 2, global fetch), chat completions only (no conversations API: n/a)",
    ""
  )
  const body: Array<Array<string>> = []
  for (const scenario of plan) {
    const base = rows.get(`${scenario.id}|${raw}`)
    for (const client of clients) {
      const row = rows.get(`${scenario.id}|${client}`)
      if (row === undefined && !supports(client, scenario.id)) {
        body.push([
          `${scenario.id} ${scenario.title} (${scenario.count.toLocaleString("en-US")} ${scenario.unit}s${scenario.concurrency > 1 ? `, c=${scenario.concurrency}` : ""})`,
          client,
          "n/a",
          "n/a",
          "n/a",
          "n/a",
          "n/a"
        ])
        continue
      }
      if (row === undefined || observabilityClients.includes(client)) continue
      body.push([
        `${scenario.id} ${scenario.title} (${scenario.count.toLocaleString("en-US")} ${scenario.unit}s${scenario.concurrency > 1 ? `, c=${scenario.concurrency}` : ""})`,
        client,
        format(row.cpuPerOp),
        ratio(row.cpuPerOp, base?.cpuPerOp),
        format(row.opsPerSecond, 0),
        format(row.peakRssMb),
        ratio(row.peakRssMb, base?.peakRssMb)
      ])
    }
  }
  lines.push(
    ...table(
      ["Scenario", "Client", "CPU µs/op", "CPU × raw", "ops/s", "peak RSS Δ MB", "RSS × raw"],
      [false, false, true, true, true, true, true],
      body
    )
  )
  const observed: Array<Array<string>> = []
  for (const scenario of plan) {
    const base = rows.get(`${scenario.id}|${ours}`)
    for (const client of [ours, ...observabilityClients]) {
      const row = rows.get(`${scenario.id}|${client}`)
      if (row === undefined || !clients.includes(client)) continue
      observed.push([
        `${scenario.id} ${scenario.title}`,
        client,
        format(row.cpuPerOp),
        ratio(row.cpuPerOp, base?.cpuPerOp),
        format(row.opsPerSecond, 0)
      ])
    }
  }
  if (observed.some((row) => row[1] !== ours)) {
    lines.push(
      "",
      "Observability: `effect-mistral` records its metrics by default and makes no span with the built-in tracer;",
      "`(metrics off)` is `metrics: false`; `+OpenTelemetry SDK` adds NodeSdk (batch span processor, metric reader,",
      "exporters that drop what they get): a client span, the trace context and the metrics on every call.",
      "",
      ...table(
        ["Scenario", "Client", "CPU µs/op", "× effect-mistral", "ops/s"],
        [false, false, true, true, true],
        observed
      )
    )
  }
  if (coldMs.size > 0) {
    lines.push(
      "",
      ...table(
        ["S5 import + first request (fresh process, spawn to exit)", "ms", "× raw", "× official SDK"],
        [false, true, true, true],
        [...coldMs].map(([name, ms]) => [name, format(ms), ratio(ms, coldMs.get(raw)), ratio(ms, coldMs.get(official))])
      )
    )
  }

  const targets: Array<[string, boolean | undefined]> = []
  const cpuRatio = (id: ScenarioId) => {
    const a = rows.get(`${id}|${ours}`)
    const b = rows.get(`${id}|${raw}`)
    return a === undefined || b === undefined ? undefined : a.cpuPerOp / b.cpuPerOp
  }
  const rssRatio = (id: ScenarioId) => {
    const a = rows.get(`${id}|${ours}`)
    const b = rows.get(`${id}|${raw}`)
    return a === undefined || b === undefined ? undefined : a.peakRssMb / Math.max(b.peakRssMb, 0.5)
  }
  const check = (label: string, value: number | undefined, limit: number) =>
    targets.push([
      `${label}: ${value === undefined ? "n/a" : `${value.toFixed(2)}×`} (≤ ${limit}×)`,
      value === undefined ? undefined : value <= limit
    ])
  check("S1 CPU/request vs raw", cpuRatio("S1"), 2)
  const perCallRatio = (id: ScenarioId) => {
    const a = rows.get(`${id}|${perCall}`)
    const b = rows.get(`${id}|${raw}`)
    return a === undefined || b === undefined ? undefined : a.cpuPerOp / b.cpuPerOp
  }
  check("S1 CPU/request vs raw, runPromise per call", perCallRatio("S1"), 1.5)
  check("S2 CPU/request vs raw at c=64, runPromise per call", perCallRatio("S2"), 1.5)
  check("S2 CPU/request vs raw at c=64", cpuRatio("S2"), 2.5)
  check("S3 CPU/event vs raw", cpuRatio("S3"), 2.5)
  check("S4 CPU/event vs raw", cpuRatio("S4"), 2.5)
  check("S3 peak RSS growth vs raw (raw floored at 0.5 MB)", rssRatio("S3"), 2)
  check("S4 peak RSS growth vs raw (raw floored at 0.5 MB)", rssRatio("S4"), 2)
  const ourCold = coldMs.get(ours)
  const sdkCold = coldMs.get(official)
  targets.push([
    `S5 import + first request ${ourCold === undefined ? "n/a" : `${format(ourCold)} ms`} vs official SDK ${sdkCold === undefined ? "n/a" : `${format(sdkCold)} ms`} (no slower)`,
    ourCold === undefined || sdkCold === undefined ? undefined : ourCold <= sdkCold
  ])
  targets.push([`S5 import + first request ≤ 250 ms`, ourCold === undefined ? undefined : ourCold <= 250])
  const barrelCold = cold.get(`${ours} (barrel imports)`)
  const baselineCold = cold.get(coldBaseline)
  const spread = (values: ReadonlyArray<number>) =>
    `${format(median(values))} ms (${format(Math.min(...values))}–${format(Math.max(...values))})`
  targets.push([
    barrelCold === undefined || baselineCold === undefined
      ? `S5 barrel imports + layer + first request vs ${coldBaseline}: n/a (≤ 1.5×)`
      : `S5 barrel imports + layer + first request ${spread(barrelCold)} vs ${coldBaseline} ${spread(baselineCold)}: ${(median(barrelCold) / median(baselineCold)).toFixed(2)}× (≤ 1.5×)`,
    barrelCold === undefined || baselineCold === undefined
      ? undefined
      : median(barrelCold) <= 1.5 * median(baselineCold)
  ])
  for (const scenario of plan) {
    const a = rows.get(`${scenario.id}|${ours}`)
    const b = rows.get(`${scenario.id}|${official}`)
    targets.push([
      `${scenario.id} ahead of the official SDK (CPU/op and ops/s)`,
      a === undefined || b === undefined ? undefined : a.cpuPerOp < b.cpuPerOp && a.opsPerSecond > b.opsPerSecond
    ])
  }
  lines.push("", "Targets (effect-mistral, informational: timings never fail the run):", "")
  for (const [label, met] of targets) lines.push(`- ${met === undefined ? "n/a" : met ? "met" : "MISSED"} — ${label}`)
  if (curveRun !== undefined && curveRun.charts.length > 0) {
    lines.push(
      "",
      `## Scale curves`,
      "",
      `Each point: one client in a fresh process, median of ${curveRun.rounds} round(s) (the 1M-event stream: one); ${curveRun.seconds} s in all. The data and the charts are in \`${relative(fileURLToPath(new URL("..", import.meta.url)), curveDir) || "."}\` (\`node dist/charts.js <dir>\` draws the charts again from the JSON).`
    )
    for (const chart of curveRun.charts) lines.push("", ...chartTable(chart))
  }
  if (batchChart !== undefined) {
    lines.push(
      "",
      "`Batch.run` memory: each size in a fresh process (median of its runs), against the emulator in a process of its own (`batchMemory.ts`); the second line runs with V8's heap capped (`--max-old-space-size=64 --max-semi-space-size=2`).",
      "",
      ...chartTable(batchChart)
    )
    for (const series of batchChart.series) {
      const first = series.points[0]
      const last = series.points.at(-1)
      if (first === undefined || last === undefined || series.points.length < 2) continue
      lines.push(
        "",
        `${series.name}: growth at ${last[0].toLocaleString("en-US")} requests / at ${first[0].toLocaleString("en-US")}: ${(last[1] / Math.max(first[1], 0.1)).toFixed(1)}× (goal ≤ 2×, informational).`
      )
    }
  }
  if (failures.length > 0) lines.push("", "Failures:", "", ...failures.map((failure) => `- ${failure}`))

  const text = `${lines.join("\n")}\n`
  process.stdout.write(text)
  if (out !== "-") writeFileSync(out, text)
  if (failures.length > 0) process.exitCode = 1
}

await main()
