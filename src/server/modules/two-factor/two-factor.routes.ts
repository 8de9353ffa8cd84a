import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Ok } from '../../../shared/contracts/auth.ts';
import {
  RecoveryCodes,
  TwoFactorCodeBody,
  TwoFactorEnrolment,
  TwoFactorStatus,
} from '../../../shared/contracts/two-factor.ts';
import type { Actor } from '../../http/actor.ts';
import { ctxOf, responses, zod } from '../../http/route.ts';
import { scopeOf } from '../../http/scope.ts';
import type { TwoFactorService } from './two-factor.service.ts';

/** The facts of the signed-in user that decide whether a second step is required. */
const factsOf = (actor: Actor) => ({
  id: actor.user.id,
  role_key: actor.user.roleKey,
  artist_id: actor.user.artistId,
  active: 1,
});

export async function twoFactorRoutes(app: FastifyInstance, opts: { twoFactor: TwoFactorService }): Promise<void> {
  const { twoFactor } = opts;
  const r = zod(app);
  const tags = ['two-step sign-in'];
  r.get(
    '/auth/two-factor',
    {
      config: { authenticated: true },
      schema: {
        tags,
        summary: 'Whether your account uses two-step sign-in, and whether it is required of it',
        response: responses({ 200: TwoFactorStatus }),
      },
    },
    async (request) => {
      const ctx = ctxOf(request);
      return twoFactor.status(ctx, factsOf(ctx.actor));
    },
  );
  r.post(
    '/auth/two-factor/setup',
    {
      config: { authenticated: true },
      schema: {
        tags,
        summary: 'Start setting up: a new secret for your authenticator app, as a QR code and as text',
        response: responses({ 200: TwoFactorEnrolment }, 409),
      },
    },
    async (request) => twoFactor.startSetup(ctxOf(request)),
  );
  r.post(
    '/auth/two-factor/confirm',
    {
      config: { authenticated: true },
      schema: {
        tags,
        summary: 'Finish setting up with a code from the app; answers ten recovery codes, once',
        body: TwoFactorCodeBody,
        response: responses({ 200: RecoveryCodes }, 409, 422),
      },
    },
    async (request) => twoFactor.confirmSetup(ctxOf(request), request.body.code),
  );
  r.post(
    '/auth/two-factor/disable',
    {
      config: { authenticated: true },
      schema: {
        tags,
        summary: 'Turn two-step sign-in off (proven by a code; refused while it is required)',
        body: TwoFactorCodeBody,
        response: responses({ 200: Ok }, 409, 422),
      },
    },
    async (request) => {
      const ctx = ctxOf(request);
      await twoFactor.disableOwn(ctx, factsOf(ctx.actor), request.body.code);
      return { ok: true as const };
    },
  );
  r.post(
    '/auth/two-factor/recovery-codes',
    {
      config: { authenticated: true },
      schema: {
        tags,
        summary: 'Ten new recovery codes (the old ones stop working), proven by a code',
        body: TwoFactorCodeBody,
        response: responses({ 200: RecoveryCodes }, 409, 422),
      },
    },
    async (request) => twoFactor.renewRecoveryCodes(ctxOf(request), request.body.code),
  );
  r.post(
    '/users/:id/two-factor/reset',
    {
      config: { permission: 'users.reset_password', resource: 'user' },
      schema: {
        tags,
        summary: "Reset another user's two-step sign-in (a lost phone); they set it up again if required",
        params: z.object({ id: z.string().max(64) }),
        response: responses({ 200: Ok }, 404, 409),
      },
    },
    async (request) => {
      await twoFactor.resetFor(ctxOf(request), scopeOf(request, 'user'), request.params.id);
      return { ok: true as const };
    },
  );
}
