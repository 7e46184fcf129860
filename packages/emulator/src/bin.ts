#!/usr/bin/env node
/**
 * `mistral-emulator [--port N] [--host H] [--api-key K] [--requests-per-second N]
 * [--tokens-per-minute N | --tokens-per-minute MODEL=N ...]`: serves the emulator until SIGINT. The rate limits
 * apply per API key (`Options.rateLimits`); `--tokens-per-minute` may repeat, one per model (`*` for the others).
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { parseArgs } from "node:util"
import * as MistralEmulator from "./MistralEmulator.js"

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    "api-key": { type: "string" },
    "requests-per-second": { type: "string" },
    "tokens-per-minute": { type: "string", multiple: true }
  }
})

const fail = (message: string): never => {
  console.error(`mistral-emulator: ${message}`)
  process.exit(2)
}

const positive = (flag: string, text: string): number => {
  const value = Number(text)
  return Number.isFinite(value) && value > 0 ? value : fail(`invalid ${flag} ${text}`)
}

/** `N` for every model, or `MODEL=N` pairs. */
const tokensPerMinute = (values: ReadonlyArray<string> | undefined): MistralEmulator.RateLimits["tokensPerMinute"] => {
  if (values === undefined || values.length === 0) return undefined
  if (values.length === 1 && !values[0].includes("=")) return positive("--tokens-per-minute", values[0])
  const byModel: Record<string, number> = {}
  for (const value of values) {
    const at = value.lastIndexOf("=")
    if (at <= 0) fail(`invalid --tokens-per-minute ${value} (MODEL=N)`)
    byModel[value.slice(0, at)] = positive("--tokens-per-minute", value.slice(at + 1))
  }
  return byModel
}

const rps = values["requests-per-second"]
const rateLimits: MistralEmulator.RateLimits = {
  requestsPerSecond: rps === undefined ? undefined : positive("--requests-per-second", rps),
  tokensPerMinute: tokensPerMinute(values["tokens-per-minute"])
}
const limited = rateLimits.requestsPerSecond !== undefined || rateLimits.tokensPerMinute !== undefined

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${values.port}`)

const program = Effect.gen(function* () {
  const emulator = yield* MistralEmulator.MistralEmulator
  yield* Console.log(`Mistral emulator listening on ${emulator.url}`)
  return yield* Effect.never
}).pipe(
  Effect.provide(
    MistralEmulator.layer({
      port,
      host: values.host,
      apiKey: values["api-key"],
      ...(limited ? { rateLimits } : {})
    })
  )
)

NodeRuntime.runMain(program)
