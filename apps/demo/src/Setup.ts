/**
 * Where the demo runs: against the real API when `MISTRAL_API_KEY` is set, otherwise against an emulator started
 * in this process on a free loopback port.
 */
import type * as AudioRealtime from "@effect-mistral/core/AudioRealtime"
import type * as Conversations from "@effect-mistral/core/Conversations"
import type * as MistralClient from "@effect-mistral/core/MistralClient"
import * as RetryPolicy from "@effect-mistral/core/RetryPolicy"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/** What the tour knows of its target. */
export interface Target {
  readonly kind: "emulator" | "api"
  readonly url: string
  readonly model: string
  /** The emulator, when the tour runs against one (the fault step needs it). */
  readonly emulator: Option.Option<MistralEmulator.Service>
  /** The client's options, for a step that builds a client of its own. */
  readonly options: MistralClient.Options
}

export class CurrentTarget extends Context.Tag("@effect-mistral/demo/CurrentTarget")<CurrentTarget, Target>() {}

/** Retries are shown to the person watching, not only logged. */
const onRetry = (attempt: RetryPolicy.RetryAttempt) => {
  const status = "status" in attempt.error ? ` ${attempt.error.status}` : ""
  return Console.log(
    `    ↻ ${attempt.error._tag}${status}: retry #${attempt.attempt} of ${attempt.operationId} in ${Duration.format(attempt.delay)}`
  )
}

const options = (url: string, apiKey: Redacted.Redacted): MistralClient.Options => ({
  apiKey,
  baseUrl: url,
  retryPolicy: RetryPolicy.exponential({ base: "500 millis", maxRetries: 4 }),
  onRetry
})

/** The emulator in this process, the client pointed at it. */
const emulatorLayer = Layer.unwrapEffect(
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    Layer.merge(
      MistralNode.layer(options(emulator.url, Redacted.make("demo-key"))),
      Layer.succeed(CurrentTarget, {
        kind: "emulator",
        url: emulator.url,
        model: "mistral-small-latest",
        emulator: Option.some(emulator),
        options: options(emulator.url, Redacted.make("demo-key"))
      })
    )
  )
).pipe(Layer.provide(MistralEmulator.layer({ port: 0, host: "127.0.0.1" })))

/** The real API, from the environment. */
const apiLayer = (apiKey: Redacted.Redacted, baseUrl: string, model: string) =>
  Layer.merge(
    MistralNode.layer(options(baseUrl, apiKey)),
    Layer.succeed(CurrentTarget, {
      kind: "api",
      url: baseUrl,
      model,
      emulator: Option.none(),
      options: options(baseUrl, apiKey)
    })
  )

/** Picks the target from the environment. */
export const layer: Layer.Layer<
  Conversations.Conversations | MistralClient.MistralClient | AudioRealtime.AudioRealtime | CurrentTarget,
  unknown
> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const apiKey = yield* Config.option(Config.redacted("MISTRAL_API_KEY"))
    const baseUrl = yield* Config.withDefault(Config.string("MISTRAL_BASE_URL"), "https://api.mistral.ai")
    const model = yield* Config.withDefault(Config.string("MISTRAL_MODEL"), "mistral-small-latest")
    return Option.isSome(apiKey) && Redacted.value(apiKey.value).length > 0
      ? apiLayer(apiKey.value, baseUrl, model)
      : emulatorLayer
  })
)
