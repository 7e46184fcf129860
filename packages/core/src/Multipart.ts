/**
 * The text of a `multipart/form-data` body, as the WHATWG `FormData` encoding writes it (undici's and browsers'):
 * the boundary, each part's head with its names escaped, text parts, and the closing line. Every writer of a form
 * body in the client uses these — core's streamed form (`StreamedFile` uploads) and the Node transport's encoder —
 * so the bytes on the wire are the same whichever writes them.
 *
 * @since 0.3.0
 */

// the WHATWG escaping of names and file names, and its line-break normalisation of names and values
const escapeQuoted = (value: string) => value.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22")
const normalizeLinebreaks = (value: string) => value.replace(/\r?\n|\r/g, "\r\n")
const printableAscii = /^[\x20-\x7e]+$/

/**
 * A fresh random boundary.
 *
 * @since 0.3.0
 * @category constructors
 */
export const boundary = (): string => {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  let hex = ""
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0")
  return `----effect-mistral-${hex}`
}

/**
 * The body's `content-type`.
 *
 * @since 0.3.0
 * @category encoding
 */
export const contentType = (boundary: string): string => `multipart/form-data; boundary=${boundary}`

const dispositionOf = (boundary: string, name: string): string =>
  `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(normalizeLinebreaks(name))}"`

/**
 * A whole text part, its value's line breaks normalised to CRLF.
 *
 * @since 0.3.0
 * @category encoding
 */
export const textPart = (boundary: string, name: string, value: string): string =>
  `${dispositionOf(boundary, name)}\r\n\r\n${normalizeLinebreaks(value)}\r\n`

/**
 * The head of a file part, up to its content (which `fileEnd` follows). A type that is not printable ASCII is sent as
 * `application/octet-stream`; no file name, no `filename` parameter.
 *
 * @since 0.3.0
 * @category encoding
 */
export const fileHead = (boundary: string, name: string, fileName: string | undefined, type: string): string =>
  `${dispositionOf(boundary, name)}${fileName ? `; filename="${escapeQuoted(fileName)}"` : ""}\r\nContent-Type: ${
    printableAscii.test(type) ? type : "application/octet-stream"
  }\r\n\r\n`

/**
 * What follows a file part's content.
 *
 * @since 0.3.0
 * @category encoding
 */
export const fileEnd = "\r\n"

/**
 * The closing line of the body.
 *
 * @since 0.3.0
 * @category encoding
 */
export const closing = (boundary: string): string => `--${boundary}--\r\n`
