import type { Request, RequestHandler, Response } from 'express';
import type { CredentialStore } from '../auth/credentials.js';

/** Bodies up to this size may be read before authentication (the guard runs after the parsers). */
export const UNAUTHENTICATED_BODY_LIMIT = 8 * 1024;

/**
 * Authentication before a large body is read (issue 22, item 4): the body parsers run before Nest's guard, so
 * without this an anonymous client could make the bulk route buffer 50 MB. A request that announces more than
 * `limit` bytes (or streams a chunked body of unknown size) must carry a credential the app knows, else it is
 * answered 401 at once, without reading the body, and the connection is closed so the rest is never read.
 * Roles are still decided by the guard.
 */
export function authenticateLargeBodies(credentials: CredentialStore, limit = UNAUTHENTICATED_BODY_LIMIT): RequestHandler {
  const refuse = (req: Request, res: Response): void => {
    res.setHeader('Connection', 'close');
    res.status(401).json({
      statusCode: 401,
      error: 'Unauthorized',
      message: `a valid bearer credential is required before a body larger than ${limit} bytes is read`,
    });
    // Stop reading: the client's remaining bytes are not buffered, nor even drained.
    res.once('finish', () => req.socket.destroySoon?.() ?? req.socket.end());
  };
  return (req, res, next) => {
    const length = req.headers['content-length'];
    const large = length === undefined ? req.headers['transfer-encoding'] !== undefined : Number(length) > limit || !/^\d+$/.test(length);
    if (!large) return next();
    // Refused or admitted in this tick when the answer is known (a static credential, or none at all).
    const quick = credentials.quickCheck(req);
    if (quick) return next();
    if (quick === false) return refuse(req, res);
    credentials.verifyRequest(req).then((outcome) => ('principal' in outcome ? next() : refuse(req, res)), next);
  };
}
