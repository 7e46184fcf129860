/**
 * `pnpm demo batch`: a 1,000-request chat batch against an emulator embedded in this process (always: it shows the
 * progress of a job that takes a while, which the emulator runs 100 requests per poll). The input streams into the
 * upload, the job is polled until it ends, the results stream back; the progress is one redrawn line on a terminal,
 * and plain lines (one per step) when the output is not a terminal.
 */
import * as Batch from "@effect-mistral/core/Batch"
import * as RetryPolicy from "@effect-mistral/core/RetryPolicy"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"

const REQUESTS = 1_000
const BAR_WIDTH = 24

const questions = ["What is a fiber?", "Name a prime", "Say hello in French", "Why is the sky blue?"]

const requests = Stream.map(Stream.range(0, REQUESTS - 1), (index) => ({
  custom_id: `question-${index}`,
  body: {
    model: "mistral-small-latest",
    messages: [{ role: "user" as const, content: `${questions[index % questions.length]} (#${index})` }],
    max_tokens: 16
  }
}))

/** How the progress is shown: a redrawn line, or one line per step. */
export interface Display {
  readonly update: (text: string, done: number, total: number) => Effect.Effect<void>
  /** Ends the redrawn line (if any) and prints `text` on its own. */
  readonly line: (text: string) => Effect.Effect<void>
}

const bar = (done: number, total: number) => {
  const filled = total === 0 ? 0 : Math.round((done / total) * BAR_WIDTH)
  return `[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}] ${String(Math.round((done / Math.max(total, 1)) * 100)).padStart(3)}%`
}

/** A line redrawn in place (`\r` and erase-line), for a terminal. */
export const terminal = (write: (text: string) => void): Display => {
  let open = false
  return {
    update: (text, done, total) =>
      Effect.sync(() => {
        write(`\r\x1b[2K${bar(done, total)} ${text}`)
        open = true
      }),
    line: (text) =>
      Effect.sync(() => {
        write(`${open ? "\n" : ""}${text}\n`)
        open = false
      })
  }
}

/** Plain lines, for a pipe or a file. */
export const plain = (write: (text: string) => void): Display => ({
  update: (text) => Effect.sync(() => write(`${text}\n`)),
  line: (text) => Effect.sync(() => write(`${text}\n`))
})

const seconds = (elapsed: Duration.Duration) => `${(Duration.toMillis(elapsed) / 1000).toFixed(1)} s`
const kilobytes = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

/** What each progress value shows. */
export const show =
  (display: Display, total: number) =>
  (progress: Batch.BatchProgress): Effect.Effect<void> => {
    switch (progress._tag) {
      case "Uploading":
        return display.update(
          `uploading: ${progress.requests} requests, ${kilobytes(progress.bytesSent)} sent (${seconds(progress.elapsed)})`,
          progress.requests,
          total
        )
      case "Uploaded":
        return display.line(
          `uploaded ${progress.requests} requests (${kilobytes(progress.bytes)}) as file ${progress.fileId} in ${seconds(progress.elapsed)}`
        )
      case "JobProgress":
        return display.update(
          `job ${progress.status}: ${progress.completed}/${progress.total} done, ${progress.succeeded} succeeded, ${progress.failed} failed (${seconds(progress.elapsed)})`,
          progress.completed,
          progress.total
        )
    }
  }

/** The batch run, shown on `display`. */
export const run = (display: Display) =>
  Effect.gen(function* () {
    yield* display.line(`Batch: ${REQUESTS} chat requests, streamed into the upload, against the embedded emulator`)
    let results = 0
    let succeeded = 0
    yield* Stream.runForEach(
      Batch.run(requests, {
        endpoint: "/v1/chat/completions",
        schedule: Schedule.spaced("150 millis"),
        onProgress: show(display, REQUESTS)
      }),
      (result) =>
        Effect.sync(() => {
          results++
          if (result.response?.status_code === 200) succeeded++
        })
    )
    yield* display.line(`results: ${results} read as they downloaded, ${succeeded} succeeded`)
  })

/** The emulator in this process, running 100 requests of a batch job per poll, and a client pointed at it. */
const layer = Layer.unwrapEffect(
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    MistralNode.layer({
      apiKey: Redacted.make("demo-key"),
      baseUrl: emulator.url,
      retryPolicy: RetryPolicy.exponential({ base: "200 millis", maxRetries: 3 })
    })
  )
).pipe(Layer.provide(MistralEmulator.layer({ port: 0, host: "127.0.0.1", batchStep: 100 })))

/** The subcommand: a redrawn progress bar on a terminal, plain lines otherwise. */
export const batch = Effect.suspend(() => {
  const write = (text: string) => void process.stdout.write(text)
  const display = process.stdout.isTTY ? terminal(write) : plain(write)
  return run(display).pipe(
    Effect.provide(layer),
    // a failure is printed after the redrawn line, not over it
    Effect.tapError(() => display.line(""))
  )
})
