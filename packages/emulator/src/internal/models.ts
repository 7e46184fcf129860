/** The models the emulator lists; every one of them answers conversations the same way. */
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
  card("mistral-embed", {
    name: "mistral-embed",
    aliases: [],
    maxContextLength: 8192,
    capabilities: { completion_chat: false, function_calling: false },
    temperature: null
  })
]
