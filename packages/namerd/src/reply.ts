import type { FastifyReply } from 'fastify'

/**
 * Sends `text` with exactly `contentType`. (Given a string, fastify would add `; charset=utf-8`
 * to a JSON type; namerd sends `application/json` as is, and clients may compare it.)
 */
export function sendBody(
  reply: FastifyReply,
  contentType: string,
  text: string | Buffer,
): FastifyReply {
  return reply.type(contentType).send(typeof text === 'string' ? Buffer.from(text, 'utf8') : text)
}
