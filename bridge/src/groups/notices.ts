// Every text the bot shows people, German first, then English: groups are shared by people of
// both languages and a notice cannot know who reads it. `notices` are the m.notice messages in a
// group; `roomTexts` the one-line texts on rooms (topics, widget names, reasons for leaving or
// deleting a room). Virtual users' display names are in puppets.ts.

const both = (de: string, en: string) => `${de}\n\n${en}`;
const oneLine = (de: string, en: string) => `${de} · ${en}`;

export const notices = {
  needPower: (bot: string, level: number) =>
    both(
      `Foyer kann die Konferenzdaten dieser Gruppe nicht speichern. Bitte geben Sie ${bot} Administratorrechte (Berechtigungsstufe ${level}).`,
      `Foyer cannot store this group's conference details. Please make ${bot} an admin (power level ${level}).`,
    ),
  guestAccessNotMember: (user: string) =>
    both(
      `Gastzugang: Die Anfrage von ${user} wurde ignoriert, weil nur Mitglieder der Gruppe von diesem Server den Gastzugang ändern dürfen.`,
      `Guest access: the request from ${user} was ignored because only members of this group on this server may change guest access.`,
    ),
  guestAccessFederated: (user: string, server: string) =>
    both(
      `Gastzugang: Die Anfrage von ${user} wurde ignoriert, weil nur Mitarbeiter von ${server} den Gastzugang ändern dürfen.`,
      `Guest access: the request from ${user} was ignored because only staff of ${server} may change guest access.`,
    ),
  guestAccessInvalid: (problem: string) =>
    both(
      `Gastzugang: Die Anfrage wurde ignoriert, weil ihr Inhalt ungültig ist (${problem}). Erwartet: {"enabled": true} oder {"enabled": false}.`,
      `Guest access: the request was ignored because its content is invalid (${problem}). Expected: {"enabled": true} or {"enabled": false}.`,
    ),
  guestAccessOn: () =>
    both(
      'Gastzugang ist eingeschaltet: Einwahlnummer, PIN und Gast-Link stehen in den Gruppendetails.',
      'Guest access is on: dial-in number, PIN and guest link are in the group details.',
    ),
  moderatorPinOn: () =>
    both(
      'Moderatoren-PIN ist eingeschaltet: Wer sie bei der Einwahl eingibt, moderiert die Konferenz. Sie steht nicht in der Gruppe (Partner anderer Server könnten sie lesen); Mitglieder dieses Servers sehen sie im Foyer-Client unter Einstellungen und auf der Konferenzseite.',
      'Moderator PIN is on: a caller who enters it moderates the conference. It is not stored in the group (partners on other servers could read it); members on this server see it in the Foyer client under settings and on the conference page.',
    ),
  moderatorPinOff: () =>
    both('Moderatoren-PIN ist ausgeschaltet: Sie gilt nicht mehr.', 'Moderator PIN is off: it no longer works.'),
  guestAccessRotated: () =>
    both(
      'Gastzugang: PIN und Gast-Link wurden erneuert; die bisherigen gelten nicht mehr.',
      'Guest access: PIN and guest link were renewed; the previous ones no longer work.',
    ),
  guestAccessOff: () =>
    both(
      'Gastzugang ist ausgeschaltet: PIN und Gast-Link gelten nicht mehr, verbundene Gäste wurden getrennt.',
      'Guest access is off: PIN and guest link no longer work, connected guests were disconnected.',
    ),
  encrypted: () =>
    both(
      'Diese Gruppe ist jetzt Ende-zu-Ende-verschlüsselt. Anrufe mit Element Call bleiben unter Element-Nutzern: Telefonteilnehmer und Gäste der Konferenz hören und sehen sie nicht. Die Foyer-Konferenz (Seite, Client, Telefon) funktioniert weiter.',
      'This group is now end-to-end encrypted. Element Call calls stay among Element users: the conference’s phone callers and guests cannot hear or see them. The Foyer conference (page, client, phone) keeps working.',
    ),
};

export const roomTexts = {
  /** The conference widget's name in the room. */
  widgetName: oneLine('Konferenz', 'Conference'),
  /** The topic of a fixed conference room's Matrix room. */
  fixedRoomTopic: (number: string) => `${oneLine('Konferenzraum', 'Conference room')} ${number}`,
  /** Why the bot declines an invitation from another server (the invitation's leave reason). */
  inviteDeclined: 'Foyer only joins groups on invitation from its own server',
  /** Why a group's room is deleted: its last member left. */
  groupEmpty: oneLine('Die Gruppe hat keine Mitglieder mehr.', 'The group has no members left.'),
  /** An administrator deleted a fixed room. */
  fixedRoomDeleted: oneLine('Der Konferenzraum wurde gelöscht.', 'The conference room was deleted.'),
  /** A fixed room's new Matrix room goes again: its extension was taken meanwhile. */
  fixedRoomNotCreated: oneLine('Konferenzraum nicht angelegt', 'Conference room not created'),
  /** A repaired fixed room's new Matrix room goes again: the room was deleted meanwhile. */
  fixedRoomGone: oneLine('Konferenzraum gelöscht', 'Conference room deleted'),
};
