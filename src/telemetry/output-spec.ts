/** Where `--out prometheus` listens unless told: the port OpenTelemetry's Prometheus exporter uses. */
export const DEFAULT_PROMETHEUS_PORT = 9464
/** Where `--out otlp` sends unless told: an OpenTelemetry Collector's OTLP/HTTP receiver on this host. */
export const DEFAULT_OTLP_URL = 'http://localhost:4318/v1/metrics'

/** Where `--out` sends the run's metrics while it runs. */
export type OutputSpec = { kind: 'prometheus'; host: string; port: number } | { kind: 'otlp'; url: string }

/**
 * `prometheus`, `prometheus=PORT` or `prometheus=HOST:PORT` (default 127.0.0.1:9464; 0.0.0.0 to be
 * scraped from elsewhere); `otlp` or `otlp=URL` (default an OTLP/HTTP receiver on localhost:4318).
 * For anything else, why not.
 */
export function parseOutput(text: string): OutputSpec | { error: string } {
  const [kind, where] = [text.slice(0, text.includes('=') ? text.indexOf('=') : undefined), text.includes('=') ? text.slice(text.indexOf('=') + 1) : undefined]
  if (kind === 'prometheus') {
    const match = where === undefined ? ['', undefined, String(DEFAULT_PROMETHEUS_PORT)] : /^(?:(.+):)?(\d{1,5})$/.exec(where)
    const port = Number(match?.[2])
    if (!match || port > 65_535) return { error: `prometheus takes a port or HOST:PORT, like prometheus=9464; got "${where}"` }
    return { kind, host: match[1] ?? '127.0.0.1', port }
  }
  if (kind === 'otlp') {
    if (where === undefined) return { kind, url: DEFAULT_OTLP_URL }
    if (!URL.canParse(where) || !/^https?:$/.test(new URL(where).protocol)) return { error: `otlp takes an http(s) URL, like otlp=http://localhost:4318/v1/metrics; got "${where}"` }
    const url = new URL(where)
    // A collector's address alone means its metrics path, as the OpenTelemetry SDKs read OTEL_EXPORTER_OTLP_ENDPOINT.
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/metrics'
    return { kind, url: url.toString() }
  }
  return { error: `--out takes prometheus[=[HOST:]PORT] or otlp[=URL]; got "${text}"` }
}
