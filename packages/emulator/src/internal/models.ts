/** The models the emulator lists; every one of them answers conversations and completions the same way. */
import type { FineTunedModel } from "./state.js"

const created = 1_735_689_600 // 2025-01-01T00:00:00Z, fixed so answers are reproducible

const capabilities = (overrides: Record<string, boolean>) => ({
  completion_chat: true,
  function_calling: true,
  reasoning: false,
  completion_fim: false,
  fine_tuning: false,
  vision: false,
  ocr: false,
  classification: false,
  moderation: false,
  audio: false,
  audio_transcription: false,
  audio_transcription_realtime: false,
  audio_speech: false,
  unified_resources: false,
  ...overrides
})

const card = (
  id: string,
  options: {
    readonly name: string
    readonly aliases: ReadonlyArray<string>
    readonly maxContextLength: number
    readonly capabilities: Record<string, boolean>
    readonly temperature: number | null
  }
) => ({
  id,
  object: "model",
  created,
  owned_by: "mistralai",
  capabilities: capabilities(options.capabilities),
  name: options.name,
  description: `${options.name} (Mistral emulator)`,
  max_context_length: options.maxContextLength,
  aliases: options.aliases,
  deprecation: null,
  deprecation_replacement_model: null,
  default_model_temperature: options.temperature,
  type: "base"
})

export const models: ReadonlyArray<Record<string, unknown> & { readonly id: string }> = [
  card("mistral-small-latest", {
    name: "mistral-small-2506",
    aliases: ["mistral-small-2506"],
    maxContextLength: 131072,
    capabilities: { vision: true },
    temperature: 0.3
  }),
  card("mistral-medium-latest", {
    name: "mistral-medium-2508",
    aliases: ["mistral-medium-2508"],
    maxContextLength: 131072,
    capabilities: { vision: true },
    temperature: 0.3
  }),
  card("mistral-large-latest", {
    name: "mistral-large-2411",
    aliases: ["mistral-large-2411"],
    maxContextLength: 131072,
    capabilities: {},
    temperature: 0.7
  }),
  card("codestral-latest", {
    name: "codestral-2508",
    aliases: ["codestral-2508"],
    maxContextLength: 256000,
    capabilities: { completion_fim: true },
    temperature: 0.3
  }),
  card("mistral-ocr-latest", {
    name: "mistral-ocr-2505",
    aliases: ["mistral-ocr-2505"],
    maxContextLength: 16384,
    capabilities: { completion_chat: false, function_calling: false, ocr: true },
    temperature: null
  }),
  card("mistral-moderation-latest", {
    name: "mistral-moderation-2411",
    aliases: ["mistral-moderation-2411"],
    maxContextLength: 8192,
    capabilities: { completion_chat: false, function_calling: false, moderation: true, classification: true },
    temperature: null
  }),
  card("mistral-embed", {
    name: "mistral-embed",
    aliases: [],
    maxContextLength: 8192,
    capabilities: { completion_chat: false, function_calling: false },
    temperature: null
  })
]

/** The fine-tuned model every emulator starts with, so the fine-tuned model routes have something to act on. */
export const fineTunedModelId = "ft:mistral-small-latest:e3f1a2b4:20250101:c0ffee01"

export const fineTunedModels = (): Array<FineTunedModel> => [
  {
    id: fineTunedModelId,
    object: "model",
    created,
    owned_by: "emulator-organization",
    capabilities: capabilities({ fine_tuning: true }),
    name: "emulator-fine-tune",
    description: "A fine-tuned model of the Mistral emulator",
    max_context_length: 32768,
    aliases: [],
    deprecation: null,
    deprecation_replacement_model: null,
    default_model_temperature: 0.3,
    type: "fine-tuned",
    job: "0b2a9a4e-5c1d-4f0e-9a63-6f7d2f3c1e01",
    root: "mistral-small-latest",
    root_version: "2506",
    workspace_id: "8d6c5b1e-2f3a-4b7c-9d0e-1a2b3c4d5e6f",
    archived: false
  }
]
