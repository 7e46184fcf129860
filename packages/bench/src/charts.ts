/**
 * The scale curves as data and as pictures: a chart is a JSON document (`results/<id>.json`) and is drawn as an SVG
 * (`results/<id>.svg`) by the small renderer below: axes with ticks, a log x axis where the chart asks for one, one
 * polyline with markers per series, a legend, the title and the units. No dependency.
 *
 * `node dist/charts.js [dir]` draws every `*.json` chart of `dir` (default `packages/bench/results`) again, whoever
 * wrote it (the batch-memory script writes its own).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

export interface Axis {
  readonly label: string
  readonly log?: boolean | undefined
  readonly unit?: string | undefined
}

export interface Series {
  readonly name: string
  readonly points: ReadonlyArray<readonly [number, number]>
}

/** The file format of a curve: `{ id, title, x: { label, log }, y: { label, unit }, series: [{ name, points }] }`. */
export interface Chart {
  readonly id: string
  readonly title: string
  readonly x: Axis
  readonly y: Axis
  readonly series: ReadonlyArray<Series>
}

/** The directory the curves are written to and drawn from. */
export const resultsDir = fileURLToPath(new URL("../results/", import.meta.url))

const isFiniteNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value)

/** Reads a chart from parsed JSON, or says what is wrong with it. */
export const parseChart = (value: unknown, source = "chart"): Chart => {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`)
  }
  if (typeof value !== "object" || value === null) return fail("not an object")
  const chart = value as Record<string, unknown>
  const text = (field: unknown, name: string) => (typeof field === "string" ? field : fail(`${name} is not a string`))
  const axis = (field: unknown, name: string): Axis => {
    if (typeof field !== "object" || field === null) return fail(`${name} is not an object`)
    const { label, log, unit } = field as Record<string, unknown>
    if (log !== undefined && typeof log !== "boolean") fail(`${name}.log is not a boolean`)
    if (unit !== undefined && typeof unit !== "string") fail(`${name}.unit is not a string`)
    return { label: text(label, `${name}.label`), log: log as boolean | undefined, unit: unit as string | undefined }
  }
  if (!Array.isArray(chart.series)) return fail("series is not an array")
  const series = chart.series.map((entry: unknown, i): Series => {
    const { name, points } = (entry ?? {}) as Record<string, unknown>
    if (!Array.isArray(points)) return fail(`series[${i}].points is not an array`)
    for (const point of points) {
      if (!Array.isArray(point) || point.length !== 2 || !isFiniteNumber(point[0]) || !isFiniteNumber(point[1])) {
        fail(`series[${i}] has a point that is not [x, y]: ${JSON.stringify(point)}`)
      }
    }
    return { name: text(name, `series[${i}].name`), points: points as Array<[number, number]> }
  })
  return {
    id: text(chart.id, "id"),
    title: text(chart.title, "title"),
    x: axis(chart.x, "x"),
    y: axis(chart.y, "y"),
    series
  }
}

/** Where the plot area sits in the picture. */
export const frame = { width: 800, height: 440, left: 84, right: 560, top: 56, bottom: 372 } as const

export interface Projection {
  /** Data x → pixel x. */
  readonly x: (value: number) => number
  /** Data y → pixel y. */
  readonly y: (value: number) => number
  readonly xTicks: ReadonlyArray<number>
  readonly yTicks: ReadonlyArray<number>
}

/** Whether a point can be drawn (a log axis has no place for zero or less). */
const drawable = (chart: Chart) => (point: readonly [number, number]) =>
  (!chart.x.log || point[0] > 0) && (!chart.y.log || point[1] > 0)

/** 1, 2 or 5 times a power of ten: the step of about `count` ticks over `span`. */
const niceStep = (span: number, count: number): number => {
  const rough = span / count
  const power = 10 ** Math.floor(Math.log10(rough))
  const fraction = rough / power
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power
}

const powersOfTen = (min: number, max: number): Array<number> => {
  const ticks: Array<number> = []
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) ticks.push(10 ** e)
  return ticks
}

/** The data's range on one axis, and the ticks: nice linear steps from 0, or the data's own x values / powers of ten. */
const axisScale = (values: ReadonlyArray<number>, log: boolean, isX: boolean) => {
  if (values.length === 0) return { min: log ? 1 : 0, max: log ? 10 : 1, ticks: log ? [1, 10] : [0, 1] }
  const low = Math.min(...values)
  const high = Math.max(...values)
  if (log) {
    const distinct = [...new Set(values)].sort((a, b) => a - b)
    // a handful of measured x values (concurrency 1, 4, 16, …) are better ticks than powers of ten
    if (isX && distinct.length >= 2 && distinct.length <= 8) return { min: low, max: high, ticks: distinct }
    const ticks = powersOfTen(low, high)
    return { min: Math.min(low, ticks[0]!), max: Math.max(high, ticks[ticks.length - 1]!), ticks }
  }
  if (isX) {
    const step = high > low ? niceStep(high - low, 6) : 1
    const start = Math.floor(low / step) * step
    const end = high > low ? Math.ceil(high / step) * step : start + step
    const ticks: Array<number> = []
    for (let tick = start; tick <= end + step / 2; tick += step) ticks.push(Number(tick.toPrecision(12)))
    return { min: start, max: end, ticks }
  }
  const top = high > 0 ? high : 1
  const step = niceStep(top, 5)
  const max = Math.ceil((top * 1.05) / step) * step
  const min = Math.min(0, Math.floor(low / step) * step)
  const ticks: Array<number> = []
  for (let tick = min; tick <= max + step / 2; tick += step) ticks.push(Number(tick.toPrecision(12)))
  return { min, max, ticks }
}

/** How data values map to pixels in `frame`, and where the ticks go. */
export const project = (chart: Chart): Projection => {
  const points = chart.series.flatMap((series) => series.points.filter(drawable(chart)))
  const xs = axisScale(
    points.map((point) => point[0]),
    chart.x.log === true,
    true
  )
  const ys = axisScale(
    points.map((point) => point[1]),
    chart.y.log === true,
    false
  )
  const toUnit = (value: number, scale: { min: number; max: number }, log: boolean) => {
    if (log) {
      const low = Math.log10(scale.min)
      const high = Math.log10(scale.max)
      return high === low ? 0.5 : (Math.log10(value) - low) / (high - low)
    }
    return scale.max === scale.min ? 0.5 : (value - scale.min) / (scale.max - scale.min)
  }
  return {
    x: (value) => frame.left + toUnit(value, xs, chart.x.log === true) * (frame.right - frame.left),
    y: (value) => frame.bottom - toUnit(value, ys, chart.y.log === true) * (frame.bottom - frame.top),
    xTicks: xs.ticks,
    yTicks: ys.ticks
  }
}

/** A tick label: 1,000 as 1k, 1,000,000 as 1M, small numbers with at most three significant digits. */
export const formatTick = (value: number): string => {
  const magnitude = Math.abs(value)
  const trim = (n: number) => String(Number(n.toPrecision(3)))
  if (magnitude >= 1e6) return `${trim(value / 1e6)}M`
  if (magnitude >= 1e3) return `${trim(value / 1e3)}k`
  return trim(value)
}

const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const px = (value: number) => String(Math.round(value * 10) / 10)

/** Fixed colours for the clients the bench knows, so a client looks the same on every chart. */
const knownColours: Record<string, string> = {
  "effect-mistral": "#1f5fbf",
  "raw undici": "#6b6b6b",
  "@mistralai/mistralai": "#e0701a",
  "@ai-sdk/mistral": "#2a9d4b"
}
const palette = ["#8e44ad", "#c0392b", "#16a085", "#d4a017", "#2c3e50", "#e84393"]

const colourOf = (name: string, index: number) => knownColours[name] ?? palette[index % palette.length]!

const markers = ["circle", "square", "diamond", "triangle"] as const

const marker = (kind: (typeof markers)[number], x: number, y: number, colour: string) => {
  switch (kind) {
    case "circle":
      return `<circle cx="${px(x)}" cy="${px(y)}" r="3.5" fill="${colour}"/>`
    case "square":
      return `<rect x="${px(x - 3.5)}" y="${px(y - 3.5)}" width="7" height="7" fill="${colour}"/>`
    case "diamond":
      return `<path d="M${px(x)} ${px(y - 4.5)}L${px(x + 4.5)} ${px(y)}L${px(x)} ${px(y + 4.5)}L${px(x - 4.5)} ${px(y)}Z" fill="${colour}"/>`
    case "triangle":
      return `<path d="M${px(x)} ${px(y - 4.5)}L${px(x + 4.5)} ${px(y + 3.5)}L${px(x - 4.5)} ${px(y + 3.5)}Z" fill="${colour}"/>`
  }
}

const axisTitle = (axis: Axis) =>
  axis.unit === undefined || axis.unit === "" ? axis.label : `${axis.label} (${axis.unit})`

/** The chart as a standalone SVG document. */
export const render = (chart: Chart): string => {
  const p = project(chart)
  const out: Array<string> = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${frame.width}" height="${frame.height}" viewBox="0 0 ${frame.width} ${frame.height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escape(chart.title)}</title>`,
    `<rect width="${frame.width}" height="${frame.height}" fill="#ffffff"/>`,
    `<text x="${frame.width / 2}" y="28" text-anchor="middle" font-size="15" font-weight="600">${escape(chart.title)}</text>`
  )
  // grid and ticks
  out.push(`<g class="y-ticks" stroke="#e4e4e4">`)
  for (const tick of p.yTicks)
    out.push(`<line x1="${frame.left}" x2="${frame.right}" y1="${px(p.y(tick))}" y2="${px(p.y(tick))}"/>`)
  out.push(`</g>`, `<g class="x-ticks" stroke="#f0f0f0">`)
  for (const tick of p.xTicks)
    out.push(`<line x1="${px(p.x(tick))}" x2="${px(p.x(tick))}" y1="${frame.top}" y2="${frame.bottom}"/>`)
  out.push(`</g>`)
  out.push(
    `<g class="axes" stroke="#333333"><line x1="${frame.left}" x2="${frame.right}" y1="${frame.bottom}" y2="${frame.bottom}"/><line x1="${frame.left}" x2="${frame.left}" y1="${frame.top}" y2="${frame.bottom}"/></g>`
  )
  out.push(`<g class="y-labels" text-anchor="end" fill="#333333">`)
  for (const tick of p.yTicks) {
    out.push(`<text x="${frame.left - 8}" y="${px(p.y(tick) + 4)}">${escape(formatTick(tick))}</text>`)
  }
  out.push(`</g>`, `<g class="x-labels" text-anchor="middle" fill="#333333">`)
  for (const tick of p.xTicks) {
    out.push(`<text x="${px(p.x(tick))}" y="${frame.bottom + 18}">${escape(formatTick(tick))}</text>`)
  }
  out.push(`</g>`)
  out.push(
    `<text x="${(frame.left + frame.right) / 2}" y="${frame.bottom + 44}" text-anchor="middle">${escape(axisTitle(chart.x))}${chart.x.log ? " — log scale" : ""}</text>`,
    `<text transform="translate(20 ${(frame.top + frame.bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(axisTitle(chart.y))}${chart.y.log ? " — log scale" : ""}</text>`
  )
  // one polyline with markers per series, and its legend entry
  chart.series.forEach((series, index) => {
    const colour = colourOf(series.name, index)
    const kind = markers[index % markers.length]!
    const points = series.points.filter(drawable(chart)).sort((a, b) => a[0] - b[0])
    out.push(`<g class="series" data-name="${escape(series.name)}">`)
    if (points.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map(([x, y]) => `${px(p.x(x))},${px(p.y(y))}`).join(" ")}"/>`
      )
    }
    for (const [x, y] of points) out.push(marker(kind, p.x(x), p.y(y), colour))
    out.push(`</g>`)
    const legendY = frame.top + 8 + index * 22
    out.push(
      `<g class="legend"><line x1="${frame.right + 20}" x2="${frame.right + 44}" y1="${legendY}" y2="${legendY}" stroke="${colour}" stroke-width="2"/>${marker(kind, frame.right + 32, legendY, colour)}<text x="${frame.right + 52}" y="${legendY + 4}">${escape(series.name)}</text></g>`
    )
  })
  out.push(`</svg>`)
  return `${out.join("\n")}\n`
}

/** Writes `<dir>/<id>.json` and `<dir>/<id>.svg`. */
export const writeChart = (chart: Chart, dir = resultsDir): void => {
  writeFileSync(join(dir, `${chart.id}.json`), `${JSON.stringify(chart, null, 2)}\n`)
  writeFileSync(join(dir, `${chart.id}.svg`), render(chart))
}

/** Draws every `<name>.json` chart of `dir` as `<name>.svg` beside it; answers the SVG files written. */
export const renderAll = (dir = resultsDir): Array<string> =>
  readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => {
      const chart = parseChart(JSON.parse(readFileSync(join(dir, file), "utf8")), join(dir, file))
      const svg = join(dir, `${file.slice(0, -".json".length)}.svg`)
      writeFileSync(svg, render(chart))
      return svg
    })

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const svg of renderAll(process.argv[2] ?? resultsDir)) process.stderr.write(`drew ${svg}\n`)
}
