import { randomUUID } from 'node:crypto'

/** Request parameters of the AWS Query protocol (form-encoded `Action=...&Key.member.1=...`). */
export type QueryParams = Map<string, string>

export function parseQuery(body: string): QueryParams {
  return new Map(new URLSearchParams(body))
}

/** Reads a `Prefix.member.N.*` list into one record per N, in order. */
export function readMemberList(params: QueryParams, prefix: string): Array<Map<string, string>> {
  const byIndex = new Map<number, Map<string, string>>()
  const head = `${prefix}.member.`
  for (const [key, value] of params) {
    if (!key.startsWith(head)) continue
    const rest = key.slice(head.length)
    const dot = rest.indexOf('.')
    const index = Number(dot === -1 ? rest : rest.slice(0, dot))
    if (!Number.isInteger(index)) continue
    const field = dot === -1 ? '' : rest.slice(dot + 1)
    if (!byIndex.has(index)) byIndex.set(index, new Map())
    byIndex.get(index)!.set(field, value)
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, fields]) => fields)
}

/** Reads a `Prefix.entry.N.key` / `Prefix.entry.N.value` map (attributes). */
export function readEntryMap(params: QueryParams | Map<string, string>, prefix: string): Map<string, string> {
  const keys = new Map<string, string>()
  const values = new Map<string, string>()
  const head = `${prefix}.entry.`
  for (const [key, value] of params) {
    if (!key.startsWith(head)) continue
    const [index, field] = key.slice(head.length).split('.')
    if (field === 'key') keys.set(index, value)
    else if (field === 'value') values.set(index, value)
  }
  const result = new Map<string, string>()
  for (const [index, key] of keys) result.set(key, values.get(index) ?? '')
  return result
}

export interface MessageAttribute {
  Type: string
  Value: string
}

/** Reads `MessageAttributes.entry.N.Name/Value.DataType/Value.StringValue`. */
export function readMessageAttributes(params: Map<string, string>, prefix = 'MessageAttributes'): Record<string, MessageAttribute> {
  const byIndex = new Map<string, Map<string, string>>()
  const head = `${prefix}.entry.`
  for (const [key, value] of params) {
    if (!key.startsWith(head)) continue
    const rest = key.slice(head.length)
    const dot = rest.indexOf('.')
    const index = rest.slice(0, dot)
    if (!byIndex.has(index)) byIndex.set(index, new Map())
    byIndex.get(index)!.set(rest.slice(dot + 1), value)
  }
  const attributes: Record<string, MessageAttribute> = {}
  for (const fields of byIndex.values()) {
    const name = fields.get('Name')
    if (!name) continue
    attributes[name] = { Type: fields.get('Value.DataType') ?? 'String', Value: fields.get('Value.StringValue') ?? fields.get('Value.BinaryValue') ?? '' }
  }
  return attributes
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!)
}

const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/'

export function queryResponse(action: string, resultXml: string): string {
  return (
    `<${action}Response xmlns="${NAMESPACE}">` +
    (resultXml ? `<${action}Result>${resultXml}</${action}Result>` : '') +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`
  )
}

/** An error the SNS API returns to the caller, with the status and code real SNS uses. */
export class SnsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message)
  }
}

export function errorResponse(error: SnsApiError): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender'
  return (
    `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  )
}
