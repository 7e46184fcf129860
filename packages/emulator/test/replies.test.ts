import { assert, describe, it } from "@effect/vitest"
import { makeIdGenerator } from "../src/internal/ids.js"
import { argumentsOf, computeTurn, findCalledTool, splitChars, splitWords } from "../src/internal/replies.js"

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
    assert.strictEqual(findCalledTool("use add then multiply", ["multiply", "add"]), "add")
    assert.isUndefined(findCalledTool("address", ["add"]))
    assert.isUndefined(findCalledTool("get_weather_now", ["get_weather"]))
    assert.strictEqual(findCalledTool("call get_weather.", ["get_weather"]), "get_weather")
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
