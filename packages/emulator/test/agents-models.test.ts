import * as AgentsSchemas from "@effect-mistral/core/generated/agents"
import * as ModelsSchemas from "@effect-mistral/core/generated/models"
import { assert, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { MistralEmulator } from "../src/index.js"
import { call, decodes, weather } from "./support.js"

it.layer(MistralEmulator.layer())("agents and models", (it) => {
  it.effect("agents: create, get, list, update, delete", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const created = yield* call(emulator, "POST", "/v1/agents", {
        body: {
          model: "mistral-medium-latest",
          name: "helper",
          description: "Helps",
          instructions: "Be kind",
          tools: [weather],
          metadata: { team: "a" }
        }
      })
      assert.strictEqual(created.status, 200)
      const agent = decodes(AgentsSchemas.Agent, created.json)
      assert.match(agent.id, /^ag_[0-9a-f]{32}$/)
      assert.strictEqual(created.json.object, "agent")
      assert.strictEqual(agent.version, 0)
      assert.deepStrictEqual(agent.versions, [0])
      assert.strictEqual(created.json.description, "Helps")

      const got = yield* call(emulator, "GET", `/v1/agents/${agent.id}`)
      assert.deepStrictEqual(got.json, created.json)

      const updated = yield* call(emulator, "PATCH", `/v1/agents/${agent.id}`, {
        body: { instructions: "Be very kind", version_message: "kinder" }
      })
      assert.strictEqual(updated.status, 200)
      decodes(AgentsSchemas.Agent, updated.json)
      assert.strictEqual(updated.json.version, 1)
      assert.deepStrictEqual(updated.json.versions, [0, 1])
      assert.strictEqual(updated.json.instructions, "Be very kind")
      assert.strictEqual(updated.json.name, "helper")
      assert.strictEqual(updated.json.created_at, created.json.created_at)

      const firstVersion = yield* call(emulator, "GET", `/v1/agents/${agent.id}?agent_version=0`)
      assert.strictEqual(firstVersion.json.instructions, "Be kind")
      const missingVersion = yield* call(emulator, "GET", `/v1/agents/${agent.id}?agent_version=7`)
      assert.strictEqual(missingVersion.status, 404)

      yield* call(emulator, "POST", "/v1/agents", { body: { model: "mistral-small-latest", name: "other" } })
      const listed = yield* call(emulator, "GET", "/v1/agents")
      decodes(AgentsSchemas.AgentsApiV1AgentsListResponse, listed.json)
      assert.deepStrictEqual(
        listed.json.map((a: { name: string }) => a.name),
        ["other", "helper"]
      )
      const byName = yield* call(emulator, "GET", "/v1/agents?name=helper")
      assert.strictEqual(byName.json.length, 1)
      const paged = yield* call(emulator, "GET", "/v1/agents?page=1&page_size=1")
      assert.deepStrictEqual(
        paged.json.map((a: { name: string }) => a.name),
        ["helper"]
      )

      const invalid = yield* call(emulator, "POST", "/v1/agents", { body: { name: "no model" } })
      assert.strictEqual(invalid.status, 422)
      assert.deepStrictEqual(invalid.json.detail[0].loc, ["body", "model"])

      const deleted = yield* call(emulator, "DELETE", `/v1/agents/${agent.id}`)
      assert.strictEqual(deleted.status, 204)
      const gone = yield* call(emulator, "GET", `/v1/agents/${agent.id}`)
      assert.strictEqual(gone.status, 404)
      const updateGone = yield* call(emulator, "PATCH", `/v1/agents/${agent.id}`, { body: { name: "x" } })
      assert.strictEqual(updateGone.status, 404)
    })
  )

  it.effect("models: list and retrieve", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const listed = yield* call(emulator, "GET", "/v1/models")
      assert.strictEqual(listed.status, 200)
      const list = decodes(ModelsSchemas.ModelList, listed.json)
      assert.strictEqual(listed.json.object, "list")
      const ids = listed.json.data.map((card: { id: string }) => card.id)
      for (const id of [
        "mistral-small-latest",
        "mistral-medium-latest",
        "mistral-large-latest",
        "codestral-latest",
        "mistral-embed"
      ]) {
        assert.include(ids, id)
      }
      assert.strictEqual(list.data?.length, ids.length)
      const one = yield* call(emulator, "GET", "/v1/models/codestral-latest")
      assert.strictEqual(one.status, 200)
      decodes(ModelsSchemas.RetrieveModelV1ModelsModelIdGetResponse, one.json)
      assert.strictEqual(one.json.type, "base")
      assert.isTrue(one.json.capabilities.completion_fim)
      const missing = yield* call(emulator, "GET", "/v1/models/gpt-nope")
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(missing.json.object, "error")
      assert.isTrue(Schema.is(Schema.Struct({ message: Schema.String }))(missing.json))
    })
  )
})
