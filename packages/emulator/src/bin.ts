#!/usr/bin/env node
/**
 * `mistral-emulator [--port N] [--host H] [--api-key K] [--requests-per-second N]
 * [--tokens-per-minute N | --tokens-per-minute MODEL=N ...]` (`--help` lists them): serves the emulator until SIGINT. The rate limits
 * apply per API key (`Options.rateLimits`); `--tokens-per-minute` may repeat, one per model (`*` for the others).
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as MistralEmulator from "./MistralEmulator.js"

const port = Options.integer("port").pipe(
  Options.withDefault(0),
  Options.withDescription("The port to listen on (0: a free one, printed at start)")
)
const host = Options.text("host").pipe(Options.withDefault("127.0.0.1"), Options.withDescription("The host to bind"))
const apiKey = Options.text("api-key").pipe(
  Options.optional,
  Options.withDescription("Answer 401 to requests without `Authorization: Bearer <key>`")
)
const requestsPerSecond = Options.float("requests-per-second").pipe(
  Options.optional,
  Options.withDescription("Requests per second per API key; more get 429 with Retry-After")
)
const tokensPerMinute = Options.text("tokens-per-minute").pipe(
  Options.repeated,
  Options.withDescription("Tokens per minute per API key: N for every model, or MODEL=N (repeatable, * for the rest)")
)

/** A flag value the parser accepts but the emulator cannot use (a port out of range, a malformed MODEL=N). */
class InvalidFlag extends Data.TaggedError("InvalidFlag")<{ readonly message: string }> {}

const invalid = (message: string) => Effect.fail(new InvalidFlag({ message }))

const positive = (flag: string, text: string) => {
  const value = Number(text)
  return Number.isFinite(value) && value > 0
    ? Effect.succeed(value)
    : invalid(`${flag} must be a positive number, not ${JSON.stringify(text)}`)
}

/** `N` for every model, or `MODEL=N` pairs. */
const tokensPerMinuteOf = (values: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (values.length === 0) return undefined
    const only = values[0]
    if (values.length === 1 && only !== undefined && !only.includes("=")) {
      return yield* positive("--tokens-per-minute", only)
    }
    const byModel: Record<string, number> = {}
    for (const value of values) {
      const at = value.lastIndexOf("=")
      if (at <= 0) return yield* invalid(`--tokens-per-minute ${JSON.stringify(value)} is not N or MODEL=N`)
      byModel[value.slice(0, at)] = yield* positive("--tokens-per-minute", value.slice(at + 1))
    }
    return byModel as MistralEmulator.RateLimits["tokensPerMinute"]
  })

const command = Command.make("mistral-emulator", { port, host, apiKey, requestsPerSecond, tokensPerMinute }, (flags) =>
  Effect.gen(function* () {
    if (!Number.isInteger(flags.port) || flags.port < 0 || flags.port > 65535) {
      return yield* invalid(`--port must be an integer from 0 to 65535, not ${flags.port}`)
    }
    const rps = Option.getOrUndefined(flags.requestsPerSecond)
    if (rps !== undefined && !(rps > 0)) return yield* invalid(`--requests-per-second must be positive, not ${rps}`)
    const rateLimits: MistralEmulator.RateLimits = {
      requestsPerSecond: rps,
      tokensPerMinute: yield* tokensPerMinuteOf(flags.tokensPerMinute)
    }
    const limited = rateLimits.requestsPerSecond !== undefined || rateLimits.tokensPerMinute !== undefined
    yield* Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      yield* Console.log(`Mistral emulator listening on ${emulator.url}`)
      return yield* Effect.never
    }).pipe(
      Effect.provide(
        MistralEmulator.layer({
          port: flags.port,
          host: flags.host,
          apiKey: Option.getOrUndefined(flags.apiKey),
          ...(limited ? { rateLimits } : {})
        })
      )
    )
  })
).pipe(Command.withDescription("A local, stateful Mistral API server; serves until SIGINT"))

const cli = Command.run(command, { name: "mistral-emulator", version: "0.1.0" })

cli(process.argv).pipe(
  Effect.provide(NodeContext.layer),
  Effect.catchTag("InvalidFlag", (error) =>
    Effect.zipRight(
      Console.error(`mistral-emulator: ${error.message} (see --help)`),
      Effect.sync(() => {
        process.exitCode = 2
      })
    )
  ),
  // the CLI has printed its own errors (and the help) already: only the exit code is left to set
  Effect.catchIf(ValidationError.isValidationError, () =>
    Effect.sync(() => {
      process.exitCode = 2
    })
  ),
  NodeRuntime.runMain
)
