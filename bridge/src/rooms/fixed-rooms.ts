// Fixed conference rooms: an extension and PIN of their own, managed by an administrator (admin
// API, scripts/foyer-admin), each backed by a group the bot creates. The gateway finds them by
// extension and checks PINs through the internal API.
//
// The room PIN is kept readable, like a group's PIN: members (staff) see it in the room's
// org.foyer.conference, which is rewritten from the store. The moderator PIN is shown once and
// only its (salted) hash is kept. Both are compared in constant time.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type {
  FixedRoomAccess,
  FixedRoomChange,
  FixedRoomInfo,
  FixedRoomRepair,
  FixedRoomView,
  Logger,
} from '@foyer/common';
import { safeEqual } from '@foyer/common';
import { randomBytes } from 'node:crypto';
import type { GatewayNotifier } from '../gateway-notifier.ts';
import { hashToken, newPin } from '../groups/guest-access.ts';
import type { Identities } from '../groups/identity.ts';
import { fixedRoomPolicy } from '../admission.ts';
import { roomTexts } from '../groups/notices.ts';
import { nonStaffInvitees, type GroupRooms } from '../groups/room-lifecycle.ts';
import type { BridgeStore, FixedRoom, FixedRoomFields } from '../store/store.ts';
import { extensionDigits, normaliseExtension, type CreateRoomRequest, type UpdateRoomRequest } from './validation.ts';

/** A refusal with an HTTP status and a message naming the field. */
export class FixedRoomError extends Error {
  override name = 'FixedRoomError';
  readonly status: 400 | 404 | 409 | 502;
  readonly code: string;
  constructor(status: 400 | 404 | 409 | 502, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface FixedRoomsOptions {
  store: BridgeStore;
  /** The group rooms behind fixed rooms (the group manager). */
  groups: GroupRooms;
  ids: Identities;
  gateway: GatewayNotifier;
  log: Logger;
  /** Length of generated PINs (bridge.pinDigits). */
  pinDigits: number;
  /** The shared dial-in number ("hotel lobby"): no fixed room may take it. */
  lobbyNumber: string;
  /** gateway.ivr.promptsDir: hold-music files must exist there when it is readable from here. */
  promptsDir?: string;
  /** bridge.fixedRooms.invite: staff invited to every new room's Matrix room. */
  alwaysInvite?: string[];
}

/** Who did it, for the log: the admin API, and what the client says it is. */
export interface Actor {
  who: 'admin api';
  via?: string;
  address?: string;
}

export const view = (r: FixedRoom, matrixRoom: FixedRoomView['matrixRoom']): FixedRoomView => ({
  id: r.id,
  roomId: r.roomId,
  name: r.name,
  extension: r.extension,
  number: r.number,
  pinRequired: r.pin !== null,
  hasModeratorPin: r.moderatorPinHash !== null,
  announce: r.announce,
  holdMusic: { enabled: r.holdMusic, file: r.holdMusicFile },
  maxParticipants: r.maxParticipants,
  startMuted: r.startMuted,
  matrixRoom,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** Moderator PINs are kept as hashes salted with the room's ID. */
export const moderatorPinHash = (id: string, pin: string) => hashToken(`foyer-moderator-pin:${id}:${pin}`);

export const ROOM_ID_PATTERN = /^fr[0-9a-f]{12}$/;
const newRoomId = () => `fr${randomBytes(6).toString('hex')}`;

export class FixedRooms {
  private readonly o: FixedRoomsOptions;
  private readonly lobbyDigits: string;

  constructor(o: FixedRoomsOptions) {
    this.o = o;
    this.lobbyDigits = normaliseExtension(o.lobbyNumber);
  }

  async list(): Promise<FixedRoomView[]> {
    return Promise.all((await this.o.store.listFixedRooms()).map((r) => this.show(r)));
  }

  /** The view, with whether the bridge still knows the Matrix room (the bot was not removed). */
  async show(r: FixedRoom): Promise<FixedRoomView> {
    return view(r, (await this.o.store.getGroup(r.roomId)) ? 'ok' : 'missing');
  }

  /** A room by its ID (fr…) or its extension (digits, any formatting). */
  async find(ref: string): Promise<FixedRoom | undefined> {
    if (ROOM_ID_PATTERN.test(ref)) return this.o.store.getFixedRoom(ref);
    const digits = extensionDigits(ref);
    if (!/^\+?[0-9 ()/.-]+$/.test(ref) || digits === undefined) return undefined;
    return this.o.store.getFixedRoomByExtension(digits);
  }

  private async mustFind(ref: string): Promise<FixedRoom> {
    const room = await this.find(ref);
    if (!room) throw new FixedRoomError(404, 'not_found', `no fixed room with ID or extension "${ref}"`);
    return room;
  }

  private async checkExtension(extension: string, self?: string): Promise<void> {
    if (extension === this.lobbyDigits)
      throw new FixedRoomError(409, 'extension_taken', `extension: ${extension} is the shared dial-in number`);
    const other = await this.o.store.getFixedRoomByExtension(extension);
    if (other && other.id !== self)
      throw new FixedRoomError(409, 'extension_taken', `extension: ${extension} is taken by room ${other.id}`);
  }

  private checkHoldMusicFile(file: string | null | undefined): void {
    const dir = this.o.promptsDir;
    if (!file || !dir || !existsSync(dir)) return;
    if (!existsSync(join(dir, file)))
      throw new FixedRoomError(400, 'bad_request', `holdMusic.file: no file "${file}" in the prompts folder ${dir}`);
  }

  private checkInvites(invite: string[] | undefined): void {
    const bad = nonStaffInvitees(this.o.ids, invite ?? []);
    if (bad.length)
      throw new FixedRoomError(
        400,
        'bad_request',
        `invite: only staff of ${this.o.ids.serverName} can be invited (not ${bad.join(', ')})`,
      );
  }

  /** The bot makes the Matrix room behind a fixed room; a refusal becomes a 502 for the admin. */
  private async newMatrixRoom(
    name: string,
    number: string,
    invite: string[] | undefined,
    context: Record<string, unknown>,
  ): Promise<string> {
    try {
      return await this.o.groups.createGroupRoom({
        name,
        topic: roomTexts.fixedRoomTopic(number),
        invite: [...new Set([...(this.o.alwaysInvite ?? []), ...(invite ?? [])])],
      });
    } catch (err) {
      this.o.log.error({ ...context, number, err: (err as Error).message }, 'admin: creating the Matrix room failed');
      throw new FixedRoomError(
        502,
        'matrix_failed',
        `the homeserver refused to create the room: ${(err as Error).message}`,
      );
    }
  }

  private generatePin(unlike?: string | null): string {
    for (;;) {
      const pin = newPin(this.o.pinDigits);
      if (pin !== unlike) return pin;
    }
  }

  async create(req: CreateRoomRequest, actor: Actor): Promise<FixedRoomChange> {
    const { store, groups, log } = this.o;
    const extension = normaliseExtension(req.extension);
    await this.checkExtension(extension);
    this.checkHoldMusicFile(req.holdMusic?.file);
    this.checkInvites(req.invite);
    const pin = req.pin === undefined ? this.generatePin(req.moderatorPin) : req.pin;
    const moderatorPin = req.newModeratorPin ? this.generatePin(pin) : (req.moderatorPin ?? null);

    const roomId = await this.newMatrixRoom(req.name, req.extension, req.invite, { ...actor, action: 'room.create' });
    const id = newRoomId();
    const fields: FixedRoomFields = {
      name: req.name,
      extension,
      number: req.extension,
      pin,
      moderatorPinHash: moderatorPin === null ? null : moderatorPinHash(id, moderatorPin),
      announce: req.announce ?? false,
      holdMusic: req.holdMusic?.enabled ?? true,
      holdMusicFile: req.holdMusic?.file ?? null,
      maxParticipants: req.maxParticipants ?? null,
      startMuted: req.startMuted ?? false,
    };
    const stored = await store.insertFixedRoom({ id, roomId, ...fields });
    if (stored === 'duplicate') {
      // Taken meanwhile by a concurrent create: the new Matrix room goes again.
      await groups.deleteGroupRoom(roomId, roomTexts.fixedRoomNotCreated).catch(() => undefined);
      throw new FixedRoomError(409, 'extension_taken', `extension: ${extension} is taken`);
    }
    await groups.refreshConference(roomId);
    log.info(
      {
        ...actor,
        action: 'room.create',
        id,
        extension,
        roomId,
        pinRequired: pin !== null,
        moderatorPin: moderatorPin !== null,
        invited: req.invite ?? [],
      },
      'admin: fixed room created',
    );
    return { ...view(stored, 'ok'), pin, ...(moderatorPin !== null ? { moderatorPin } : {}) };
  }

  async update(ref: string, req: UpdateRoomRequest, actor: Actor): Promise<FixedRoomChange> {
    const { store, groups, log } = this.o;
    const room = await this.mustFind(ref);
    const patch: Partial<FixedRoomFields> = {};
    if (req.extension !== undefined) {
      patch.extension = normaliseExtension(req.extension);
      patch.number = req.extension;
      await this.checkExtension(patch.extension, room.id);
    }
    if (req.holdMusic?.file !== undefined) this.checkHoldMusicFile(req.holdMusic.file);
    this.checkInvites(req.invite);

    // PINs: the new values, and the rule that they differ.
    let pin: string | null | undefined;
    if (req.newPin) pin = this.generatePin(req.moderatorPin);
    else if (req.pin !== undefined) pin = req.pin;
    let moderatorPin: string | null | undefined;
    if (req.newModeratorPin) moderatorPin = this.generatePin(pin ?? room.pin);
    else if (req.moderatorPin !== undefined) moderatorPin = req.moderatorPin;
    const finalPin = pin === undefined ? room.pin : pin;
    if (moderatorPin && finalPin === moderatorPin)
      throw new FixedRoomError(400, 'bad_request', 'moderatorPin: must differ from the PIN');
    if (moderatorPin === undefined && finalPin && room.moderatorPinHash) {
      if (safeEqual(moderatorPinHash(room.id, finalPin), room.moderatorPinHash))
        throw new FixedRoomError(400, 'bad_request', 'pin: must differ from the moderator PIN');
    }
    if (pin !== undefined) patch.pin = pin;
    if (moderatorPin !== undefined)
      patch.moderatorPinHash = moderatorPin === null ? null : moderatorPinHash(room.id, moderatorPin);

    if (req.name !== undefined) patch.name = req.name;
    if (req.announce !== undefined) patch.announce = req.announce;
    if (req.holdMusic?.enabled !== undefined) patch.holdMusic = req.holdMusic.enabled;
    if (req.holdMusic?.file !== undefined) patch.holdMusicFile = req.holdMusic.file;
    if (req.maxParticipants !== undefined) patch.maxParticipants = req.maxParticipants;
    if (req.startMuted !== undefined) patch.startMuted = req.startMuted;

    const updated = await store.updateFixedRoom(room.id, patch);
    if (updated === 'duplicate')
      throw new FixedRoomError(409, 'extension_taken', `extension: ${patch.extension ?? ''} is taken`);
    if (!updated) throw new FixedRoomError(404, 'not_found', `no fixed room with ID or extension "${ref}"`);

    // Matrix follows; the record is the truth, so a failure here is logged, not undone.
    try {
      if (req.name !== undefined && req.name !== room.name) await groups.renameRoom(room.roomId, req.name);
      if (req.invite?.length) await groups.inviteStaff(room.roomId, req.invite);
      await groups.refreshConference(room.roomId);
    } catch (err) {
      log.warn(
        { ...actor, id: room.id, roomId: room.roomId, err: (err as Error).message },
        'admin: updating the Matrix room failed',
      );
    }
    await this.announceSettings(room.roomId, updated.extension);
    log.info(
      {
        ...actor,
        action: 'room.update',
        id: room.id,
        extension: updated.extension,
        roomId: room.roomId,
        changed: Object.keys(req).filter((k) => (req as Record<string, unknown>)[k] !== undefined),
      },
      'admin: fixed room changed',
    );
    return {
      ...(await this.show(updated)),
      ...(pin !== undefined ? { pin } : {}),
      ...(moderatorPin !== undefined ? { moderatorPin } : {}),
    };
  }

  async delete(ref: string, actor: Actor): Promise<{ id: string; roomId: string; matrixRoomRemoved: boolean }> {
    const { store, groups, log, gateway } = this.o;
    const room = await this.mustFind(ref);
    await store.deleteFixedRoom(room.id);
    gateway.notify({ type: 'room.deleted', roomId: room.roomId, extension: room.extension });
    let matrixRoomRemoved = true;
    try {
      await groups.deleteGroupRoom(room.roomId, roomTexts.fixedRoomDeleted);
    } catch (err) {
      matrixRoomRemoved = false;
      log.warn(
        { ...actor, id: room.id, roomId: room.roomId, err: (err as Error).message },
        'admin: removing the Matrix room failed',
      );
    }
    log.info(
      {
        ...actor,
        action: 'room.delete',
        id: room.id,
        extension: room.extension,
        roomId: room.roomId,
        matrixRoomRemoved,
      },
      'admin: fixed room deleted',
    );
    return { id: room.id, roomId: room.roomId, matrixRoomRemoved };
  }

  /**
   * A fixed room whose Matrix room was deleted (or the bot removed) outside Foyer gets a new one,
   * made like at creation; its extension, PINs and settings stay. A room in order is left alone.
   */
  async repair(ref: string, req: { invite?: string[] | undefined }, actor: Actor): Promise<FixedRoomRepair> {
    const { store, groups, log } = this.o;
    const room = await this.mustFind(ref);
    this.checkInvites(req.invite);
    let health: 'ok' | 'missing';
    try {
      health = await groups.roomHealth(room.roomId);
    } catch (err) {
      throw new FixedRoomError(502, 'matrix_failed', `the homeserver could not be asked: ${(err as Error).message}`);
    }
    if (health === 'ok') {
      log.info({ ...actor, action: 'room.repair', id: room.id, roomId: room.roomId }, 'admin: nothing to repair');
      return { ...view(room, 'ok'), repaired: false, message: `the Matrix room ${room.roomId} is in order` };
    }
    await groups.forgetLostRoom(room.roomId);
    const roomId = await this.newMatrixRoom(room.name, room.number, req.invite, {
      ...actor,
      action: 'room.repair',
      id: room.id,
    });
    const updated = await store.setFixedRoomMatrixRoom(room.id, roomId);
    if (!updated) {
      // Deleted by another admin meanwhile: the new Matrix room goes again.
      await groups.deleteGroupRoom(roomId, roomTexts.fixedRoomGone).catch(() => undefined);
      throw new FixedRoomError(404, 'not_found', `no fixed room with ID or extension "${ref}"`);
    }
    await groups.refreshConference(roomId);
    await this.announceSettings(room.roomId, room.extension);
    log.info(
      {
        ...actor,
        action: 'room.repair',
        id: room.id,
        extension: room.extension,
        previousRoomId: room.roomId,
        roomId,
        invited: req.invite ?? [],
      },
      'admin: fixed room given a new Matrix room',
    );
    return {
      ...view(updated, 'ok'),
      repaired: true,
      previousRoomId: room.roomId,
      message: `the Matrix room ${room.roomId} was gone; the room now has ${roomId}`,
    };
  }

  // ---- the gateway's side ---------------------------------------------------------------------

  async lookupExtension(raw: string): Promise<FixedRoomInfo | undefined> {
    const extension = extensionDigits(raw);
    if (extension === undefined) return undefined;
    const r = await this.o.store.getFixedRoomByExtension(extension);
    return (
      r && {
        roomId: r.roomId,
        name: r.name,
        extension: r.extension,
        pinRequired: r.pin !== null,
        announce: r.announce,
        holdMusic: { enabled: r.holdMusic, file: r.holdMusicFile },
        maxParticipants: r.maxParticipants,
        startMuted: r.startMuted,
        hasModeratorPin: r.moderatorPinHash !== null,
      }
    );
  }

  /**
   * The role a PIN gives in a fixed room, or undefined: one answer for an unknown extension and
   * a wrong PIN, and both comparisons are always made (constant time, whatever matched).
   */
  /** The room's settings changed: its running conference takes the new policy at once. */
  private async announceSettings(roomId: string, extension: string): Promise<void> {
    const info = await this.lookupExtension(extension);
    if (info) this.o.gateway.notify({ type: 'room.updated', roomId, extension, policy: fixedRoomPolicy(info) });
  }

  async checkPin(raw: string, pin: string): Promise<FixedRoomAccess | undefined> {
    const extension = extensionDigits(raw);
    const r = extension === undefined ? undefined : await this.o.store.getFixedRoomByExtension(extension);
    const given = pin.trim();
    const id = r?.id ?? 'none';
    const isModerator = safeEqual(moderatorPinHash(id, given), r?.moderatorPinHash ?? '\0no moderator PIN');
    const isParticipant = r?.pin === null ? true : safeEqual(given, r?.pin ?? '\0no room');
    if (!r) return undefined;
    if (r.moderatorPinHash !== null && given !== '' && isModerator) return { roomId: r.roomId, role: 'moderator' };
    if (isParticipant) return { roomId: r.roomId, role: 'participant' };
    return undefined;
  }
}
