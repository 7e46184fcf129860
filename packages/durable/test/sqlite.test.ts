import * as path from "node:path"
import { MistralEmulator } from "@effect-mistral/emulator"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { DurableConversation } from "../src/index.js"
import {
  counterLines,
  inputs,
  isType,
  modelCallsByKey,
  outcomeOf,
  progressOf,
  shape,
  startWorker,
  tempDir
} from "./support.js"
import type { WorkerConfig } from "./worker.js"

describe("DurableConversation on SQLite (one machine)", () => {
  it.layer(MistralEmulator.layer())((it) => {
    it.effect(
      "a worker killed right after step 2 resumes: no model call or tool call is repeated",
      () =>
        Effect.gen(function* () {
          const emulator = yield* MistralEmulator.MistralEmulator
          const dir = tempDir("durable-sqlite")
          const base = (id: string, name: string): WorkerConfig => ({
            emulatorUrl: emulator.url,
            storage: { _tag: "sqlite", filename: path.join(dir, `${name}.db`) },
            counterFile: path.join(dir, `${name}.counter`),
            payload: { id, model: "mistral-small-latest", inputs }
          })

          // the reference: the same run, never interrupted
          yield* emulator.reset
          const reference = yield* Effect.promise(async () => {
            const worker = await startWorker(base("reference", "reference"))
            try {
              return await outcomeOf(worker, 30_000)
            } finally {
              await worker.kill()
            }
          })
          const referenceKeys = modelCallsByKey(yield* emulator.requests)
          expect(referenceKeys.size).toBe(4)
          expect(counterLines(path.join(dir, "reference.counter"))).toHaveLength(3)

          yield* emulator.reset
          const config = base("interrupted", "interrupted")
          const first = yield* Effect.promise(() => startWorker({ ...config, hangAfterModelStep: 2 }))
          yield* Effect.promise(() => first.waitFor(isType("hanging"), 30_000, "the end of step 2"))
          yield* Effect.promise(() => first.kill())
          expect(first.child.signalCode).toBe("SIGKILL")
          // step 1's calls ran, step 2 answered, nothing after it
          expect(counterLines(config.counterFile)).toHaveLength(2)

          const second = yield* Effect.promise(() => startWorker(config))
          const outcome = yield* Effect.promise(async () => {
            try {
              return await outcomeOf(second, 30_000)
            } finally {
              await second.kill()
            }
          })
          const { replayed, fresh } = progressOf(second)
          // steps 1 and 2 and the two calls of step 1 came from storage; steps 3, 4 and the last call ran
          expect(replayed.map((message) => message.progress._tag)).toEqual([
            "ModelCall",
            "ToolCall",
            "ToolCall",
            "ModelCall"
          ])
          expect(fresh.map((message) => message.progress._tag)).toEqual(["ModelCall", "ToolCall", "ModelCall"])
          const ready = second.messages.find(isType("ready"))!
          console.log(
            `sqlite resume: restart → step 3 done ${fresh[0]!.at - second.startedAt} ms (node and modules loaded ${
              ready.at - second.startedAt
            } ms, stored steps read back ${replayed.at(-1)!.at - ready.at} ms later, step 3 ${
              fresh[0]!.at - replayed.at(-1)!.at
            } ms after that)`
          )

          const keys = modelCallsByKey(yield* emulator.requests)
          expect(keys.size).toBe(4)
          for (const [key, count] of keys) {
            expect(key).not.toBe("(none)")
            expect(count).toBe(1)
          }
          const lines = counterLines(config.counterFile)
          expect(lines).toHaveLength(3)
          expect(new Set(lines).size).toBe(3)
          expect(lines.sort()).toEqual(counterLines(path.join(dir, "reference.counter")).sort())
          expect(shape(outcome)).toEqual(shape(reference))
          expect(outcome._tag === "Completed" && outcome.text).toBe('The result of add is {"sum":30}.')
        }),
      90_000
    )
  })
})

describe("DurableConversation: the activity in flight at the crash", () => {
  it.layer(MistralEmulator.layer())((it) => {
    it.effect(
      "a tool call that was running when the worker died runs again on resume; finished steps do not",
      () =>
        Effect.gen(function* () {
          const emulator = yield* MistralEmulator.MistralEmulator
          yield* emulator.reset
          const dir = tempDir("durable-in-flight")
          const config: WorkerConfig = {
            emulatorUrl: emulator.url,
            storage: { _tag: "sqlite", filename: path.join(dir, "runs.db") },
            counterFile: path.join(dir, "counter"),
            payload: { id: "in-flight", model: "mistral-small-latest", inputs }
          }
          const first = yield* Effect.promise(() => startWorker({ ...config, hangInLookup: true }))
          yield* Effect.promise(() => first.waitFor(isType("hanging"), 30_000, "the lookup handler"))
          yield* Effect.promise(() => first.kill())
          const second = yield* Effect.promise(() => startWorker(config))
          const outcome = yield* Effect.promise(async () => {
            try {
              return await outcomeOf(second, 30_000)
            } finally {
              await second.kill()
            }
          })
          expect(outcome._tag).toBe("Completed")
          const lines = counterLines(config.counterFile)
          // lookup was in flight: it ran once before the kill and once after; add (finished) ran once
          expect(lines.filter((line) => line.startsWith("lookup"))).toEqual([
            'lookup {"city":"Paris"}',
            'lookup {"city":"Paris"}'
          ])
          expect(lines.filter((line) => line === 'add {"a":2,"b":3}')).toHaveLength(1)
          const keys = modelCallsByKey(yield* emulator.requests)
          expect(keys.size).toBe(4)
          expect([...keys.values()].every((count) => count === 1)).toBe(true)
        }),
      90_000
    )
  })
})

describe("DurableConversation confirmations on SQLite", () => {
  it.layer(MistralEmulator.layer())((it) => {
    const confirmed = (decision: DurableConversation.Decision) =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.MistralEmulator
        yield* emulator.reset
        const dir = tempDir(`durable-confirm-${decision}`)
        const config: WorkerConfig = {
          emulatorUrl: emulator.url,
          storage: { _tag: "sqlite", filename: path.join(dir, "runs.db") },
          counterFile: path.join(dir, "counter"),
          payload: {
            id: `confirm-${decision}`,
            model: "mistral-small-latest",
            inputs: ["Please call transfer with amount=50"]
          }
        }
        const first = yield* Effect.promise(() => startWorker(config))
        const asked = yield* Effect.promise(() =>
          first.waitFor(isType("confirmation"), 30_000, "a confirmation request")
        )
        yield* Effect.promise(() =>
          first.waitFor(
            (message): message is typeof message =>
              message.type === "progress" && (message.progress as DurableConversation.Progress)._tag === "Waiting",
            10_000,
            "the wait"
          )
        )
        // the process dies while the run waits for a person
        yield* Effect.promise(() => first.kill())
        expect(asked.request.name).toBe("transfer")
        expect(counterLines(config.counterFile)).toEqual([])

        const restartedAt = Date.now()
        const second = yield* Effect.promise(() =>
          startWorker({ ...config, decide: { toolCallId: asked.request.toolCallId, decision } })
        )
        const outcome = yield* Effect.promise(async () => {
          try {
            return await outcomeOf(second, 30_000)
          } finally {
            await second.kill()
          }
        })
        console.log(`confirmation (${decision}): restart → outcome ${Date.now() - restartedAt} ms`)
        // the person was asked once, before the restart
        expect(second.messages.filter(isType("confirmation"))).toEqual([])
        return { outcome, lines: counterLines(config.counterFile), keys: modelCallsByKey(yield* emulator.requests) }
      })

    it.effect(
      "a pending confirmation survives a restart; approved, the call runs once and the run completes",
      () =>
        Effect.gen(function* () {
          const { outcome, lines, keys } = yield* confirmed("allow")
          expect(outcome._tag).toBe("Completed")
          expect(outcome._tag === "Completed" && outcome.text).toBe("The result of transfer is transferred 50.")
          expect(lines).toEqual(['transfer {"amount":50}'])
          expect([...keys.values()]).toEqual([1, 1])
        }),
      90_000
    )

    it.effect(
      "denied after a restart, the run stops with a Denied outcome and sends nothing more",
      () =>
        Effect.gen(function* () {
          const { outcome, lines, keys } = yield* confirmed("deny")
          expect(outcome._tag).toBe("Denied")
          expect(outcome._tag === "Denied" && outcome.denied.map((call) => [call.name, call.outcome])).toEqual([
            ["transfer", "denied"]
          ])
          expect(lines).toEqual([])
          expect([...keys.values()]).toEqual([1])
        }),
      90_000
    )
  })
})
