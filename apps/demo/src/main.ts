#!/usr/bin/env node
/**
 * `pnpm demo`: a tour of the Conversations API, against the local emulator (no key needed) or the real API when
 * `MISTRAL_API_KEY` is set. Subcommands run single steps.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Durable from "./Durable.js"
import * as Setup from "./Setup.js"
import * as Tour from "./Tour.js"

const tour = Command.make("tour", {}, () => Tour.tour).pipe(
  Command.withDescription("Start, stream, append, history, restart, a tool call, list, delete and retries")
)

const chat = Command.make("chat", { prompt: Args.text({ name: "prompt" }) }, ({ prompt }) => Tour.chat(prompt)).pipe(
  Command.withDescription("Stream one reply to a prompt")
)

const list = Command.make("list", {}, () => Tour.listConversations).pipe(Command.withDescription("List conversations"))

const conversations = Command.make("conversations").pipe(
  Command.withDescription("Conversation commands"),
  Command.withSubcommands([list])
)

const durable = Command.make("durable", {}, () => Durable.durable).pipe(
  Command.withDescription("A durable run: its worker process is killed mid-way, restarted, and resumes from storage")
)

const demo = Command.make("effect-mistral-demo", {}, () => Tour.tour).pipe(
  Command.withDescription("effect-mistral demo (runs the tour when no subcommand is given)"),
  Command.withSubcommands([tour, chat, conversations, durable])
)

const cli = Command.run(demo, { name: "effect-mistral demo", version: "0.1.0" })

cli(process.argv).pipe(
  Effect.provide(Layer.merge(Setup.layer, NodeContext.layer)),
  Effect.tapErrorCause((cause) => Console.error(`\nThe demo failed: ${Tour.describeError(Cause.squash(cause))}`)),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
