import { Redacted } from "effect"
import * as MistralClient from "../../src/MistralClient.js"
import { type Answer, fakeHttp, type Recorded } from "../fixtures/fakeHttp.js"

export const clientOf = (
  script: ReadonlyArray<Answer> | ((request: Recorded, index: number) => Answer),
  options: MistralClient.Options = {}
) => {
  const fake = fakeHttp(script)
  const client = MistralClient.makeWith(fake.client, {
    apiKey: Redacted.make("sk-test"),
    baseUrl: "http://mistral.test",
    retryPolicy: false,
    ...options
  })
  return { client, recorded: fake.recorded }
}

export const json = (value: unknown, status = 200, headers: Record<string, string> = {}): Answer => ({
  status,
  headers,
  body: JSON.stringify(value)
})

/** `METHOD /path?query` of a recorded request. */
export const line = (request: Recorded) => `${request.method} ${request.url.pathname}${request.url.search}`

export const bodyOf = (request: Recorded): unknown =>
  typeof request.body === "string" ? JSON.parse(request.body) : request.body

export const usage = { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 }

export const completion = (text: string) => ({
  id: "cmpl-1",
  object: "chat.completion",
  model: "mistral-small-latest",
  created: 1700000000,
  usage,
  choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }]
})

export const fileObject = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  object: "file",
  bytes: 12,
  created_at: 1700000000,
  filename: "data.jsonl",
  purpose: "batch",
  sample_type: "batch_request",
  source: "upload",
  ...extra
})

/** A batch job in the given status. */
export const batchJob = (status: string, extra: Record<string, unknown> = {}) => ({
  id: "job-1",
  object: "batch",
  input_files: ["file-in"],
  endpoint: "/v1/chat/completions",
  model: "mistral-small-latest",
  errors: [],
  status,
  created_at: 1700000000,
  total_requests: 3,
  completed_requests: 0,
  succeeded_requests: 0,
  failed_requests: 0,
  ...extra
})
