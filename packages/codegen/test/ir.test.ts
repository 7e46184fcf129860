import { describe, expect, it } from "vitest"
import { convert, findDiscriminant, type IR, type Resolver, type SchemaObject, type Scope } from "../src/ir.js"

const makeResolver = (components: Record<string, SchemaObject>, warnings: Array<string> = []): Resolver => ({
  components,
  componentRef: (name) => ({ kind: "ref", name }),
  defRef: (scope, name) => ({ kind: "ref", name: `${scope.owner}.${name}` }),
  warn: (message) => warnings.push(message)
})
const scope: Scope = { owner: "Test", defs: undefined }
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

const entry = (tag: string, required: boolean, extra: Record<string, SchemaObject> = {}) => ({
  type: "object",
  properties: { type: { type: "string", const: tag, default: tag }, ...extra },
  required: required ? ["type"] : []
})

describe("findDiscriminant", () => {
  it("uses a declared discriminator and its mapping", () => {
    const resolver = makeResolver({
      A: { type: "object", properties: { kind: { type: "string" } } },
      B: { type: "object", properties: { kind: { const: "b" } }, required: ["kind"] }
    })
    const found = findDiscriminant(resolver, [ref("A"), ref("B")], scope, {
      propertyName: "kind",
      mapping: { a: "#/components/schemas/A", b: "#/components/schemas/B" }
    })
    expect(found?.key).toBe("kind")
    expect(found?.tags).toEqual([
      { tag: "a", required: false },
      { tag: "b", required: true }
    ])
  })

  it("detects a property every member pins to a distinct value, preferring `type`", () => {
    const resolver = makeResolver({
      X: { type: "object", properties: { object: { const: "entry" }, type: { enum: ["x"] } }, required: ["type"] },
      Y: { type: "object", properties: { object: { const: "entry" }, type: { const: "y" } } }
    })
    const found = findDiscriminant(resolver, [ref("X"), ref("Y")], scope, undefined)
    expect(found).toEqual({
      key: "type",
      tags: [
        { tag: "x", required: true },
        { tag: "y", required: false }
      ]
    })
  })

  it("finds none when values repeat, a member is not an object, or lacks the property", () => {
    const resolver = makeResolver({ A: entry("a", true), A2: entry("a", true), S: { type: "string" } })
    expect(findDiscriminant(resolver, [ref("A"), ref("A2")], scope, undefined)).toBeUndefined()
    expect(findDiscriminant(resolver, [ref("A"), ref("S")], scope, undefined)).toBeUndefined()
    expect(
      findDiscriminant(resolver, [ref("A"), { type: "object", properties: { x: {} } }], scope, undefined)
    ).toBeUndefined()
  })

  it("sees through allOf", () => {
    const resolver = makeResolver({ Base: { type: "object", properties: { id: { type: "string" } } } })
    const member = (tag: string) => ({ allOf: [ref("Base"), entry(tag, false)] })
    expect(findDiscriminant(resolver, [member("p"), member("q")], scope, undefined)?.key).toBe("type")
  })
})

describe("convert", () => {
  const resolver = makeResolver({ A: entry("a", false), B: entry("b", true) })

  it("turns a union of tagged objects into a tagged union, with the defaulted members tried when absent", () => {
    const ir = convert(resolver, { anyOf: [ref("A"), ref("B"), { type: "null" }] }, scope)
    expect(ir).toEqual({
      kind: "nullable",
      inner: {
        kind: "tagged",
        key: "type",
        members: [
          { tag: "a", member: { kind: "ref", name: "A" } },
          { tag: "b", member: { kind: "ref", name: "B" } }
        ],
        absent: ["a"]
      }
    })
  })

  it("keeps unions without a discriminant plain", () => {
    const ir = convert(resolver, { anyOf: [{ type: "string" }, { type: "array", items: ref("A") }] }, scope)
    expect(ir.kind).toBe("union")
  })

  it("opens enums, pins consts and one-value inline enums, and maps type arrays to nullable", () => {
    expect(convert(resolver, { type: "string", enum: ["x", "y"] }, scope)).toEqual({ kind: "enum", values: ["x", "y"] })
    expect(convert(resolver, { type: "boolean", enum: [true] }, scope)).toEqual({ kind: "literal", value: true })
    expect(convert(resolver, { type: "string", enum: ["only"] }, scope, { openSingleValueEnum: true })).toEqual({
      kind: "enum",
      values: ["only"]
    })
    expect(convert(resolver, { const: "c" }, scope)).toEqual({ kind: "literal", value: "c" })
    expect(convert(resolver, { type: ["string", "null"], enum: ["a", "b", null] }, scope)).toEqual({
      kind: "nullable",
      inner: { kind: "enum", values: ["a", "b"] }
    })
  })

  it("merges allOf members and ignores required names no property defines", () => {
    const merged = makeResolver({
      Base: { type: "object", properties: { id: { type: "string" } }, required: ["id", "data"] }
    })
    const ir = convert(
      merged,
      { allOf: [ref("Base"), { type: "object", properties: { n: { type: "integer" } } }] },
      scope
    )
    expect(ir).toEqual({
      kind: "object",
      additional: undefined,
      properties: [
        { name: "id", schema: { kind: "string" }, required: true, deprecated: false },
        { name: "n", schema: { kind: "number" }, required: false, deprecated: false }
      ]
    })
  })

  it("applies the required overrides", () => {
    const ir = convert(resolver, { type: "object", properties: { a: {} }, required: ["a"] }, scope, {
      optionalOverrides: new Set(["a"])
    }) as Extract<IR, { kind: "object" }>
    expect(ir.properties[0].required).toBe(false)
  })

  it("maps open objects, records and untyped schemas", () => {
    expect(convert(resolver, { type: "object", additionalProperties: true }, scope)).toEqual({
      kind: "record",
      value: { kind: "unknown" }
    })
    expect(convert(resolver, { type: "object" }, scope)).toEqual({ kind: "record", value: { kind: "unknown" } })
    expect(convert(resolver, { title: "Anything" }, scope)).toEqual({ kind: "unknown" })
    const open = convert(resolver, { type: "object", properties: { a: {} }, additionalProperties: true }, scope)
    expect(open).toMatchObject({ kind: "object", additional: { kind: "unknown" } })
    expect(convert(resolver, { type: "string", format: "binary" }, scope)).toEqual({ kind: "binary" })
  })

  it("resolves `#/$defs/` against the enclosing schema and warns on what it cannot resolve", () => {
    const warnings: Array<string> = []
    const r = makeResolver({}, warnings)
    const inline: Scope = { owner: "Speech", defs: { Delta: { type: "object" } } }
    expect(convert(r, { $ref: "#/$defs/Delta" }, inline)).toEqual({ kind: "ref", name: "Speech.Delta" })
    expect(convert(r, { $ref: "#/$defs/Missing" }, inline)).toEqual({ kind: "unknown" })
    expect(convert(r, { $ref: "#/components/schemas/Nope" }, inline)).toEqual({ kind: "unknown" })
    expect(warnings).toHaveLength(2)
  })

  it("never carries examples or descriptions", () => {
    const ir = convert(
      resolver,
      { type: "object", description: "prose", properties: { n: { type: "integer", example: "not a number" } } },
      scope
    )
    expect(JSON.stringify(ir)).not.toMatch(/prose|not a number/)
  })
})
