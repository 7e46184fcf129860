import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, type Context, Effect, Stream } from "effect"
import * as Agents from "../src/Agents.js"
import * as Batch from "../src/Batch.js"
import * as Chat from "../src/Chat.js"
import * as Classifiers from "../src/Classifiers.js"
import * as Conversations from "../src/Conversations.js"
import * as Embeddings from "../src/Embeddings.js"
import * as Files from "../src/Files.js"
import * as Fim from "../src/Fim.js"
import * as Libraries from "../src/Libraries.js"
import * as MistralClient from "../src/MistralClient.js"
import * as Models from "../src/Models.js"
import * as Ocr from "../src/Ocr.js"

/** Every service module (Audio is left out of this rule for now: its module is another issue's). */
const modules = {
  Agents,
  Batch,
  Chat,
  Classifiers,
  Conversations,
  Embeddings,
  Files,
  Fim,
  Libraries,
  Models,
  Ocr
} as unknown as Record<
  string,
  {
    readonly fromClient: (client: MistralClient.Service) => Record<string, unknown>
    readonly [key: string]: unknown
  }
>

const tags: Record<string, Context.Tag<unknown, unknown>> = {
  Agents: Agents.Agents,
  Batch: Batch.Batch,
  Chat: Chat.Chat,
  Classifiers: Classifiers.Classifiers,
  Conversations: Conversations.Conversations,
  Embeddings: Embeddings.Embeddings,
  Files: Files.Files,
  Fim: Fim.Fim,
  Libraries: Libraries.Libraries,
  Models: Models.Models,
  Ocr: Ocr.Ocr
} as unknown as Record<string, Context.Tag<unknown, unknown>>

const client = MistralClient.makeWith(HttpClient.make(() => Effect.die("never sent")) as HttpClient.HttpClient, {})

const isStream = (value: unknown): boolean =>
  typeof value === "object" && value !== null && Stream.StreamTypeId in value

/** Every function of a real service, by path (`documents.upload` for a nested part), with the kind it answers. */
const methodsOf = (service: Record<string, unknown>, prefix = ""): Array<{ path: string; kind: "effect" | "stream" }> =>
  Object.entries(service).flatMap(([key, value]) => {
    if (typeof value === "object" && value !== null) return methodsOf(value as Record<string, unknown>, `${key}.`)
    if (typeof value !== "function") return []
    // the answer's kind without running it: every method is lazy, nothing is sent
    let answer: unknown
    try {
      answer = (value as (...args: ReadonlyArray<unknown>) => unknown)("x", {}, {})
    } catch {
      answer = undefined
    }
    return [{ path: prefix + key, kind: isStream(answer) ? ("stream" as const) : ("effect" as const) }]
  })

const at = (root: unknown, path: string): unknown =>
  path.split(".").reduce((value, key) => (value as Record<string, unknown> | undefined)?.[key], root)

/** A service whose every method records its call and answers its own path (an effect or a one-element stream). */
const recording = (methods: ReadonlyArray<{ path: string; kind: "effect" | "stream" }>, calls: Array<unknown>) => {
  type Node = { [key: string]: Node | ((...args: ReadonlyArray<unknown>) => unknown) }
  const service: Node = {}
  for (const { path, kind } of methods) {
    const keys = path.split(".")
    let target = service
    for (const key of keys.slice(0, -1)) {
      if (target[key] === undefined) target[key] = {}
      target = target[key] as Node
    }
    target[keys[keys.length - 1] as string] = (...args: ReadonlyArray<unknown>) => {
      calls.push([path, ...args])
      return kind === "stream" ? Stream.make(path) : Effect.succeed(path)
    }
  }
  return service
}

describe("accessors: every method of every service is a module-level function", () => {
  for (const [name, module] of Object.entries(modules)) {
    it.effect(name, () =>
      Effect.gen(function* () {
        const methods = methodsOf(module.fromClient(client))
        expect(methods.length).toBeGreaterThan(0)
        const calls: Array<unknown> = []
        const tag = tags[name] as Context.Tag<unknown, unknown>
        const service = recording(methods, calls)
        for (const { path, kind } of methods) {
          const accessor = at(module, path)
          expect(typeof accessor, `${name}.${path}`).toBe("function")
          const args = ["id-1", { a: 1 }]
          const answer = (accessor as (...args: ReadonlyArray<unknown>) => unknown)(...args)
          if (kind === "stream") {
            expect(isStream(answer), `${name}.${path} answers a stream`).toBe(true)
            const out = yield* Stream.runCollect(answer as Stream.Stream<string>).pipe(
              Effect.provideService(tag, service)
            )
            expect(Chunk.toReadonlyArray(out)).toEqual([path])
          } else {
            expect(Effect.isEffect(answer), `${name}.${path} answers an effect`).toBe(true)
            expect(yield* (answer as Effect.Effect<string>).pipe(Effect.provideService(tag, service))).toBe(path)
          }
          expect(calls[calls.length - 1]).toEqual([path, ...args])
        }
      })
    )
  }
})
