import * as path from "node:path"
import { MistralEmulator } from "@effect-mistral/emulator"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { DurableBatch } from "../src/index.js"
import { isType, startWorker, tempDir } from "./support.js"
import type { BatchWorkerConfig } from "./batchWorker.js"

describe("DurableBatch on SQLite", () => {
  it.layer(MistralEmulator.layer())((it) => {
    it.effect(
      "a worker killed while it polls resumes the same job: submitted once, no poll repeated, results collected",
      () =>
        Effect.gen(function* () {
          const emulator = yield* MistralEmulator.MistralEmulator
          yield* emulator.reset
          const config: BatchWorkerConfig = {
            emulatorUrl: emulator.url,
            filename: path.join(tempDir("durable-batch"), "runs.db"),
            payload: {
              id: "nightly-embeddings",
              job: {
                endpoint: "/v1/chat/completions",
                model: "mistral-small-latest",
                requests: [
                  { custom_id: "a", body: { messages: [{ role: "user", content: "first" }] } },
                  { custom_id: "b", body: { messages: [{ role: "user", content: "second" }] } }
                ]
              }
            },
            hangAfterPoll: 1
          }
          const first = yield* Effect.promise(() => startWorker(config, "batchWorker"))
          yield* Effect.promise(() => first.waitFor(isType("hanging"), 30_000, "the first poll"))
          yield* Effect.promise(() => first.kill())
          expect(first.child.signalCode).toBe("SIGKILL")

          const second = yield* Effect.promise(() => startWorker(config, "batchWorker"))
          const done = yield* Effect.promise(async () => {
            try {
              return await second.waitFor(isType("done"), 30_000, "the results")
            } finally {
              await second.kill()
            }
          })
          const exit = done.exit as
            | { _tag: "Success"; value: typeof DurableBatch.Finished.Encoded }
            | { _tag: "Failure" }
          expect(exit._tag).toBe("Success")
          if (exit._tag !== "Success") return
          expect(exit.value.job.status).toBe("SUCCESS")
          expect(exit.value.results.map((result) => result.custom_id).sort()).toEqual(["a", "b"])

          const progress = second.messages.flatMap((message) =>
            message.type === "progress" ? [message.progress as DurableBatch.Progress] : []
          )
          expect(progress.map((event) => [event._tag, event.replayed])).toEqual([
            ["Submitted", true],
            ["Polled", true],
            ["Polled", false],
            ["Collected", false]
          ])
          const requests = yield* emulator.requests
          const creates = requests.filter((request) => request.method === "POST" && request.path === "/v1/batch/jobs")
          const polls = requests.filter(
            (request) => request.method === "GET" && request.path.startsWith("/v1/batch/jobs/")
          )
          expect(creates).toHaveLength(1)
          expect(creates[0]!.headers["idempotency-key"]).toMatch(/-submit$/)
          // one poll before the kill, one after it: the first is not made again
          expect(polls).toHaveLength(2)
        }),
      90_000
    )
  })
})
