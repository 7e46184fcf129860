import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema, Stream } from "effect"
import * as Agents from "../../src/Agents.js"
import * as Audio from "../../src/Audio.js"
import * as Batch from "../../src/Batch.js"
import * as Chat from "../../src/Chat.js"
import * as Classifiers from "../../src/Classifiers.js"
import * as Conversations from "../../src/Conversations.js"
import * as Embeddings from "../../src/Embeddings.js"
import * as Files from "../../src/Files.js"
import * as Fim from "../../src/Fim.js"
import * as AgentsOperations from "../../src/generated/agents.js"
import * as AgentsCompletionOperations from "../../src/generated/agentsCompletion.js"
import * as AudioSpeechOperations from "../../src/generated/audioSpeech.js"
import * as AudioTranscriptionsOperations from "../../src/generated/audioTranscriptions.js"
import * as AudioVoicesOperations from "../../src/generated/audioVoices.js"
import * as BatchOperations from "../../src/generated/batch.js"
import * as ChatOperations from "../../src/generated/chat.js"
import * as ClassifiersOperations from "../../src/generated/classifiers.js"
import * as ConversationsOperations from "../../src/generated/conversations.js"
import * as EmbeddingsOperations from "../../src/generated/embeddings.js"
import * as FilesOperations from "../../src/generated/files.js"
import * as FimOperations from "../../src/generated/fim.js"
import * as LibrariesOperations from "../../src/generated/libraries.js"
import * as LibrariesAccessesOperations from "../../src/generated/librariesAccesses.js"
import * as LibrariesDocumentsOperations from "../../src/generated/librariesDocuments.js"
import * as ModelsOperations from "../../src/generated/models.js"
import * as OcrOperations from "../../src/generated/ocr.js"
import { Operations } from "../../src/generated/Operations.js"
import * as Libraries from "../../src/Libraries.js"
import type * as MistralClient from "../../src/MistralClient.js"
import type * as MistralError from "../../src/MistralError.js"
import * as Models from "../../src/Models.js"
import * as Ocr from "../../src/Ocr.js"
import type * as Operation from "../../src/Operation.js"
import { clientOf } from "./helpers.js"

const registry: Record<string, Operation.Operation> = Operations
const isOperation = (u: unknown): u is Operation.Operation =>
  typeof u === "object" && u !== null && "operationId" in u && registry[(u as Operation.Operation).operationId] === u

/** The API groups that have a service, and the generated modules they cover. */
const covered = [
  AgentsOperations,
  AgentsCompletionOperations,
  AudioSpeechOperations,
  AudioTranscriptionsOperations,
  AudioVoicesOperations,
  BatchOperations,
  ChatOperations,
  ClassifiersOperations,
  ConversationsOperations,
  EmbeddingsOperations,
  FilesOperations,
  FimOperations,
  LibrariesOperations,
  LibrariesAccessesOperations,
  LibrariesDocumentsOperations,
  ModelsOperations,
  OcrOperations
].flatMap((module) =>
  Object.values(module)
    .filter(isOperation)
    .map((op) => op.operationId)
)

/** A client that only notes which operation each service method reaches. */
const spy = () => {
  const seen = new Set<string>()
  const client: MistralClient.Service = {
    baseUrl: "http://spy",
    call: ((operation: Operation.Operation) => {
      seen.add(operation.operationId)
      return Effect.die("spy")
    }) as MistralClient.Service["call"],
    stream: ((operation: Operation.Operation) => {
      seen.add(operation.operationId)
      return Stream.die("spy")
    }) as MistralClient.Service["stream"],
    bytes: ((operation: Operation.Operation) => {
      seen.add(operation.operationId)
      return Stream.die("spy")
    }) as MistralClient.Service["bytes"]
  }
  return { client, seen }
}

const callEveryMethod = (service: object): void => {
  for (const value of Object.values(service)) {
    if (typeof value === "function") (value as (...args: ReadonlyArray<unknown>) => unknown)("id-1", "id-2", {})
    else if (typeof value === "object" && value !== null) callEveryMethod(value)
  }
}

describe("every operation is reachable", () => {
  it("through a service method, for each API group that has a service", () => {
    const { client, seen } = spy()
    for (const fromClient of [
      Agents.fromClient,
      Audio.fromClient,
      Batch.fromClient,
      Chat.fromClient,
      Classifiers.fromClient,
      Conversations.fromClient,
      Embeddings.fromClient,
      Files.fromClient,
      Fim.fromClient,
      Libraries.fromClient,
      Models.fromClient,
      Ocr.fromClient
    ]) {
      callEveryMethod(fromClient(client))
    }
    expect(covered.length).toBeGreaterThan(70)
    expect(covered.filter((id) => !seen.has(id))).toEqual([])
  })

  // For every one of the 288 operations: the generic executor sends the request line the descriptor says. A body
  // that does not encode from `{}` stops before the wire with an error carrying the same method and path.
  it.effect.each(Object.keys(registry).sort())("%s through the generic client", (operationId) =>
    Effect.gen(function* () {
      const operation = registry[operationId]
      // path values from the template: a string per placeholder, or a number where the schema wants one
      const path: Record<string, string | number> = {}
      for (const [, name] of operation.path.matchAll(/\{([^}]+)\}/g)) path[name] = `${name}-1`
      const pathSchema = operation.pathParameters
      if (pathSchema !== undefined && pathSchema.ast._tag === "TypeLiteral") {
        for (const property of pathSchema.ast.propertySignatures) {
          const name = String(property.name)
          if (!Schema.is(Schema.make(property.type))(path[name])) path[name] = 1
        }
      }
      const expectedPath = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => String(path[name]))
      const input = { path, query: {}, body: {} }
      const successBody = operation.response === "sse" ? "" : "{}"
      const { client, recorded } = clientOf([
        {
          headers: { "content-type": operation.response === "sse" ? "text/event-stream" : "application/json" },
          body: successBody
        }
      ])
      type Run = (op: Operation.Operation, input: unknown) => Effect.Effect<unknown, MistralError.MistralError>
      type Flow = (op: Operation.Operation, input: unknown) => Stream.Stream<unknown, MistralError.MistralError>
      const result = yield* Effect.either(
        operation.response === "sse"
          ? Stream.runDrain((client.stream as Flow)(operation, input))
          : operation.response === "bytes"
            ? Stream.runDrain((client.bytes as Flow)(operation, input))
            : (client.call as Run)(operation, input)
      )
      if (recorded.length === 1) {
        expect(recorded[0].method).toBe(operation.method)
        expect(recorded[0].url.pathname).toBe(expectedPath)
      } else {
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isRight(result)) return
        expect(result.left._tag).toBe("RequestEncodeError")
        expect(result.left.method).toBe(operation.method)
        expect(result.left.path).toBe(expectedPath)
        if (result.left._tag === "RequestEncodeError") expect(result.left.field).toMatch(/^(body|query|headers)/)
      }
    })
  )
})
