import type { RequestForm } from './api.js';

/** A JSON Schema as far as the forms read it. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxProperties?: number;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

/**
 * The request's JSON Schema, read as the keywords the forms use. The API declares it only as a JSON object
 * (any JSON under each key); it is the server's z.toJSONSchema of request version 1, so its keywords hold
 * what JSON Schema says they hold.
 */
export const requestSchema = (form: RequestForm): JsonSchema => form.schema as JsonSchema;
