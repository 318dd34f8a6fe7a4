// The bridge's admin API for fixed conference rooms (/admin/v1/rooms, own bearer secret), as the
// bridge answers and scripts/foyer-admin reads it.

/** What the admin API shows of a room: never a PIN (those only in FixedRoomChange). */
export interface FixedRoomView {
  id: string;
  roomId: string;
  name: string;
  extension: string;
  number: string;
  pinRequired: boolean;
  hasModeratorPin: boolean;
  announce: boolean;
  holdMusic: { enabled: boolean; file: string | null };
  maxParticipants: number | null;
  startMuted: boolean;
  /**
   * 'missing': the bot no longer has the Matrix room behind it (deleted or the bot removed outside
   * Foyer); calls still work, but nothing shows in Matrix until `rooms repair`.
   */
  matrixRoom: 'ok' | 'missing';
  createdAt: string;
  updatedAt: string;
}

/** The answer to create and change: the PINs appear here, once, when they were set or changed. */
export type FixedRoomChange = FixedRoomView & { pin?: string | null; moderatorPin?: string | null };

/** The answer to repair: a new Matrix room when the old one was gone, otherwise nothing done. */
export type FixedRoomRepair = FixedRoomView & { repaired: boolean; previousRoomId?: string; message: string };
