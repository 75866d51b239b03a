import { z } from 'zod'
import { VERDICTS } from '../schema/decision.js'
import { TransactionSchema } from '../schema/transaction.js'

export const MAX_BATCH = 1_000

export const ScoreRequestSchema = z.union([TransactionSchema, z.strictObject({ transactions: z.array(TransactionSchema).min(1).max(MAX_BATCH) })])

const DecisionSchema = z.object({
  transactionId: z.string(),
  score: z.number().min(0).max(1),
  verdict: z.enum(VERDICTS),
  reasons: z.array(z.string()),
  modelVersion: z.string(),
})

const ErrorSchema = z.object({ error: z.string(), message: z.string(), field: z.string().optional() })

const json = (schema: z.ZodType) => ({ 'application/json': { schema: z.toJSONSchema(schema, { target: 'openapi-3.0', unrepresentable: 'any' }) } })

/** The API's OpenAPI 3.0 description, built from the same zod schemas that validate requests. */
export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: { title: 'fraudlab scoring API', version, description: 'The fraudlab scorer (feature engine, model and decision rules) behind HTTP.' },
    paths: {
      '/v1/score': {
        post: {
          summary: 'Score one transaction, or a batch of up to 1,000',
          requestBody: { required: true, content: json(ScoreRequestSchema) },
          responses: {
            '200': { description: 'One decision per transaction, in order', content: json(z.union([DecisionSchema, z.object({ decisions: z.array(DecisionSchema) })])) },
            '400': { description: 'The body is not a valid transaction or batch; `field` names the first wrong field', content: json(ErrorSchema) },
            '413': { description: 'The body is larger than the server accepts', content: json(ErrorSchema) },
            '415': { description: 'The body is not JSON', content: json(ErrorSchema) },
            '503': { description: 'The model is still loading', content: json(ErrorSchema) },
          },
        },
      },
      '/health': {
        get: {
          summary: 'Ready once the model is loaded',
          responses: {
            '200': { description: 'Ready', content: json(z.object({ status: z.literal('ready'), modelVersion: z.string() })) },
            '503': { description: 'Loading the model', content: json(z.object({ status: z.literal('loading') })) },
          },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.0', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    },
  }
}
