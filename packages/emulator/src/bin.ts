#!/usr/bin/env node
/**
 * `mistral-emulator [--port N] [--host H] [--api-key K]`: serves the emulator
 * until SIGINT.
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
    "api-key": { type: "string" }
  }
})

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`mistral-emulator: invalid --port ${values.port}`)
  process.exit(2)
}

const program = Effect.gen(function* () {
  const emulator = yield* MistralEmulator.MistralEmulator
  yield* Console.log(`Mistral emulator listening on ${emulator.url}`)
  return yield* Effect.never
}).pipe(Effect.provide(MistralEmulator.layer({ port, host: values.host, apiKey: values["api-key"] })))

NodeRuntime.runMain(program)
