/**
 * Bearer tokens from configuration, each mapped to an identity and roles. The identity of an
 * actor always comes from here, never from a request body.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import type { TokenEntry } from '../config/load';
import type { Role } from '../config/schema';

export interface Principal {
  identity: string;
  roles: Role[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** What each role may do, beyond reading (every role can read). */
const GRANTS: Record<Role, ReadonlySet<Role>> = {
  viewer: new Set(['viewer']),
  operator: new Set(['viewer', 'operator']),
  approver: new Set(['viewer', 'approver']),
  admin: new Set(['viewer', 'operator', 'approver', 'admin', 'alerts']),
  alerts: new Set(['alerts']),
};

export function authenticate(tokens: readonly TokenEntry[], header: string | undefined): Principal | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const digest = createHash('sha256')
    .update(m[1] as string)
    .digest();
  // Compare against every entry (constant time each) so timing does not tell which matched.
  let found: TokenEntry | undefined;
  for (const t of tokens) if (timingSafeEqual(digest, t.sha256) && !found) found = t;
  return found ? { identity: found.identity, roles: found.roles } : undefined;
}

export function hasRole(p: Principal, needed: Role): boolean {
  return p.roles.some((r) => GRANTS[r].has(needed));
}

type RoleHook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The hooks requireRole made, so authenticateBeforeBody can find them in a route's options. */
const roleHooks = new WeakSet<RoleHook>();

/**
 * A hook requiring a role: 401 without a valid token, 403 without the role. Routes name it as
 * their `preHandler` or `onRequest`; either way it runs in onRequest (authenticateBeforeBody).
 */
export function requireRole(tokens: readonly TokenEntry[], needed: Role): RoleHook {
  const hook: RoleHook = async (req, reply) => {
    const p = authenticate(tokens, req.headers.authorization);
    if (!p) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'a valid bearer token is required', field: 'authorization' });
      return reply;
    }
    // Known before the role is checked, so a refusal is audited under who asked.
    req.principal = p;
    if (!hasRole(p, needed)) {
      await reply.code(403).send({ error: `${p.identity} lacks the ${needed} role`, field: 'authorization' });
      return reply;
    }
  };
  roleHooks.add(hook);
  return hook;
}

/**
 * Moves every route's role check to onRequest, before the body is read: Fastify parses the body
 * between onRequest and preHandler, so a check in preHandler let anyone make the API buffer a
 * body (up to its limit) before being refused. Routes keep writing `preHandler: role(...)`; a
 * route that checks a signature over the body (PagerDuty, generic alerts) has no role hook and
 * is left as it is. Call before any route is declared.
 */
export function authenticateBeforeBody(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const pre = [route.preHandler ?? []].flat();
    const checks = pre.filter((h) => roleHooks.has(h as RoleHook));
    if (checks.length === 0) return;
    const rest = pre.filter((h) => !roleHooks.has(h as RoleHook));
    route.preHandler = rest.length ? rest : undefined;
    route.onRequest = [...(checks as onRequestHookHandler[]), ...[route.onRequest ?? []].flat()];
  });
}
