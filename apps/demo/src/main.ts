#!/usr/bin/env node
/**
 * `pnpm demo`: a tour of the Conversations API, against the local emulator (no key needed) or the real API when
 * `MISTRAL_API_KEY` is set. Subcommands run single steps.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as BatchDemo from "./BatchDemo.js"
import * as Durable from "./Durable.js"
import * as Setup from "./Setup.js"
import * as Tour from "./Tour.js"
import * as Trace from "./Trace.js"

const trace = Options.boolean("trace").pipe(
  Options.withDescription("Run under the OpenTelemetry SDK and print the spans as a tree when the run ends")
)

/** The root command's options (`--trace`), which every subcommand runs under. */
const root = Command.make("effect-mistral-demo", { trace }, ({ trace }) => Trace.traced(trace, "demo tour", Tour.tour))

/** A subcommand's run, traced when the root was given `--trace`. */
const withTrace = <A, E, R>(name: string, self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(root, (options) => Trace.traced(options.trace, name, self))

const tour = Command.make("tour", {}, () => withTrace("demo tour", Tour.tour)).pipe(
  Command.withDescription("Start, stream, append, history, restart, a tool call, list, delete and retries")
)

const chat = Command.make("chat", { prompt: Args.text({ name: "prompt" }) }, ({ prompt }) =>
  withTrace("demo chat", Tour.chat(prompt))
).pipe(Command.withDescription("Stream one reply to a prompt"))

const list = Command.make("list", {}, () => withTrace("demo conversations list", Tour.listConversations)).pipe(
  Command.withDescription("List conversations")
)

const conversations = Command.make("conversations").pipe(
  Command.withDescription("Conversation commands"),
  Command.withSubcommands([list])
)

const durable = Command.make("durable", {}, () => withTrace("demo durable", Durable.durable)).pipe(
  Command.withDescription("A durable run: its worker process is killed mid-way, restarted, and resumes from storage")
)

const batch = Command.make("batch", {}, () => withTrace("demo batch", BatchDemo.batch)).pipe(
  Command.withDescription("A 1,000-request batch on the embedded emulator, with its progress as it runs")
)

const demo = root.pipe(
  Command.withDescription("effect-mistral demo (runs the tour when no subcommand is given)"),
  Command.withSubcommands([tour, chat, conversations, durable, batch])
)

const cli = Command.run(demo, { name: "effect-mistral demo", version: "0.1.0" })

cli(process.argv).pipe(
  Effect.provide(Layer.merge(Setup.layer, NodeContext.layer)),
  Effect.tapErrorCause((cause) => {
    const error = Cause.squash(cause)
    // a CLI input error has been printed by the CLI, with the help: printing it again says only [object Object]
    return ValidationError.isValidationError(error)
      ? Effect.sync(() => {
          process.exitCode = 2
        })
      : Console.error(`\nThe demo failed: ${Tour.describeError(error)}`)
  }),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
