/**
 * effect-mistral through `MistralNode.layer` with the OpenTelemetry SDK installed (`@effect/opentelemetry`'s
 * NodeSdk, a batch span processor and a metric reader, as an application sets them up): every call makes its client
 * span, puts its trace context on the wire and records its metrics. The exporters drop what they are given (counted),
 * so the row measures the client and the SDK, not a collector's network.
 */
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { ExportResultCode } from "@opentelemetry/core"
import {
  AggregationTemporality,
  type PushMetricExporter,
  PeriodicExportingMetricReader
} from "@opentelemetry/sdk-metrics"
import { BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base"
import * as Layer from "effect/Layer"
import type { MakeClient } from "../BenchClient.js"
import { fromLayer, options } from "./effect.js"

let exported = 0

const spans: SpanExporter = {
  export: (batch, done) => {
    exported += batch.length
    done({ code: ExportResultCode.SUCCESS })
  },
  shutdown: () => Promise.resolve()
}

const metrics: PushMetricExporter = {
  export: (_, done) => done({ code: ExportResultCode.SUCCESS }),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
  selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE
}

export const make: MakeClient = (baseUrl) =>
  fromLayer(
    Layer.merge(
      MistralNode.layer(options(baseUrl)),
      NodeSdk.layer(() => ({
        resource: { serviceName: "bench" },
        spanProcessor: new BatchSpanProcessor(spans),
        metricReader: new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 1_000 })
      }))
    )
  )

/** How many spans reached the exporter (the row is only honest when they did). */
export const exportedSpans = () => exported
