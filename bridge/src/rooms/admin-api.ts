// The admin HTTP API for fixed conference rooms, on the bridge's internal listener, behind its
// own bearer secret (adminApi.secret, never the gateway's internalApi.secret):
//
//   GET    /admin/v1/rooms            → {rooms: FixedRoomView[]}
//   POST   /admin/v1/rooms            CreateRoomRequest → 201 FixedRoomChange (the PIN, once)
//   GET    /admin/v1/rooms/:ref       → FixedRoomView            (ref: the ID fr… or the extension)
//   PATCH  /admin/v1/rooms/:ref       UpdateRoomRequest → FixedRoomChange (a PIN when changed)
//   DELETE /admin/v1/rooms/:ref       → {deleted: true, id, roomId, matrixRoomRemoved}
//   POST   /admin/v1/rooms/:ref/repair {invite?} → FixedRoomRepair (a new Matrix room if it was gone)
//
// Errors: {error, message} with 400 (message names the field), 401, 404, 409 (extension taken),
// 502 (the homeserver refused). Every action and every refusal is logged, never a PIN.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { requireBearer, type Logger } from '@foyer/common';
import { FixedRoomError, type Actor, type FixedRooms } from './fixed-rooms.ts';
import { createRoomSchema, describeError, repairRoomSchema, updateRoomSchema } from './validation.ts';

export interface AdminApiDeps {
  /** adminApi.secret; undefined: the admin API is off and says so. */
  secret: string | undefined;
  rooms: FixedRooms;
  log: Logger;
}

const actorOf = (req: FastifyRequest): Actor => {
  const via = req.headers['x-foyer-admin-client'];
  return {
    who: 'admin api',
    ...(typeof via === 'string' ? { via: via.slice(0, 100) } : {}),
    address: req.ip,
  };
};

export function registerAdminApi(app: FastifyInstance, d: AdminApiDeps): void {
  const log = d.log.child({ part: 'admin-api' });
  const secret = d.secret;
  if (!secret) {
    app.all('/admin/*', async (_req, reply) =>
      reply
        .code(404)
        .send({ error: 'admin_api_off', message: 'the admin API is off: set adminApi.secret in the config' }),
    );
    return;
  }
  app.register(async (admin) => {
    const guard = requireBearer(secret);
    admin.addHook('onRequest', async (req, reply) => {
      await guard(req, reply);
      if (reply.sent)
        log.warn(
          { ...actorOf(req), method: req.method, url: req.url.split('?')[0] },
          'admin: request without a valid secret refused',
        );
    });

    const refuse = (
      req: FastifyRequest,
      reply: FastifyReply,
      action: string,
      status: number,
      error: string,
      message: string,
    ) => {
      log.info({ ...actorOf(req), action, status, error, message }, 'admin: action refused');
      return reply.code(status).send({ error, message });
    };
    const parse = <S extends z.ZodType>(
      schema: S,
      req: FastifyRequest,
      reply: FastifyReply,
      action: string,
    ): z.output<S> | undefined => {
      const r = schema.safeParse(req.body ?? {});
      if (r.success) return r.data;
      void refuse(req, reply, action, 400, 'bad_request', describeError(r.error));
      return undefined;
    };
    const run = async <T>(req: FastifyRequest, reply: FastifyReply, action: string, work: () => Promise<T>) => {
      try {
        return await work();
      } catch (err) {
        if (err instanceof FixedRoomError) return refuse(req, reply, action, err.status, err.code, err.message);
        throw err;
      }
    };

    admin.get('/admin/v1/rooms', async () => ({ rooms: await d.rooms.list() }));

    admin.post('/admin/v1/rooms', async (req, reply) => {
      const body = parse(createRoomSchema, req, reply, 'room.create');
      if (!body) return reply;
      return run(req, reply, 'room.create', async () => reply.code(201).send(await d.rooms.create(body, actorOf(req))));
    });

    admin.get<{ Params: { ref: string } }>('/admin/v1/rooms/:ref', async (req, reply) => {
      const room = await d.rooms.find(req.params.ref);
      return room
        ? d.rooms.show(room)
        : reply
            .code(404)
            .send({ error: 'not_found', message: `no fixed room with ID or extension "${req.params.ref}"` });
    });

    admin.patch<{ Params: { ref: string } }>('/admin/v1/rooms/:ref', async (req, reply) => {
      const body = parse(updateRoomSchema, req, reply, 'room.update');
      if (!body) return reply;
      return run(req, reply, 'room.update', () => d.rooms.update(req.params.ref, body, actorOf(req)));
    });

    admin.post<{ Params: { ref: string } }>('/admin/v1/rooms/:ref/repair', async (req, reply) => {
      const body = parse(repairRoomSchema, req, reply, 'room.repair');
      if (!body) return reply;
      return run(req, reply, 'room.repair', () => d.rooms.repair(req.params.ref, body, actorOf(req)));
    });

    admin.delete<{ Params: { ref: string } }>('/admin/v1/rooms/:ref', async (req, reply) => {
      return run(req, reply, 'room.delete', async () => ({
        deleted: true,
        ...(await d.rooms.delete(req.params.ref, actorOf(req))),
      }));
    });
  });
}
