/**
 * `pnpm demo durable`: a durable conversation run that survives its process. The demo starts a worker process on a
 * SQLite file, kills it (SIGKILL) right after the second model call, starts it again, and shows the run resume: the
 * finished steps come from storage, the rest runs, nothing is sent or run twice.
 */
import { fork } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { WorkerArguments, WorkerEvent } from "./DurableWorker.js"
import * as Setup from "./Setup.js"

const workerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "DurableWorker.js")

interface Started {
  readonly events: Array<WorkerEvent & { readonly receivedAt: number }>
  readonly exited: Promise<string>
  readonly kill: () => void
  readonly when: (predicate: (event: WorkerEvent) => boolean) => Promise<WorkerEvent>
}

const start = (args: WorkerArguments, apiKey: string): Started => {
  const child = fork(workerScript, [JSON.stringify(args)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, MISTRAL_API_KEY: apiKey }
  })
  const events: Started["events"] = []
  const waiting = new Set<() => void>()
  child.on("message", (event) => {
    events.push({ ...(event as WorkerEvent), receivedAt: Date.now() })
    for (const check of waiting) check()
  })
  const exited = new Promise<string>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? `exit code ${code}`))
  )
  const when = (predicate: (event: WorkerEvent) => boolean) =>
    new Promise<WorkerEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the worker did not get there within 60 s")), 60_000)
      const check = () => {
        const found = events.find(predicate)
        if (found === undefined) return
        clearTimeout(timer)
        waiting.delete(check)
        resolve(found)
      }
      waiting.add(check)
      void exited.then((how) => {
        setTimeout(() => {
          if (events.find(predicate) !== undefined) return check()
          clearTimeout(timer)
          reject(new Error(`the worker ended (${how}) before getting there`))
        }, 50)
      })
      check()
    })
  return { events, exited, kill: () => child.kill("SIGKILL"), when }
}

export const durable = Effect.gen(function* () {
  const target = yield* Setup.CurrentTarget
  const apiKey = yield* Config.option(Config.redacted("MISTRAL_API_KEY"))
  const key = Option.match(apiKey, { onNone: () => "demo-key", onSome: Redacted.value })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mistral-durable-demo-"))
  const args: WorkerArguments = {
    url: target.url,
    model: target.model,
    filename: path.join(dir, "runs.db"),
    id: `demo-${Date.now()}`
  }
  yield* Console.log(`▶ Durable run ${args.id} (${target.kind}), storage ${args.filename}`)

  yield* Console.log("  worker 1:")
  // the first worker holds after step 2 so that the kill lands between two steps, not inside one
  const first = start({ ...args, holdAfterStep: 2 }, key)
  yield* Effect.promise(() => first.when((event) => event.type === "step" && event.step === 2 && !event.replayed))
  first.kill()
  yield* Console.log(`  ✝ worker 1 killed after step 2 (${yield* Effect.promise(() => first.exited)})`)

  yield* Console.log("  worker 2, same storage:")
  const restartedAt = Date.now()
  const second = start(args, key)
  const done = yield* Effect.promise(() => second.when((event) => event.type === "done"))
  yield* Effect.promise(() => second.exited)
  const firstFresh = second.events.find((event) => event.type === "step" && !event.replayed)
  const replayed = second.events.filter((event) => event.type === "step" && event.replayed).length
  yield* Console.log(
    `  ✓ ${done.type === "done" ? done.text : ""}` +
      `\n  ${replayed} model calls came from storage; restart → next step ran in ${
        firstFresh === undefined ? "?" : firstFresh.receivedAt - restartedAt
      } ms`
  )
  fs.rmSync(dir, { recursive: true, force: true })
})
