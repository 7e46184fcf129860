import { assert, describe, it } from "@effect/vitest"
import { makeIdGenerator } from "../src/internal/ids.js"
import { instanceOf } from "../src/internal/jsonSchema.js"
import { argumentsOf, callsOf, computeTurn, findCalledTools, splitChars, splitWords } from "../src/internal/replies.js"

describe("reply rules", () => {
  it("splits text into pieces of three words, keeping every character", () => {
    const text = "Echo: one two  three four (reply 1 from the Mistral emulator)"
    const pieces = splitWords(text)
    assert.strictEqual(pieces.join(""), text)
    assert.strictEqual(pieces[0], "Echo: one two  ")
    assert.deepStrictEqual(splitWords(""), [""])
    assert.strictEqual(splitChars('{"city":"Paris","days":3}').join(""), '{"city":"Paris","days":3}')
  })

  it("reads key=value arguments", () => {
    assert.deepStrictEqual(JSON.parse(argumentsOf("get_weather city=Paris days=3 metric=true.")), {
      city: "Paris",
      days: 3,
      metric: true
    })
    assert.deepStrictEqual(JSON.parse(argumentsOf(`lookup name="Ada Lovelace" tag='a b'`)), {
      name: "Ada Lovelace",
      tag: "a b"
    })
    assert.strictEqual(argumentsOf("nothing here"), "{}")
  })

  it("finds the declared tool mentioned first, as a whole word", () => {
    const names = (text: string, tools: Array<string>) => findCalledTools(text, tools).map((mention) => mention.name)
    assert.deepStrictEqual(names("use add then multiply", ["multiply", "add"]), ["add", "multiply"])
    assert.deepStrictEqual(names("address", ["add"]), [])
    assert.deepStrictEqual(names("get_weather_now", ["get_weather"]), [])
    assert.deepStrictEqual(names("call get_weather.", ["get_weather"]), ["get_weather"])
    const text = "get_weather city=Paris and get_time zone=CET"
    assert.deepStrictEqual(callsOf(text, findCalledTools(text, ["get_time", "get_weather"])), [
      { name: "get_weather", args: '{"city":"Paris"}' },
      { name: "get_time", args: '{"zone":"CET"}' }
    ])
  })

  it("ids are deterministic", () => {
    const a = makeIdGenerator()
    const b = makeIdGenerator()
    assert.deepStrictEqual(
      [a.next("conv"), a.next("msg"), a.toolCallId()],
      [b.next("conv"), b.next("msg"), b.toolCallId()]
    )
    assert.notStrictEqual(a.next("conv"), a.next("conv"))
  })

  it("answers the same turn the same way", () => {
    const turn = () =>
      computeTurn(
        {
          history: [],
          inputs: [{ id: "msg_1", type: "message.input", role: "user", content: [{ type: "text", text: "Hi" }] }],
          tools: [],
          instructions: null,
          model: "mistral-small-latest",
          agentId: null
        },
        makeIdGenerator(),
        "2025-01-01T00:00:00.000Z"
      )
    assert.deepStrictEqual(turn(), turn())
    const result = turn()
    assert.strictEqual(result._tag, "Turn")
    if (result._tag === "Turn") {
      assert.strictEqual(result.turn.outputs[0].content, "Echo: Hi (reply 1 from the Mistral emulator)")
    }
  })
})

describe("JSON schema instances", () => {
  it("follows refs, merges allOf, respects bounds and ends on recursive schemas", () => {
    const tree = {
      type: "object",
      properties: { label: { type: "string" }, children: { type: "array", items: { $ref: "#" } } },
      required: ["label"]
    }
    // optional properties stop at depth 4 (arrays count as a level), so the tree ends
    assert.deepStrictEqual(instanceOf(tree), {
      label: "label",
      children: [{ label: "label", children: [{ label: "label" }] }]
    })
    assert.deepStrictEqual(
      instanceOf({
        allOf: [
          { type: "object", properties: { a: { type: "number", exclusiveMinimum: 50 } }, required: ["a"] },
          { properties: { b: { type: ["integer", "null"], maximum: 0 } } }
        ]
      }),
      { a: 50.5, b: 0 }
    )
    assert.deepStrictEqual(instanceOf({ type: "array", items: { const: "x" }, maxItems: 0 }), [])
    assert.deepStrictEqual(
      instanceOf({ definitions: { id: { type: "string", format: "uuid" } }, $ref: "#/definitions/id" }),
      "00000000-0000-4000-8000-000000000000"
    )
  })
})
