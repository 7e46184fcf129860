import * as AgentsSchemas from "@effect-mistral/core/generated/agents"
import * as Components from "@effect-mistral/core/generated/components"
import * as ConversationsSchemas from "@effect-mistral/core/generated/conversations"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { MistralEmulator } from "../src/index.js"
import { call, decodes, foldOutputs, parseEvents, readStream, weather } from "./support.js"

const model = "mistral-small-latest"

const ConversationList = Schema.Array(
  Schema.Union(ConversationsSchemas.ModelConversation, ConversationsSchemas.AgentConversation)
)

it.layer(MistralEmulator.layer())("conversations", (it) => {
  it.effect("start answers a ConversationResponse with the echo reply", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const answer = yield* call(emulator, "POST", "/v1/conversations", { body: { model, inputs: "Hello there" } })
      assert.strictEqual(answer.status, 200)
      const response = decodes(ConversationsSchemas.ConversationResponse, answer.json)
      assert.match(response.conversation_id, /^conv_[0-9a-f]{32}$/)
      assert.strictEqual(answer.json.object, "conversation.response")
      assert.strictEqual(answer.json.outputs.length, 1)
      const output = answer.json.outputs[0]
      assert.strictEqual(output.type, "message.output")
      assert.match(output.id, /^msg_[0-9a-f]{32}$/)
      assert.strictEqual(output.content, "Echo: Hello there (reply 1 from the Mistral emulator)")
      assert.strictEqual(output.model, model)
      assert.isTrue(!Number.isNaN(Date.parse(output.created_at)))
      assert.deepStrictEqual(Object.keys(answer.json.usage).slice(0, 3), [
        "prompt_tokens",
        "completion_tokens",
        "total_tokens"
      ])
      assert.strictEqual(
        answer.json.usage.total_tokens,
        answer.json.usage.prompt_tokens + answer.json.usage.completion_tokens
      )
      assert.isString(answer.headers.get("x-request-id"))
    })
  )

  it.effect("get, history and messages of a conversation", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const started = yield* call(emulator, "POST", "/v1/conversations", {
        body: { model, inputs: [{ role: "user", content: "First question" }], name: "named", instructions: "Be brief" }
      })
      const id = started.json.conversation_id
      const got = yield* call(emulator, "GET", `/v1/conversations/${id}`)
      assert.strictEqual(got.status, 200)
      decodes(ConversationsSchemas.AgentsApiV1ConversationsGetResponse, got.json)
      assert.strictEqual(got.json.id, id)
      assert.strictEqual(got.json.object, "conversation")
      assert.strictEqual(got.json.model, model)
      assert.strictEqual(got.json.name, "named")
      assert.strictEqual(got.json.instructions, "Be brief")

      const history = yield* call(emulator, "GET", `/v1/conversations/${id}/history`)
      decodes(ConversationsSchemas.ConversationHistory, history.json)
      assert.strictEqual(history.json.object, "conversation.history")
      assert.strictEqual(history.json.conversation_id, id)
      assert.deepStrictEqual(
        history.json.entries.map((entry: { type: string }) => entry.type),
        ["message.input", "message.output"]
      )
      assert.strictEqual(history.json.entries[0].content, "First question")
      assert.strictEqual(history.json.entries[0].role, "user")

      const messages = yield* call(emulator, "GET", `/v1/conversations/${id}/messages`)
      decodes(ConversationsSchemas.ConversationMessages, messages.json)
      assert.strictEqual(messages.json.object, "conversation.messages")
      assert.strictEqual(messages.json.messages.length, 2)
    })
  )

  it.effect("append adds the inputs and the reply", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const started = yield* call(emulator, "POST", "/v1/conversations", { body: { model, inputs: "one" } })
      const id = started.json.conversation_id
      const appended = yield* call(emulator, "POST", `/v1/conversations/${id}`, { body: { inputs: "two" } })
      assert.strictEqual(appended.status, 200)
      decodes(ConversationsSchemas.ConversationResponse, appended.json)
      assert.strictEqual(appended.json.conversation_id, id)
      assert.strictEqual(appended.json.outputs[0].content, "Echo: two (reply 2 from the Mistral emulator)")
      const history = yield* call(emulator, "GET", `/v1/conversations/${id}/history`)
      assert.deepStrictEqual(
        history.json.entries.map((entry: { content: string }) => entry.content),
        ["one", "Echo: one (reply 1 from the Mistral emulator)", "two", "Echo: two (reply 2 from the Mistral emulator)"]
      )
    })
  )

  it.effect("restart makes a new conversation from an entry and leaves the original unchanged", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const started = yield* call(emulator, "POST", "/v1/conversations", {
        body: { model, inputs: "alpha", metadata: { topic: "restart" } }
      })
      const id = started.json.conversation_id
      yield* call(emulator, "POST", `/v1/conversations/${id}`, { body: { inputs: "beta" } })
      const before = yield* call(emulator, "GET", `/v1/conversations/${id}/history`)
      const firstReply = before.json.entries[1]
      const restarted = yield* call(emulator, "POST", `/v1/conversations/${id}/restart`, {
        body: { from_entry_id: firstReply.id, inputs: "gamma" }
      })
      assert.strictEqual(restarted.status, 200)
      decodes(ConversationsSchemas.ConversationResponse, restarted.json)
      const newId = restarted.json.conversation_id
      assert.notStrictEqual(newId, id)
      assert.strictEqual(restarted.json.outputs[0].content, "Echo: gamma (reply 2 from the Mistral emulator)")

      const restartedHistory = yield* call(emulator, "GET", `/v1/conversations/${newId}/history`)
      assert.deepStrictEqual(
        restartedHistory.json.entries.map((entry: { content: string }) => entry.content),
        [
          "alpha",
          "Echo: alpha (reply 1 from the Mistral emulator)",
          "gamma",
          "Echo: gamma (reply 2 from the Mistral emulator)"
        ]
      )
      assert.strictEqual(restartedHistory.json.entries[1].id, firstReply.id)
      const after = yield* call(emulator, "GET", `/v1/conversations/${id}/history`)
      assert.deepStrictEqual(after.json, before.json)
      const restartedConversation = yield* call(emulator, "GET", `/v1/conversations/${newId}`)
      assert.deepStrictEqual(restartedConversation.json.metadata, { topic: "restart" })

      const unknownEntry = yield* call(emulator, "POST", `/v1/conversations/${id}/restart`, {
        body: { from_entry_id: "msg_nope", inputs: "x" }
      })
      assert.strictEqual(unknownEntry.status, 404)
    })
  )

  it.effect("list pages newest first and filters by JSON-encoded metadata", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const tag = `list-${Math.random()}`
      const ids: Array<string> = []
      for (const color of ["red", "blue", "red"]) {
        const started = yield* call(emulator, "POST", "/v1/conversations", {
          body: { model, inputs: color, metadata: { tag, color } }
        })
        ids.push(started.json.conversation_id)
      }
      const filter = (metadata: object, query = "") =>
        call(emulator, "GET", `/v1/conversations?metadata=${encodeURIComponent(JSON.stringify(metadata))}${query}`)
      const all = yield* filter({ tag })
      decodes(ConversationList, all.json)
      assert.deepStrictEqual(
        all.json.map((conversation: { id: string }) => conversation.id),
        [...ids].reverse()
      )
      const red = yield* filter({ tag, color: "red" })
      assert.deepStrictEqual(
        red.json.map((conversation: { id: string }) => conversation.id),
        [ids[2], ids[0]]
      )
      const secondPage = yield* filter({ tag }, "&page=1&page_size=2")
      assert.deepStrictEqual(
        secondPage.json.map((conversation: { id: string }) => conversation.id),
        [ids[0]]
      )
      const badPage = yield* call(emulator, "GET", "/v1/conversations?page=x")
      assert.strictEqual(badPage.status, 422)
      assert.deepStrictEqual(badPage.json.detail[0].loc, ["query", "page"])
      const badMetadata = yield* call(emulator, "GET", "/v1/conversations?metadata=%7Bnope")
      assert.strictEqual(badMetadata.status, 422)
    })
  )

  it.effect("delete answers 204, then the conversation is 404", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const started = yield* call(emulator, "POST", "/v1/conversations", { body: { model, inputs: "bye" } })
      const id = started.json.conversation_id
      const deleted = yield* call(emulator, "DELETE", `/v1/conversations/${id}`)
      assert.strictEqual(deleted.status, 204)
      assert.strictEqual(deleted.text, "")
      for (const path of [
        `/v1/conversations/${id}`,
        `/v1/conversations/${id}/history`,
        `/v1/conversations/${id}/messages`
      ]) {
        const missing = yield* call(emulator, "GET", path)
        assert.strictEqual(missing.status, 404)
        assert.strictEqual(missing.json.object, "error")
        assert.strictEqual(missing.json.type, "not_found")
        assert.isString(missing.json.message)
        assert.isString(missing.json.code)
      }
      const append = yield* call(emulator, "POST", `/v1/conversations/${id}`, { body: { inputs: "x" } })
      assert.strictEqual(append.status, 404)
      const again = yield* call(emulator, "DELETE", `/v1/conversations/${id}`)
      assert.strictEqual(again.status, 404)
    })
  )

  it.effect("stream: the event sequence of the API, folding into the stored entries", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const inputs = "Tell me a story about a small emulator"
      const streamed = yield* readStream(emulator, "/v1/conversations", { body: { model, inputs, stream: true } })
      assert.strictEqual(streamed.status, 200)
      assert.strictEqual(streamed.contentType, "text/event-stream")
      assert.isUndefined(streamed.error)
      const events = parseEvents(streamed.text)
      for (const { event, data } of events) {
        decodes(Components.ConversationEventsData, data)
        assert.strictEqual(event, data.type)
      }
      const types = events.map((event) => event.event)
      assert.strictEqual(types[0], "conversation.response.started")
      assert.strictEqual(types[types.length - 1], "conversation.response.done")
      const deltas = events.filter((event) => event.event === "message.output.delta")
      assert.isAbove(deltas.length, 2)
      assert.strictEqual(new Set(deltas.map((event) => event.data.id)).size, 1)
      for (const delta of deltas) {
        assert.strictEqual(delta.data.output_index, 0)
        assert.strictEqual(delta.data.content_index, 0)
      }
      const done = events[events.length - 1].data
      assert.isAbove(done.usage.total_tokens, 0)

      const conversationId = events[0].data.conversation_id
      const history = yield* call(emulator, "GET", `/v1/conversations/${conversationId}/history`)
      const stored = history.json.entries.filter((entry: { type: string }) => entry.type === "message.output")
      assert.deepStrictEqual(foldOutputs(events), [
        { type: "message.output", id: stored[0].id, content: stored[0].content }
      ])

      const plain = yield* call(emulator, "POST", "/v1/conversations", { body: { model, inputs } })
      assert.strictEqual(plain.json.outputs[0].content, stored[0].content)
      assert.deepStrictEqual(plain.json.usage, done.usage)
    })
  )

  it.effect("append and restart stream too", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const started = yield* call(emulator, "POST", "/v1/conversations", { body: { model, inputs: "start" } })
      const id = started.json.conversation_id
      const appended = yield* readStream(emulator, `/v1/conversations/${id}`, {
        body: { inputs: "more", stream: true }
      })
      const appendEvents = parseEvents(appended.text)
      assert.strictEqual(appendEvents[0].data.conversation_id, id)
      assert.strictEqual(foldOutputs(appendEvents)[0].content, "Echo: more (reply 2 from the Mistral emulator)")
      const restarted = yield* readStream(emulator, `/v1/conversations/${id}/restart`, {
        body: { from_entry_id: started.json.outputs[0].id, inputs: "other", stream: true }
      })
      const restartEvents = parseEvents(restarted.text)
      assert.notStrictEqual(restartEvents[0].data.conversation_id, id)
      assert.strictEqual(foldOutputs(restartEvents)[0].content, "Echo: other (reply 2 from the Mistral emulator)")
    })
  )

  it.effect("function tools: a call, then a message that uses the result", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const started = yield* call(emulator, "POST", "/v1/conversations", {
        body: { model, tools: [weather], inputs: "Please call get_weather city=Paris days=3" }
      })
      decodes(ConversationsSchemas.ConversationResponse, started.json)
      const functionCall = started.json.outputs[0]
      assert.strictEqual(functionCall.type, "function.call")
      assert.strictEqual(functionCall.name, "get_weather")
      assert.match(functionCall.id, /^fc_[0-9a-f]{32}$/)
      assert.match(functionCall.tool_call_id, /^[A-Za-z0-9]{9}$/)
      assert.deepStrictEqual(JSON.parse(functionCall.arguments), { city: "Paris", days: 3 })

      const id = started.json.conversation_id
      const answered = yield* call(emulator, "POST", `/v1/conversations/${id}`, {
        body: { inputs: [{ type: "function.result", tool_call_id: functionCall.tool_call_id, result: "sunny, 22°C" }] }
      })
      assert.strictEqual(answered.status, 200)
      assert.strictEqual(answered.json.outputs[0].type, "message.output")
      assert.strictEqual(answered.json.outputs[0].content, "The result of get_weather is sunny, 22°C.")
      const history = yield* call(emulator, "GET", `/v1/conversations/${id}/history`)
      decodes(ConversationsSchemas.ConversationHistory, history.json)
      assert.deepStrictEqual(
        history.json.entries.map((entry: { type: string }) => entry.type),
        ["message.input", "function.call", "function.result", "message.output"]
      )
      const messages = yield* call(emulator, "GET", `/v1/conversations/${id}/messages`)
      assert.deepStrictEqual(
        messages.json.messages.map((entry: { type: string }) => entry.type),
        ["message.input", "message.output"]
      )

      const unknownCall = yield* call(emulator, "POST", `/v1/conversations/${id}`, {
        body: { inputs: [{ type: "function.result", tool_call_id: "nope", result: "x" }] }
      })
      assert.strictEqual(unknownCall.status, 422)
      assert.deepStrictEqual(unknownCall.json.detail[0].loc, ["body", "inputs", 0, "tool_call_id"])
    })
  )

  it.effect("function tools stream function.call.delta events", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const streamed = yield* readStream(emulator, "/v1/conversations", {
        body: { model, tools: [weather], inputs: 'get_weather city="New York" unit=celsius', stream: true }
      })
      const events = parseEvents(streamed.text)
      for (const { data } of events) decodes(Components.ConversationEventsData, data)
      const deltas = events.filter((event) => event.event === "function.call.delta")
      assert.isAbove(deltas.length, 1)
      const [folded] = foldOutputs(events)
      assert.strictEqual(folded.name, "get_weather")
      assert.deepStrictEqual(JSON.parse(folded.arguments as string), { city: "New York", unit: "celsius" })
      const history = yield* call(emulator, "GET", `/v1/conversations/${events[0].data.conversation_id}/history`)
      const stored = history.json.entries[1]
      assert.deepStrictEqual(folded, {
        type: "function.call",
        id: stored.id,
        name: stored.name,
        tool_call_id: stored.tool_call_id,
        arguments: stored.arguments
      })
    })
  )

  it.effect("422 for invalid bodies", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const noInputs = yield* call(emulator, "POST", "/v1/conversations", { body: { model } })
      assert.strictEqual(noInputs.status, 422)
      decodes(Components.HTTPValidationError, noInputs.json)
      assert.deepStrictEqual(noInputs.json.detail[0].loc, ["body", "inputs"])
      assert.strictEqual(noInputs.json.detail[0].type, "missing")

      const wrongInputs = yield* call(emulator, "POST", "/v1/conversations", { body: { model, inputs: 42 } })
      assert.strictEqual(wrongInputs.status, 422)
      assert.deepStrictEqual(wrongInputs.json.detail[0].loc, ["body", "inputs"])

      const unknownEntry = yield* call(emulator, "POST", "/v1/conversations", {
        body: { model, inputs: [{ type: "message.telepathy", content: "?" }] }
      })
      assert.strictEqual(unknownEntry.status, 422)
      assert.deepStrictEqual(unknownEntry.json.detail[0].loc, ["body", "inputs", 0, "type"])

      const neither = yield* call(emulator, "POST", "/v1/conversations", { body: { inputs: "hi" } })
      assert.strictEqual(neither.status, 422)

      const notJson = yield* call(emulator, "POST", "/v1/conversations", { body: "{not json" })
      assert.strictEqual(notJson.status, 422)
      assert.strictEqual(notJson.json.detail[0].type, "json_invalid")

      const restartWithoutEntry = yield* call(emulator, "POST", "/v1/conversations", { body: { model, inputs: "x" } })
      const restart = yield* call(
        emulator,
        "POST",
        `/v1/conversations/${restartWithoutEntry.json.conversation_id}/restart`,
        {
          body: { inputs: "y" }
        }
      )
      assert.strictEqual(restart.status, 422)
      assert.deepStrictEqual(restart.json.detail[0].loc, ["body", "from_entry_id"])
    })
  )

  it.effect("401 without a bearer token, 404 for unknown routes", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const anonymous = yield* call(emulator, "POST", "/v1/conversations", {
        body: { model, inputs: "x" },
        token: null
      })
      assert.strictEqual(anonymous.status, 401)
      assert.strictEqual(anonymous.json.object, "error")
      assert.strictEqual(anonymous.json.type, "unauthorized")
      const empty = yield* call(emulator, "GET", "/v1/models", { headers: { authorization: "Bearer " }, token: null })
      assert.strictEqual(empty.status, 401)
      const unknown = yield* call(emulator, "GET", "/v1/nothing-here")
      assert.strictEqual(unknown.status, 404)
      assert.strictEqual(unknown.json.object, "error")
    })
  )

  it.effect("conversations by agent_id use the agent's tools", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const agent = yield* call(emulator, "POST", "/v1/agents", {
        body: { model: "mistral-large-latest", name: "forecaster", tools: [weather] }
      })
      const started = yield* call(emulator, "POST", "/v1/conversations", {
        body: { agent_id: agent.json.id, inputs: "get_weather city=Lyon" }
      })
      assert.strictEqual(started.status, 200)
      decodes(ConversationsSchemas.ConversationResponse, started.json)
      assert.strictEqual(started.json.outputs[0].type, "function.call")
      assert.strictEqual(started.json.outputs[0].agent_id, agent.json.id)
      assert.strictEqual(started.json.outputs[0].model, "mistral-large-latest")
      const conversation = yield* call(emulator, "GET", `/v1/conversations/${started.json.conversation_id}`)
      decodes(ConversationsSchemas.AgentConversation, conversation.json)
      assert.strictEqual(conversation.json.agent_id, agent.json.id)
      assert.strictEqual(conversation.json.agent_version, 0)
      decodes(AgentsSchemas.Agent, agent.json)

      const unknownAgent = yield* call(emulator, "POST", "/v1/conversations", {
        body: { agent_id: "ag_missing", inputs: "hi" }
      })
      assert.strictEqual(unknownAgent.status, 404)
    })
  )
})

describe("apiKey", () => {
  it.layer(MistralEmulator.layer({ apiKey: "secret" }))((it) => {
    it.effect("only the configured key is accepted", () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.MistralEmulator
        const wrong = yield* call(emulator, "GET", "/v1/models", { token: "other" })
        assert.strictEqual(wrong.status, 401)
        const right = yield* call(emulator, "GET", "/v1/models", { token: "secret" })
        assert.strictEqual(right.status, 200)
        const log = yield* emulator.requests
        assert.isTrue(log.every((request) => request.headers.authorization === undefined))
      })
    )
  })
})
