import { describe, expect, it } from "vitest"
import { dependencyOrder, emit, printNamedSchema } from "../src/emit.js"
import { generateFiles, mergeSupplements, parseDocument } from "../src/generate.js"
import type { NamedSchema } from "../src/model.js"
import { buildModel } from "../src/model.js"

const op = (operationId: string, tag: string, responseSchema: object, extra: object = {}) => ({
  operationId,
  tags: [tag],
  responses: {
    "200": { content: { "application/json": { schema: responseSchema } } },
    "422": { content: { "application/json": { schema: { $ref: "#/components/schemas/Err" } } } }
  },
  ...extra
})

const document = () => ({
  openapi: "3.1.0",
  paths: {
    "/v1/a": { get: op("a_get", "beta.alpha", { $ref: "#/components/schemas/OnlyAlpha" }) },
    "/v1/b": { get: op("b_get", "beta.beta", { type: "array", items: { $ref: "#/components/schemas/Shared" } }) },
    "/v1/a#stream": {
      post: {
        operationId: "a_stream",
        tags: ["beta.alpha"],
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: "#/components/schemas/Shared" } } }
        },
        responses: {
          "200": {
            content: {
              "text/event-stream": {
                schema: {
                  type: "object",
                  properties: {
                    event: { type: "string" },
                    data: { oneOf: [{ $ref: "#/$defs/Tick" }, { $ref: "#/$defs/Done" }] }
                  },
                  $defs: {
                    Tick: { type: "object", properties: { type: { const: "tick" }, n: { type: "integer" } } },
                    Done: { type: "object", properties: { type: { const: "done" } } }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/v1/c/{id}": {
      delete: {
        operationId: "c_delete",
        tags: ["beta.beta"],
        parameters: [
          { name: "id", in: "path", required: true, schema: { type: "string" } },
          { name: "filter", in: "query", content: { "application/json": { schema: { type: "object" } } } },
          { name: "X-Trace", in: "header", schema: { type: "string" } }
        ],
        responses: { "204": { description: "gone" } }
      }
    }
  },
  components: {
    schemas: {
      Err: { type: "object", properties: { detail: { type: "string" } } },
      OnlyAlpha: {
        type: "object",
        properties: { node: { $ref: "#/components/schemas/Node" }, shared: { $ref: "#/components/schemas/Shared" } },
        required: ["node", "ghost"],
        example: { node: 12 }
      },
      Node: {
        type: "object",
        description: "A tree node with a long description that must not leak",
        properties: { children: { type: "array", items: { $ref: "#/components/schemas/Node" } }, big: { default: 1e9 } }
      },
      Shared: { type: "object", properties: { n: { type: "number", minimum: 0 } } },
      Orphan: { type: "object", properties: { node: { $ref: "#/components/schemas/Node" } } }
    }
  }
})

describe("buildModel", () => {
  const model = buildModel(document())

  it("partitions schemas: one group → its module, shared or unused → components", () => {
    const moduleOf = (name: string) => model.schemas.get(name)?.module
    expect(moduleOf("Shared")).toBe("components")
    expect(moduleOf("Err")).toBe("components")
    expect(moduleOf("Orphan")).toBe("components")
    // Node is reached from alpha only, but also by the unused Orphan: components never imports a group module
    expect(moduleOf("Node")).toBe("components")
    expect(moduleOf("OnlyAlpha")).toBe("alpha")
    expect(moduleOf("BGetResponse")).toBe("beta")
  })

  it("names inline schemas after the operation and their role, and resolves inline $defs", () => {
    const stream = model.operations.find((o) => o.operationId === "a_stream")!
    expect(stream.path).toBe("/v1/a")
    expect(stream.response).toBe("sse")
    expect(stream.event).toBe("AStreamEvent")
    expect(model.schemas.get("AStreamEvent")?.ir).toMatchObject({
      kind: "tagged",
      key: "type",
      absent: ["tick", "done"]
    })
    expect(model.schemas.get("Tick")?.module).toBe("alpha")
    expect(model.warnings).toEqual([])
  })

  it("collects parameters, JSON query parameters and empty answers", () => {
    const del = model.operations.find((o) => o.operationId === "c_delete")!
    expect(del).toMatchObject({
      pathParameters: "CDeletePathParameters",
      query: "CDeleteQuery",
      queryJson: ["filter"],
      headers: "CDeleteHeaders",
      response: "empty",
      successStatus: 204,
      errors: []
    })
    expect(model.schemas.get("CDeleteHeaders")?.ir).toMatchObject({
      properties: [{ name: "X-Trace", required: false }]
    })
  })

  it("ignores required names that are not properties", () => {
    expect(model.schemas.get("OnlyAlpha")?.ir).toMatchObject({
      properties: [
        { name: "node", required: true },
        { name: "shared", required: false }
      ]
    })
  })
})

describe("emit", () => {
  const files = emit(buildModel(document()))
  const file = (path: string) => files.find((f) => f.path === path)!.content

  it("defers only self and cyclic references with Schema.suspend", () => {
    const components = file("components.ts")
    expect(components).toContain(
      "children: Schema.optional(Schema.Array(Schema.suspend((): Schema.Schema<Node, Node.Encoded> => Node)))"
    )
    expect(components).toContain("node: Schema.optional(Node)")
  })

  it("orders schemas after their dependencies", () => {
    const s = (name: string, refs: Array<string>): NamedSchema => ({
      name,
      origin: "component",
      module: "m",
      ir: {
        kind: "object",
        additional: undefined,
        properties: refs.map((r) => ({ name: r, required: true, deprecated: false, schema: { kind: "ref", name: r } }))
      }
    })
    const order = dependencyOrder([s("A", ["B"]), s("B", ["C"]), s("C", ["A"]), s("D", [])]).map((x) => x.name)
    expect(order).toEqual(["C", "B", "A", "D"])
  })

  it("prints the type, the Encoded namespace and the schema constant", () => {
    const text = printNamedSchema(
      { name: "X", origin: "component", module: "m", ir: { kind: "enum", values: ["a", "b"] } },
      { isDeferred: () => false }
    )
    expect(text).toContain('export type X = MistralSchema.OpenEnum<"a" | "b">')
    expect(text).toContain("export declare namespace X { export type Encoded = X }")
    expect(text).toContain(
      'export const X: Schema.Schema<X, X.Encoded> = MistralSchema.lazy(() => MistralSchema.openEnum("a", "b"))'
    )
  })

  it("declares every schema that builds something as built on first use, and a reference as the schema it names", () => {
    const components = file("components.ts")
    expect(components).toMatch(/export const Node: Schema\.Schema<Node, Node\.Encoded> = MistralSchema\.lazy\(\(\) =>/)
    expect(components).not.toMatch(/= Schema\.(Struct|Union|Array|Record)\(/)
    const alias = printNamedSchema(
      { name: "Y", origin: "component", module: "m", ir: { kind: "ref", name: "X" } },
      { isDeferred: () => false }
    )
    expect(alias).toContain("export const Y: Schema.Schema<Y, Y.Encoded> = X\n")
  })

  it("writes headers, imports from components only, the registry and the index, without prose", () => {
    for (const f of files) {
      expect(
        f.content.startsWith("// This file is generated by `pnpm codegen --spec <path-to-mistral-openapi.yaml>`")
      ).toBe(true)
      expect(f.content).not.toContain("long description")
      expect(f.content).not.toMatch(/\bany\b/)
    }
    expect(files.map((f) => f.path)).toEqual(["Operations.ts", "alpha.ts", "beta.ts", "components.ts", "index.ts"])
    expect(file("alpha.ts")).toContain('from "./components.js"')
    expect(file("components.ts")).not.toMatch(/from "\.\/(alpha|beta)\.js"/)
    expect(file("Operations.ts")).toContain("a_get: alpha.a_get")
    expect(file("alpha.ts")).toContain("/** a_stream — POST /v1/a#stream */")
  })
})

describe("supplementary documents", () => {
  const supplement = [
    "x-module: wire",
    "components:",
    "  schemas:",
    "    Hello:",
    "      type: object",
    "      properties:",
    "        type: { const: hello }",
    "        shared: { $ref: '#/components/schemas/Shared' }",
    "      required: [type]",
    "    Bye:",
    "      type: object",
    "      properties:",
    "        type: { const: bye }",
    "    Message:",
    "      oneOf:",
    "        - $ref: '#/components/schemas/Hello'",
    "        - $ref: '#/components/schemas/Bye'",
    ""
  ].join("\n")

  it("puts what only the supplement reaches in its module, shares the document's schemas, and has no operations", () => {
    const { model, files } = generateFiles(JSON.stringify(document()), [supplement])
    expect(model.schemas.get("Message")?.module).toBe("wire")
    expect(model.schemas.get("Hello")?.module).toBe("wire")
    expect(model.schemas.get("Shared")?.module).toBe("components")
    const wire = files.find((f) => f.path === "wire.ts")!.content
    expect(
      wire.startsWith(
        "// This file is generated by `pnpm codegen --spec <path-to-mistral-openapi.yaml>` from packages/codegen/spec (x-module: wire)"
      )
    ).toBe(true)
    expect(wire).toContain('MistralSchema.taggedUnion("type", { "hello": Hello, "bye": Bye }, ["bye"])')
    expect(wire).toContain('import { Shared } from "./components.js"')
    const registry = files.find((f) => f.path === "Operations.ts")!.content
    expect(registry).not.toContain("./wire.js")
    expect(files.find((f) => f.path === "index.ts")!.content).toContain('export * from "./wire.js"')
  })

  it("refuses a schema name the document already defines", () => {
    const clash = "x-module: wire\ncomponents:\n  schemas:\n    Shared: { type: object }\n"
    expect(() => mergeSupplements(document(), [clash])).toThrow(/Shared \(wire\) is already defined/)
  })
})

describe("parseDocument", () => {
  it("reads YAML 1.2: 1e+09 is a number", () => {
    expect(parseDocument("a: 1e+09\nb: 0o10\n")).toEqual({ a: 1e9, b: 8 })
  })
})
