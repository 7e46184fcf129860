import { type ChildProcess, fork } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { RecordedRequest } from "@effect-mistral/emulator/MistralEmulator"
import type { DurableConversation } from "../src/index.js"
import * as esbuild from "esbuild"
import type { BatchWorkerConfig } from "./batchWorker.js"
import type { WorkerConfig, WorkerMessage } from "./worker.js"

const here = path.dirname(fileURLToPath(import.meta.url))
// Inside the package, so that the bundle's bare imports resolve from its node_modules.
const bundleDir = path.join(here, "..", "node_modules", ".cache", "durable-test")
const bundled = new Map<string, Promise<string>>()

/** A worker script of this folder, bundled once per test process (its own sources inlined, packages left as imports). */
export const workerScript = (name: "worker" | "batchWorker"): Promise<string> => {
  const outfile = path.join(bundleDir, `${name}-${process.pid}.mjs`)
  let script = bundled.get(name)
  if (script === undefined) {
    script = esbuild
      .build({
        entryPoints: [path.join(here, `${name}.ts`)],
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        packages: "external",
        outfile,
        logLevel: "error"
      })
      .then(() => outfile)
    bundled.set(name, script)
  }
  return script
}

export const tempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `effect-mistral-${prefix}-`))

/** A running worker: every message it sent, and bounded waits on them. */
export interface Worker {
  readonly child: ChildProcess
  readonly startedAt: number
  readonly messages: Array<WorkerMessage>
  readonly waitFor: <M extends WorkerMessage>(
    predicate: (message: WorkerMessage) => message is M,
    timeoutMs: number,
    what: string
  ) => Promise<M>
  readonly kill: () => Promise<void>
  readonly exited: Promise<number | null>
}

export const startWorker = async (
  config: WorkerConfig | BatchWorkerConfig,
  name: "worker" | "batchWorker" = "worker"
): Promise<Worker> => {
  const script = await workerScript(name)
  const startedAt = Date.now()
  const child = fork(script, [JSON.stringify(config)], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
  const messages: Array<WorkerMessage> = []
  const listeners = new Set<() => void>()
  child.on("message", (message) => {
    messages.push(message as WorkerMessage)
    for (const listener of listeners) listener()
  })
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  const waitFor = <M extends WorkerMessage>(
    predicate: (message: WorkerMessage) => message is M,
    timeoutMs: number,
    what: string
  ) =>
    new Promise<M>((resolve, reject) => {
      const check = () => {
        const found = messages.find(predicate)
        if (found !== undefined) {
          cleanup()
          resolve(found)
        }
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`worker ${child.pid}: no ${what} within ${timeoutMs} ms`))
      }, timeoutMs)
      const onExit = (code: number | null) => {
        // a last message may still be on its way: look once more before giving up
        setTimeout(() => {
          if (messages.find(predicate) !== undefined) return check()
          cleanup()
          reject(new Error(`worker ${child.pid} exited (${code}) before ${what}`))
        }, 50)
      }
      const cleanup = () => {
        clearTimeout(timer)
        listeners.delete(check)
        child.off("exit", onExit)
      }
      listeners.add(check)
      child.once("exit", onExit)
      check()
    })
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
  }
  return { child, startedAt, messages, waitFor, kill, exited }
}

export const isType =
  <T extends WorkerMessage["type"]>(type: T) =>
  (message: WorkerMessage): message is Extract<WorkerMessage, { type: T }> =>
    message.type === type

/** The model calls of the log, by idempotency key: how many requests each key was sent with. */
export const modelCallsByKey = (requests: ReadonlyArray<RecordedRequest>): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const request of requests) {
    if (!request.operation?.startsWith("agents_api_v1_conversations_")) continue
    const key = request.headers["idempotency-key"] ?? "(none)"
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}

export const counterLines = (file: string): Array<string> =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.length > 0)
    : []

// Two user turns, three tool calls: start → add + lookup, results → message, the second turn → add, result → message.
export const inputs: DurableConversation.Payload["inputs"] = [
  "Please call add with a=2 b=3 and lookup with city=Paris",
  "Now call add with a=10 b=20"
]

export type Done =
  | { readonly _tag: "Success"; readonly value: DurableConversation.Outcome }
  | { readonly _tag: "Failure" }

export const outcomeOf = async (worker: Worker, timeoutMs: number) => {
  const done = await worker.waitFor(isType("done"), timeoutMs, "outcome")
  const exit = done.exit as Done
  if (exit._tag !== "Success") throw new Error(`the run failed: ${JSON.stringify(exit)}`)
  return exit.value
}

// What must be the same for two runs of the same inputs: the answers and every call, ids aside.
export const shape = (outcome: DurableConversation.Outcome) => ({
  _tag: outcome._tag,
  text: outcome._tag === "Completed" ? outcome.text : undefined,
  steps: outcome.steps.map((step) => ({
    step: step.step,
    outputs: step.response.outputs.map((output) => output.type),
    calls: step.calls.map(({ name, arguments: args, outcome: result, result: text }) => ({
      name,
      args,
      result,
      text
    }))
  }))
})

type ProgressMessage = Extract<WorkerMessage, { type: "progress" }> & {
  readonly progress: DurableConversation.Progress
}

/** The steps a worker read back from storage, and those it ran, in order. */
export const progressOf = (worker: Worker) => {
  const progress = worker.messages.filter((message): message is ProgressMessage => message.type === "progress")
  return {
    replayed: progress.filter((message) => "replayed" in message.progress && message.progress.replayed),
    fresh: progress.filter((message) => "replayed" in message.progress && !message.progress.replayed)
  }
}

export { freePort } from "@effect-mistral/testing"
