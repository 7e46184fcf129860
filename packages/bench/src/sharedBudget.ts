/**
 * The shared rate limit, measured: 4 worker processes share one Redis and one emulator that enforces 20 requests a
 * second and 20,000 tokens a minute per key, 400 chat completions in all (each worker bursts its 100 at concurrency
 * 10). Once with `MistralRateLimit` over the Redis store, once with retries only (the default policy). Prints, per
 * run: the 429s the emulator sent, failures, the wall time and the achieved rate against the budget; exits 1 when the
 * shared budget lets a request fail, more than 8 of the 400 (2 %) be refused, or uses less than 90 % of the
 * request budget.
 *
 *   node dist/sharedBudget.js        (or `pnpm --filter @effect-mistral/bench shared-budget`)
 *
 * Everything runs on loopback and is bounded: each run is stopped after 3 minutes.
 */
import { fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as RateLimiterRedis from "@effect/experimental/RateLimiter/Redis"
import * as Chat from "@effect-mistral/core/Chat"
import * as MistralRateLimit from "@effect-mistral/core/MistralRateLimit"
import type * as RetryPolicy from "@effect-mistral/core/RetryPolicy"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { RedisServer } from "@effect-mistral/testing"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"

const WORKERS = 4
const PER_WORKER = 100
const CONCURRENCY = 10
const REQUESTS_PER_SECOND = 20
const TOKENS_PER_MINUTE = 20_000
const MODEL = "mistral-small-latest"
const API_KEY = "sk-shared-budget"
const RUN_LIMIT_MS = 180_000
/** With the shared budget: 429s allowed (2 % of the requests; without it they are over 100 %) and the least share of the budget used. */
const MAX_REFUSED = 8
const MIN_RATE = 0.9

type Mode = "shared" | "retries"

interface WorkerResult {
  readonly ok: number
  readonly failed: number
  readonly retries: number
  readonly failures: ReadonlyArray<string>
}

/** One worker: its requests through `MistralNode.layer`, with the shared budget or without. */
const worker = async (url: string, mode: Mode, redisPort: number, prefix: string): Promise<WorkerResult> => {
  let retries = 0
  const onRetry = (_: RetryPolicy.RetryAttempt) => Effect.sync(() => void retries++)
  const client = MistralNode.layer({ apiKey: Redacted.make(API_KEY), baseUrl: url, onRetry })
  const budget = MistralRateLimit.layer({
    key: "bench",
    requestsPerSecond: REQUESTS_PER_SECOND,
    tokensPerMinute: TOKENS_PER_MINUTE,
    maxWait: "2 minutes"
  }).pipe(Layer.provide(RateLimiterRedis.layerStore({ host: "127.0.0.1", port: redisPort, prefix })))
  const runtime = ManagedRuntime.make(mode === "shared" ? client.pipe(Layer.provide(budget)) : client)
  const failures: Array<string> = []
  let ok = 0
  try {
    await runtime.runPromise(
      Effect.forEach(
        Array.from({ length: PER_WORKER }, (_, i) => i),
        (i) =>
          Effect.flatMap(Chat.Chat, (chat) =>
            chat.complete({
              model: MODEL,
              max_tokens: 16,
              messages: [{ role: "user", content: `Request ${i}: say one word.` }]
            })
          ).pipe(
            Effect.matchCause({
              onSuccess: () => {
                ok++
              },
              onFailure: (cause) => {
                failures.push(String(cause).slice(0, 160))
              }
            })
          ),
        { concurrency: CONCURRENCY, discard: true }
      )
    )
  } finally {
    await runtime.dispose()
  }
  return { ok, failed: failures.length, retries, failures: failures.slice(0, 3) }
}

interface RunResult {
  readonly mode: Mode
  readonly wallMs: number
  /** From the first to the last request the emulator answered (not counting process start-up). */
  readonly servedMs: number
  readonly served: number
  readonly ok: number
  readonly failed: number
  readonly retries: number
  readonly rateLimited: number
  readonly tokens: number
}

const forkWorker = (url: string, mode: Mode, redisPort: number, prefix: string): Promise<WorkerResult> =>
  new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ["worker", url, mode, String(redisPort), prefix], {
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS)
    child.once("message", (message) => resolve(message as WorkerResult))
    child.once("exit", (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`worker exited with ${code}`))
    })
  })

const run = async (mode: Mode, redisPort: number): Promise<RunResult> => {
  const emulatorRuntime = ManagedRuntime.make(
    MistralEmulator.layer({
      port: 0,
      host: "127.0.0.1",
      apiKey: API_KEY,
      rateLimits: { requestsPerSecond: REQUESTS_PER_SECOND, tokensPerMinute: TOKENS_PER_MINUTE }
    })
  )
  try {
    const emulator = await emulatorRuntime.runPromise(MistralEmulator.MistralEmulator)
    const prefix = `bench-${mode}-${Date.now()}:`
    const started = Date.now()
    const results = await Promise.all(
      Array.from({ length: WORKERS }, () => forkWorker(emulator.url, mode, redisPort, prefix))
    )
    const wallMs = Date.now() - started
    const log = await emulatorRuntime.runPromise(emulator.requests)
    const answered = log.filter((entry) => !entry.rateLimited).map((entry) => entry.time.getTime())
    for (const result of results) for (const failure of result.failures) console.log(`  ${mode} failure: ${failure}`)
    return {
      mode,
      wallMs,
      servedMs: answered.length < 2 ? 0 : answered[answered.length - 1] - answered[0],
      served: answered.length,
      ok: results.reduce((n, r) => n + r.ok, 0),
      failed: results.reduce((n, r) => n + r.failed, 0),
      retries: results.reduce((n, r) => n + r.retries, 0),
      rateLimited: log.filter((entry) => entry.rateLimited).length,
      tokens: log.reduce((n, entry) => n + (entry.tokens ?? 0), 0)
    }
  } finally {
    await emulatorRuntime.dispose()
  }
}

const main = async () => {
  const [role, url, mode, redisPort, prefix] = process.argv.slice(2)
  if (role === "worker") {
    const result = await worker(url, mode as Mode, Number(redisPort), prefix)
    process.send?.(result)
    process.disconnect?.()
    return
  }
  if (!RedisServer.available()) return
  const redis = await RedisServer.start()
  try {
    const rows: Array<RunResult> = []
    for (const mode of ["shared", "retries"] as const) rows.push(await run(mode, redis.port))
    console.log(
      `\n${WORKERS} processes × ${PER_WORKER} chat completions (concurrency ${CONCURRENCY} each), one emulator limited to ` +
        `${REQUESTS_PER_SECOND} requests/s and ${TOKENS_PER_MINUTE.toLocaleString("en-US")} tokens/min, one Redis\n`
    )
    console.log(
      "| client | 429s sent | failed | retries | wall time | requests/s served | × rps budget | tokens/min | × tpm budget |"
    )
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (const row of rows) {
      const served = row.servedMs / 1000
      const rps = (row.served - 1) / served
      const tpm = (row.tokens / served) * 60
      const name = row.mode === "shared" ? "MistralRateLimit (Redis store)" : "retries only (default policy)"
      console.log(
        `| ${name} | ${row.rateLimited} | ${row.failed} | ${row.retries} | ${(row.wallMs / 1000).toFixed(1)} s | ` +
          `${rps.toFixed(1)} | ${(rps / REQUESTS_PER_SECOND).toFixed(2)} | ${Math.round(tpm).toLocaleString("en-US")} | ` +
          `${(tpm / TOKENS_PER_MINUTE).toFixed(2)} |`
      )
    }
    console.log(
      "\nrequests/s served: answered requests (not 429s) from the first to the last one the emulator answered; wall time includes starting the 4 processes."
    )
    // what CI holds it to: every request answered, next to no 429 (requests reach the server less evenly than their
    // slots were taken on a loaded machine), and most of the budget used
    const shared = rows[0]
    const rate = (shared.served - 1) / (shared.servedMs / 1000) / REQUESTS_PER_SECOND
    const ok = shared.failed === 0 && shared.rateLimited <= MAX_REFUSED && rate >= MIN_RATE
    console.log(
      `shared budget: ${ok ? "PASS" : "FAIL"} (${shared.failed} failed, ${shared.rateLimited} refused of ` +
        `${WORKERS * PER_WORKER}, at most ${MAX_REFUSED}; ${rate.toFixed(2)} of the budget, at least ${MIN_RATE})`
    )
    if (!ok) process.exitCode = 1
  } finally {
    await redis.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
