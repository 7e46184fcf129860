/**
 * The fast parse path must give exactly what `effect/ParseResult` gives. For every schema the generator writes (the
 * components and every operation's path, query, header, body, success, event and error schemas), valid values are
 * generated from the schema itself, then mutated (fields dropped, replaced by values of other kinds, extra fields,
 * unknown tags), and both paths decode and encode each of them: same success or failure, same value, same key order.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import { describe, expect, it } from "vitest"
import * as Generated from "../src/generated/index.js"
import { Operations } from "../src/generated/Operations.js"
import * as FastParse from "../src/internal/fastParse.js"
import * as MistralSchema from "../src/MistralSchema.js"
import type * as Operation from "../src/Operation.js"

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const strings = ["", "text", "héllo 🌍", "$unknown", "2025-01-01T00:00:00Z", "a\nb"]
const numbers = [0, 1, -2.5, 1024, 1e21]
const junk: ReadonlyArray<unknown> = [null, undefined, 0, 7.5, "", "x", true, false, {}, [], [1, "a"], { type: 1 }]

const generate = (ast: AST.AST, next: () => number, depth: number): unknown => {
  const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(next() * values.length)]
  switch (ast._tag) {
    case "Literal":
      return ast.literal
    case "StringKeyword":
      return pick(strings)
    case "NumberKeyword":
      return pick(numbers)
    case "BooleanKeyword":
      return next() < 0.5
    case "UndefinedKeyword":
      return undefined
    case "UnknownKeyword":
    case "AnyKeyword":
      return pick(junk)
    case "Enums":
      return pick(ast.enums)[1]
    case "TypeLiteral": {
      const out: Record<string, unknown> = {}
      for (const signature of ast.propertySignatures) {
        if (signature.isOptional && (depth > 3 || next() < 0.4)) continue
        out[String(signature.name)] = generate(signature.type, next, depth + 1)
      }
      for (const signature of ast.indexSignatures) {
        const count = Math.floor(next() * 3)
        for (let i = 0; i < count; i++) out[`key_${i}`] = generate(signature.type, next, depth + 1)
      }
      if (next() < 0.2) out.unlisted_field = pick(junk)
      return out
    }
    case "TupleType": {
      const out = ast.elements.map((element) => generate(element.type, next, depth + 1))
      if (ast.rest.length > 0) {
        const count = depth > 3 ? 0 : Math.floor(next() * 3)
        for (let i = 0; i < count; i++) out.push(generate(ast.rest[0].type, next, depth + 1))
      }
      return out
    }
    case "Union":
      return generate(pick(ast.types), next, depth)
    case "Refinement":
      return generate(ast.from, next, depth)
    case "Suspend":
      return depth > 5 ? null : generate(ast.f(), next, depth + 1)
    case "Declaration": {
      const tagged = MistralSchema.getTaggedUnionAnnotation(ast)
      if (tagged === undefined) return new Uint8Array([1, 2, 3])
      const roll = next()
      if (roll < 0.1) return { [tagged.key]: "a_future_kind", value: pick(junk) }
      const tags = [...tagged.indicesByTag.keys()]
      const tag = pick(tags)
      const indices = tagged.indicesByTag.get(tag) ?? []
      const value = generate(ast.typeParameters[pick(indices)], next, depth + 1)
      if (typeof value === "object" && value !== null && roll > 0.2)
        (value as Record<string, unknown>)[tagged.key] = tag
      return value
    }
    default:
      return pick(junk)
  }
}

/** A copy with one change somewhere: a field dropped, a value replaced by one of another kind, a field added. */
const mutate = (value: unknown, next: () => number): unknown => {
  const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(next() * values.length)]
  if (typeof value !== "object" || value === null || value instanceof Uint8Array || next() < 0.15) return pick(junk)
  if (Array.isArray(value)) {
    if (value.length === 0) return [pick(junk)]
    const copy = [...value]
    const i = Math.floor(next() * copy.length)
    copy[i] = mutate(copy[i], next)
    return copy
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
  const keys = Object.keys(copy)
  const roll = next()
  if (keys.length === 0 || roll < 0.2) copy[pick(["extra", "type", "role", "id"])] = pick(junk)
  else if (roll < 0.45) delete copy[pick(keys)]
  else {
    const key = pick(keys)
    copy[key] = mutate(copy[key], next)
  }
  return copy
}

/** A rendering that tells apart everything the comparison cares about: kinds, key order, absent vs undefined. */
const render = (value: unknown): string => {
  if (value === undefined) return "undefined"
  if (value instanceof Uint8Array) return `bytes(${value.join(",")})`
  if (Array.isArray(value)) return `[${value.map(render).join(",")}]`
  if (typeof value === "object" && value !== null) {
    return `{${Object.keys(value)
      .map((key) => `${JSON.stringify(key)}:${render((value as Record<string, unknown>)[key])}`)
      .join(",")}}`
  }
  return `${typeof value}:${JSON.stringify(value)}`
}

const schemas = new Map<Schema.Schema.AnyNoContext, string>()
for (const [name, value] of Object.entries(Generated)) {
  if (Schema.isSchema(value)) schemas.set(value as Schema.Schema.AnyNoContext, name)
}
for (const operation of Object.values(Operations as Record<string, Operation.Operation>)) {
  const id = operation.operationId
  const add = (schema: Operation.AnySchema | undefined, role: string) => {
    if (schema !== undefined && !schemas.has(schema)) schemas.set(schema, `${id} ${role}`)
  }
  add(operation.pathParameters, "path")
  add(operation.query, "query")
  add(operation.headers, "headers")
  add(operation.body?.schema, "body")
  add(operation.success, "success")
  add(operation.event, "event")
  for (const [status, schema] of Object.entries(operation.errors)) add(schema, String(status))
}

const samplesPerSchema = 12

describe("fastParse", () => {
  it("finds every generated schema", () => {
    expect(schemas.size).toBeGreaterThan(1000)
  })

  it("decodes and encodes like ParseResult, on every generated schema", () => {
    let compared = 0
    let fastSuccesses = 0
    const mismatches: Array<string> = []
    let seed = 1
    for (const [schema, name] of schemas) {
      const decodeFast = FastParse.decodeUnknownEither(schema)
      const decodeFull = Schema.decodeUnknownEither(schema)
      const encodeFast = FastParse.encodeUnknownEitherPreserving(schema)
      const encodeFull = Schema.encodeUnknownEither(schema, { onExcessProperty: "preserve" })
      const fastOnly = FastParse.fastDecodeOnly(schema)
      const next = random(seed++)
      for (let sample = 0; sample < samplesPerSchema; sample++) {
        const valid = generate(schema.ast, next, 0)
        for (const input of [valid, mutate(valid, next), mutate(mutate(valid, next), next)]) {
          const pairs = [
            ["decode", decodeFast(input), decodeFull(input)],
            ["encode", encodeFast(input), encodeFull(input)]
          ] as const
          for (const [direction, fast, full] of pairs) {
            compared++
            const same =
              Either.isEither(fast) &&
              fast._tag === full._tag &&
              (Either.isLeft(fast) || render(fast.right) === render((full as Either.Right<unknown, unknown>).right))
            if (!same && mismatches.length < 5) {
              mismatches.push(`${name} ${direction} ${render(input)}: fast ${fast._tag}, full ${full._tag}`)
            }
          }
          if (fastOnly(input) !== undefined) fastSuccesses++
        }
      }
    }
    expect(mismatches).toEqual([])
    // the comparison means something only if the fast path itself answered most valid inputs
    expect(compared).toBeGreaterThan(50_000)
    expect(fastSuccesses).toBeGreaterThan(compared / 8)
  })

  it("reads a key Object.prototype has only when the input has it", () => {
    const schema = Schema.Struct({
      constructor: Schema.optional(Schema.Unknown),
      toString: Schema.optional(Schema.String),
      valueOf: Schema.Unknown
    })
    for (const input of [{}, { toString: "x" }, { constructor: 1, valueOf: null }, { valueOf: 2 }]) {
      const fast = FastParse.decodeUnknownEither(schema)(input)
      const full = Schema.decodeUnknownEither(schema)(input)
      expect(fast._tag).toBe(full._tag)
      if (Either.isRight(fast) && Either.isRight(full)) expect(render(fast.right)).toBe(render(full.right))
    }
    expect(FastParse.fastDecodeOnly(schema)({ valueOf: 2 })).toEqual({ value: { valueOf: 2 } })
  })

  it("answers the hot schemas without ParseResult", () => {
    const event = {
      type: "message.output.delta",
      created_at: "2025-01-01T00:00:00Z",
      output_index: 0,
      id: "msg_1",
      content_index: 0,
      model: "mistral-medium-latest",
      role: "assistant",
      content: "Hel"
    }
    expect(FastParse.fastDecodeOnly(Generated.ConversationEventsData)(event)).toEqual({ value: event })
    const chunk = {
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "mistral-small-latest",
      choices: [{ index: 0, delta: { role: "assistant", content: "Hi" }, finish_reason: null }]
    }
    expect(FastParse.fastDecodeOnly(Generated.CompletionChunk)(chunk)).toEqual({ value: chunk })
    const unknownEvent = { type: "a.future.event", value: 1 }
    expect(FastParse.fastDecodeOnly(Generated.ConversationEventsData)(unknownEvent)).toEqual({
      value: { type: "$unknown", raw: unknownEvent }
    })
    expect(FastParse.fastDecodeOnly(Generated.ConversationEventsData)({ ...event, content: 1 })).toBeUndefined()
  })

  it("returns real Eithers, which Effect.gen can yield", () => {
    const decode = FastParse.decodeUnknownEither(Generated.ConversationEventsData)
    const event = { type: "conversation.response.started", created_at: "2025-01-01T00:00:00Z", conversation_id: "c" }
    const decoded = decode(event)
    expect(Either.isEither(decoded)).toBe(true)
    expect(FastParse.fastDecodeOnly(Generated.ConversationEventsData)(event)).toBeDefined()
    const program = Effect.gen(function* () {
      return yield* decode(event)
    })
    expect(Effect.runSync(program)).toEqual(event)
    expect(
      Either.isLeft(
        Effect.runSync(
          Effect.either(
            Effect.gen(function* () {
              return yield* decode(1)
            })
          )
        )
      )
    ).toBe(true)
  })
})
