// Staff users for the staff client's end-to-end tests: like newUser, but the password is kept,
// since the test signs in through the client's sign-in page.
import { randomBytes } from 'node:crypto';
import { registerUser } from '../../scripts/lib/stack/synapse.ts';
import type { StackInfo } from './stack.ts';
import type { TestUser } from './matrix.ts';

export interface StaffUser extends TestUser {
  localpart: string;
  password: string;
}

export async function newUserWithPassword(info: StackInfo, prefix = 'staff'): Promise<StaffUser> {
  const localpart = `${prefix}${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const r = await registerUser(info.homeserverUrl, info.registrationSharedSecret, localpart, password);
  return { userId: r.user_id, accessToken: r.access_token, localpart, password };
}
