import * as path from "node:path"
import { MistralEmulator } from "@effect-mistral/emulator"
import { PostgresServer } from "@effect-mistral/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  counterLines,
  freePort,
  inputs,
  isType,
  modelCallsByKey,
  outcomeOf,
  progressOf,
  shape,
  startWorker,
  tempDir,
  type Worker
} from "./support.js"
import type { WorkerConfig } from "./worker.js"

describe.runIf(PostgresServer.available())("DurableConversation on Postgres (two runners)", () => {
  it.layer(MistralEmulator.layer())((it) => {
    it.scoped(
      "the runner holding the run is SIGKILLed after step 2; the other takes its shards and finishes, repeating nothing",
      () =>
        Effect.gen(function* () {
          const emulator = yield* MistralEmulator.MistralEmulator
          const server = yield* Effect.acquireRelease(
            Effect.promise(() => PostgresServer.start()),
            (server) => Effect.promise(() => server.stop())
          )
          const dir = tempDir("durable-postgres")
          const counterFile = path.join(dir, "counter")
          const config = (runnerPort: number): WorkerConfig => ({
            emulatorUrl: emulator.url,
            storage: { _tag: "postgres", url: server.url, runnerPort },
            counterFile,
            payload: { id: "two-runners", model: "mistral-small-latest", inputs },
            hangAfterModelStep: 2,
            waitForGo: true
          })
          yield* emulator.reset
          const workers: Array<Worker> = []
          yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all(workers.map((worker) => worker.kill()))))
          for (let i = 0; i < 2; i++) {
            const port = yield* Effect.promise(freePort)
            const worker = yield* Effect.promise(() => startWorker(config(port)))
            workers.push(worker)
            yield* Effect.promise(() => worker.waitFor(isType("ready"), 30_000, "ready"))
          }
          // let the two runners share the shards before the run starts
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 6_000)))
          for (const worker of workers) worker.child.send({ type: "go" })

          const holder = yield* Effect.promise(() =>
            Promise.any(
              workers.map((worker) => worker.waitFor(isType("hanging"), 60_000, "the end of step 2").then(() => worker))
            )
          )
          const survivor = workers.find((worker) => worker !== holder)!
          expect(progressOf(survivor).fresh).toEqual([])
          const killedAt = Date.now()
          yield* Effect.promise(() => holder.kill())
          expect(holder.child.signalCode).toBe("SIGKILL")
          expect(counterLines(counterFile)).toHaveLength(2)

          const outcome = yield* Effect.promise(() => outcomeOf(survivor, 90_000))
          const { replayed, fresh } = progressOf(survivor)
          expect(replayed.map((message) => message.progress._tag)).toEqual([
            "ModelCall",
            "ToolCall",
            "ToolCall",
            "ModelCall"
          ])
          expect(fresh.map((message) => message.progress._tag)).toEqual(["ModelCall", "ToolCall", "ModelCall"])
          console.log(
            `postgres takeover: SIGKILL → the survivor reads the stored steps back ${
              replayed[0]!.at - killedAt
            } ms, → step 3 done ${fresh[0]!.at - killedAt} ms`
          )

          const keys = modelCallsByKey(yield* emulator.requests)
          expect(keys.size).toBe(4)
          for (const [key, count] of keys) {
            expect(key).not.toBe("(none)")
            expect(count).toBe(1)
          }
          const lines = counterLines(counterFile)
          expect(lines).toHaveLength(3)
          expect(new Set(lines).size).toBe(3)
          expect(outcome._tag).toBe("Completed")
          expect(shape(outcome).steps.flatMap((step) => step.calls.map((call) => call.name))).toEqual([
            "add",
            "lookup",
            "add"
          ])
          expect(outcome._tag === "Completed" && outcome.text).toBe('The result of add is {"sum":30}.')
        }),
      180_000
    )

    it.scoped(
      "a confirmation decided from a client-only process (no shards of its own) lets the runner's run continue",
      () =>
        Effect.gen(function* () {
          const emulator = yield* MistralEmulator.MistralEmulator
          const server = yield* Effect.acquireRelease(
            Effect.promise(() => PostgresServer.start()),
            (server) => Effect.promise(() => server.stop())
          )
          yield* emulator.reset
          const dir = tempDir("durable-postgres-confirm")
          const config: WorkerConfig = {
            emulatorUrl: emulator.url,
            storage: { _tag: "postgres", url: server.url, runnerPort: yield* Effect.promise(freePort) },
            counterFile: path.join(dir, "counter"),
            payload: {
              id: "confirm-from-client",
              model: "mistral-small-latest",
              inputs: ["Please call transfer with amount=75"]
            }
          }
          const workers: Array<Worker> = []
          yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all(workers.map((worker) => worker.kill()))))
          const runner = yield* Effect.promise(() => startWorker(config))
          workers.push(runner)
          const asked = yield* Effect.promise(() =>
            runner.waitFor(isType("confirmation"), 60_000, "a confirmation request")
          )

          const client = yield* Effect.promise(() =>
            startWorker({
              ...config,
              storage: { _tag: "postgres-client", url: server.url },
              decide: { toolCallId: asked.request.toolCallId, decision: "allow" },
              decideOnly: true
            })
          )
          workers.push(client)
          const decided = yield* Effect.promise(() => client.waitFor(isType("decided"), 30_000, "the decision"))
          const outcome = yield* Effect.promise(() => outcomeOf(runner, 60_000))
          const done = runner.messages.find(isType("done"))!
          console.log(`postgres confirmation: decided by a client → run done ${done.at - decided.at} ms later`)
          expect(outcome._tag === "Completed" && outcome.text).toBe("The result of transfer is transferred 75.")
          expect(counterLines(config.counterFile)).toEqual(['transfer {"amount":75}'])
          expect([...modelCallsByKey(yield* emulator.requests).values()]).toEqual([1, 1])
        }),
      120_000
    )
  })
})
