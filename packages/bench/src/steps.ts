/**
 * Run-loop steps: how many Effect operations the fiber runtime evaluates for one conversation start and for one
 * streamed reply, through `MistralNode.layer` against the loopback bench server. Unlike CPU time the count does not
 * depend on the machine or its load, so it shows what a change to the request path costs at once.
 *
 *   node dist/steps.js        (or `pnpm --filter @effect-mistral/bench steps`)
 */
import * as Conversations from "@effect-mistral/core/Conversations"
import * as Chat from "@effect-mistral/core/generated/chat"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as RuntimeFlagsPatch from "effect/RuntimeFlagsPatch"
import * as Stream from "effect/Stream"
import * as Supervisor from "effect/Supervisor"
import * as Payloads from "./payloads.js"
import { prepare, startServer } from "./server.js"

class StepCounter extends Supervisor.AbstractSupervisor<number> {
  steps = 0
  get value(): Effect.Effect<number> {
    return Effect.sync(() => this.steps)
  }
  override onEffect(): void {
    this.steps++
  }
}

/** The steps `effect` takes, its own and those of every fiber it forks. */
const countSteps = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<number, E> =>
  Effect.suspend(() => {
    const counter = new StepCounter()
    return effect.pipe(
      Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision)),
      Effect.supervised(counter),
      Effect.map(() => counter.steps)
    )
  })

export interface Steps {
  /** One `Conversations.start`, answer decoded. */
  readonly call: number
  /** One `Conversations.startStream` of `events` events, every event decoded. */
  readonly conversationStream: number
  /** One chat completion stream of `events` chunks. */
  readonly chatStream: number
  readonly events: number
}

export const measure = async (events: number): Promise<Steps> => {
  prepare([events])
  const server = await startServer()
  const runtime = ManagedRuntime.make(
    MistralNode.layer({ apiKey: Redacted.make("bench-api-key"), baseUrl: `${server.origin}/n/${events}` })
  )
  try {
    const program = Effect.gen(function* () {
      const conversations = yield* Conversations.Conversations
      const client = yield* MistralClient.MistralClient
      const call = conversations.start(Payloads.conversationRequest)
      const conversationStream = Stream.runDrain(conversations.startStream(Payloads.conversationRequest))
      const chatStream = Stream.runDrain(
        client.stream(Chat.chat_completion_v1_chat_completions_post, { body: Payloads.chatRequest })
      )
      // once unmeasured: layers, caches and compiled decoders are built on first use
      yield* call
      yield* conversationStream
      yield* chatStream
      return {
        call: yield* countSteps(call),
        conversationStream: yield* countSteps(conversationStream),
        chatStream: yield* countSteps(chatStream),
        events
      }
    })
    return await runtime.runPromise(program)
  } finally {
    await runtime.dispose()
    await server.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const steps = await measure(20_000)
  process.stdout.write(
    [
      "| run-loop steps                                 | steps |",
      "| ---------------------------------------------- | ----: |",
      `| one conversation start                         | ${steps.call} |`,
      `| one conversation stream of ${steps.events} events         | ${steps.conversationStream} |`,
      `| one chat completion stream of ${steps.events} chunks      | ${steps.chatStream} |`,
      ""
    ].join("\n")
  )
}
