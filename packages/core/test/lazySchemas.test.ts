/**
 * Importing the generated modules builds no schema: each is built on first use (`MistralSchema.lazy`). The count is
 * of live struct ASTs (`SchemaAST.TypeLiteral`) on the heap, before and after an import, so a generator that emits
 * `Schema.Struct(...)` at module level again (or a hand-written module that builds a generated schema when it loads)
 * makes it fail. This file imports the modules it measures itself, dynamically, and nothing else of the package (the
 * libraries it builds on are imported before counting).
 */
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as v8 from "node:v8"
import { describe, expect, it } from "vitest"

const liveStructs = async (): Promise<number> =>
  (await v8.queryObjects(SchemaAST.TypeLiteral, { format: "count" })) as number

describe("generated schemas are built on first use", () => {
  it("importing an API group and the components builds none of their structs; using one builds it", async () => {
    const before = await liveStructs()
    const Conversations = await import("../src/generated/conversations.js")
    const Components = await import("../src/generated/components.js")
    expect((await liveStructs()) - before).toBe(0)

    // the counting does see structs: one decode builds the response's schemas (dozens of structs)
    const decoded = Schema.decodeUnknownEither(Conversations.ConversationResponse)({
      object: "conversation.response",
      conversation_id: "c1",
      outputs: [],
      usage: {}
    })
    expect(Either.isRight(decoded)).toBe(true)
    expect((await liveStructs()) - before).toBeGreaterThan(10)

    // a lazy schema is a schema like any other: same AST on every read, JSON Schema, annotations, encoding
    expect(Schema.isSchema(Components.FunctionTool)).toBe(true)
    expect(Components.FunctionTool.ast).toBe(Components.FunctionTool.ast)
    expect(JSONSchema.make(Components.Function)).toMatchObject({ type: "object", required: ["name", "parameters"] })
    expect(Components.Function.annotations({ title: "F" }).ast.annotations[SchemaAST.TitleAnnotationId]).toBe("F")
    expect(Schema.encodeSync(Components.Function)({ name: "f", parameters: {} })).toEqual({ name: "f", parameters: {} })
  })

  it("importing the whole package (every group, the services, the registry) builds no generated struct", async () => {
    // the libraries the package builds on declare structs of their own when they load: counted before
    await import("@effect/platform")
    const before = await liveStructs()
    const Core = await import("../src/index.js")
    // the hand-written modules declare a few small structs of their own (`Batch.BatchResult`, the progress values of
    // `Batch` and `Files`: 10 in all), not hundreds
    expect((await liveStructs()) - before).toBeLessThanOrEqual(12)
    expect(Object.keys(Core.Operations).length).toBeGreaterThan(200)
  })
})
