import { describe, expect, it } from "vitest"
import {
  camelCase,
  moduleNameOfTag,
  moduleNames,
  NameAllocator,
  pascalCase,
  propertyKey,
  sanitizeIdentifier
} from "../src/naming.js"

describe("naming", () => {
  it("PascalCases operation ids and odd names", () => {
    expect(pascalCase("agents_api_v1_conversations_start")).toBe("AgentsApiV1ConversationsStart")
    expect(pascalCase("get_voice_sample_audio_v1_audio_voices__voice_id__sample_get")).toBe(
      "GetVoiceSampleAudioV1AudioVoicesVoiceIdSampleGet"
    )
    expect(pascalCase("ActionUnavailable[Reason]")).toBe("ActionUnavailableReason")
    expect(pascalCase("3d-model")).toBe("_3dModel")
    expect(camelCase("chat_completion_events.fields")).toBe("chatCompletionEventsFields")
  })

  it("keeps valid component names and sanitizes the others", () => {
    expect(sanitizeIdentifier("ConversationResponse")).toBe("ConversationResponse")
    expect(sanitizeIdentifier("Body_upload-file")).toBe("BodyUploadFile")
    expect(sanitizeIdentifier("Schema")).toBe("Schema_")
    expect(sanitizeIdentifier("Operation")).toBe("Operation_")
    expect(sanitizeIdentifier("delete")).toBe("Delete")
    expect(sanitizeIdentifier("unknown")).toBe("Unknown")
  })

  it("allocates unique names deterministically", () => {
    const names = new NameAllocator()
    expect(names.allocate("A")).toBe("A")
    expect(names.allocate("A")).toBe("A2")
    expect(names.allocate("A")).toBe("A3")
    expect(names.allocate("Schema")).toBe("Schema2")
  })

  it("names modules after the first tag, without `beta.`", () => {
    expect(moduleNameOfTag("beta.conversations")).toBe("conversations")
    expect(moduleNameOfTag("beta.libraries.documents")).toBe("librariesDocuments")
    expect(moduleNameOfTag("beta.observability.chat_completion_events.fields")).toBe(
      "observabilityChatCompletionEventsFields"
    )
    expect(moduleNameOfTag("beta.admin.audit-logs")).toBe("adminAuditLogs")
    expect(moduleNameOfTag("audio.speech")).toBe("audioSpeech")
  })

  it("keeps the deprecated agents completion apart from the Agents API", () => {
    const names = moduleNames(["agents", "beta.agents"])
    expect(names.get("beta.agents")).toBe("agents")
    expect(names.get("agents")).toBe("agentsCompletion")
  })

  it("fails on a module name collision the overrides do not settle", () => {
    expect(() => moduleNames(["files", "beta.files"])).toThrow(/both map to module "files"/)
    expect(() => moduleNames(["components"])).toThrow(/reserved/)
  })

  it("quotes property keys only when needed", () => {
    expect(propertyKey("conversation_id")).toBe("conversation_id")
    expect(propertyKey("sort.field")).toBe('"sort.field"')
    expect(propertyKey("Last-Event-ID")).toBe('"Last-Event-ID"')
  })
})
