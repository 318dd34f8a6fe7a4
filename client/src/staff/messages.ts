// The staff client's texts, English and German (typed alike: a missing key is a type error).
import type { SignInProblem } from './matrix.ts';

export interface StaffMessages {
  appTitle: string;
  loading: string;
  configFailed: string;
  retry: string;
  // sign-in
  signInHeading: string;
  userLabel: string;
  passwordLabel: string;
  homeserverLabel: string;
  changeHomeserver: string;
  homeserverInvalid: string;
  signIn: string;
  signingIn: string;
  signInProblems: Record<SignInProblem, string>;
  signOut: string;
  // list
  contactsLabel: string;
  searchLabel: string;
  sortLabel: string;
  sortActivity: string;
  sortName: string;
  noContacts: string;
  invitationsHeading: string;
  invitedToGroup: (by: string | null) => string;
  invitedToChat: (by: string | null) => string;
  accept: string;
  decline: string;
  invitationFailed: string;
  noMatches: string;
  unread: (n: number) => string;
  totalUnread: (n: number) => string;
  guestsWaiting: string;
  conferenceRunning: string;
  conferenceOnHold: string;
  groupLabel: string;
  directLabel: string;
  muted: string;
  syncing: string;
  connectionLost: string;
  // chat
  chooseContact: string;
  closeChat: string;
  messageLabel: string;
  messageHint: string;
  send: string;
  loadingOlder: string;
  historyStart: string;
  guest: string;
  phoneCaller: string;
  you: string;
  sendFailed: string;
  // groups
  newGroup: string;
  newGroupHeading: string;
  newChat: string;
  newChatHeading: string;
  chatWith: (name: string) => string;
  startingChat: string;
  startChatFailed: string;
  groupName: string;
  membersLabel: string;
  searchPeople: string;
  noPeopleFound: string;
  addPerson: (name: string) => string;
  removePerson: (name: string) => string;
  create: string;
  creating: string;
  cancel: string;
  createFailed: string;
  groupSettings: string;
  settingsHeading: (name: string) => string;
  rename: string;
  save: string;
  memberCount: (n: number) => string;
  addMember: string;
  invite: string;
  removeMember: (name: string) => string;
  leaveGroup: string;
  confirmLeave: string;
  muteNotifications: string;
  allowGuests: string;
  guestsOffHint: string;
  dialInNumber: string;
  pin: string;
  guestLink: string;
  copyAll: string;
  copied: string;
  copyText: (name: string, number: string, pin: string, link: string) => string;
  newPinAndLink: string;
  waitingForBot: string;
  moderatorPinSwitch: string;
  moderatorPinHint: string;
  moderatorPin: string;
  showModeratorPin: string;
  moderatorPinLoading: string;
  moderatorPinUnavailable: string;
  moderatorPinFailed: (reason: string) => string;
  actionFailed: string;
  // conference
  joinConference: string;
  leaveConference: string;
  callArea: string;
}

export const enStaff: StaffMessages = {
  appTitle: 'Foyer',
  loading: 'Loading…',
  configFailed: 'The site configuration could not be loaded.',
  retry: 'Try again',
  signInHeading: 'Sign in',
  userLabel: 'User name',
  passwordLabel: 'Password',
  homeserverLabel: 'Homeserver',
  changeHomeserver: 'Change homeserver',
  homeserverInvalid: 'Please enter a homeserver address such as https://matrix.example.org.',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  signInProblems: {
    wrong_password: 'User name or password is wrong.',
    unreachable: 'The homeserver cannot be reached. Check its address and your connection.',
    rate_limited: 'Too many attempts. Please wait a moment and try again.',
    deactivated: 'This account has been deactivated.',
    failed: 'Signing in failed. Please try again later.',
  },
  signOut: 'Sign out',
  contactsLabel: 'Contacts',
  searchLabel: 'Search contacts',
  sortLabel: 'Sort',
  sortActivity: 'By activity',
  sortName: 'By name',
  noContacts: 'No chats or groups yet.',
  invitationsHeading: 'Invitations',
  invitedToGroup: (by) => (by ? `${by} invites you to this group` : 'An invitation to a group'),
  invitedToChat: (by) => (by ? `${by} wants to chat with you` : 'An invitation to a chat'),
  accept: 'Accept',
  decline: 'Decline',
  invitationFailed: 'That did not work. Please try again.',
  noMatches: 'No contact matches your search.',
  unread: (n) => (n === 1 ? '1 unread message' : `${n} unread messages`),
  totalUnread: (n) =>
    n === 0 ? 'No unread messages' : n === 1 ? '1 unread message in total' : `${n} unread messages in total`,
  guestsWaiting: 'Guests waiting',
  conferenceRunning: 'Conference running',
  conferenceOnHold: 'Conference on hold',
  groupLabel: 'Group',
  directLabel: 'Direct chat',
  muted: 'Muted',
  syncing: 'Connecting…',
  connectionLost: 'Connection lost, trying again…',
  chooseContact: 'Choose a chat or group on the left.',
  closeChat: 'Close chat',
  messageLabel: 'Message',
  messageHint: 'Enter sends, Shift+Enter starts a new line.',
  send: 'Send',
  loadingOlder: 'Loading older messages…',
  historyStart: 'This is the beginning of the conversation.',
  guest: 'guest',
  phoneCaller: 'phone caller',
  you: 'You',
  sendFailed: 'Not sent.',
  newGroup: 'New group',
  newGroupHeading: 'New group',
  newChat: 'New chat',
  newChatHeading: 'Chat with someone',
  chatWith: (name) => `Chat with ${name}`,
  startingChat: 'Opening the chat…',
  startChatFailed: 'The chat could not be started. Please try again.',
  groupName: 'Name',
  membersLabel: 'Members',
  searchPeople: 'Find people',
  noPeopleFound: 'Nobody found.',
  addPerson: (name) => `Add ${name}`,
  removePerson: (name) => `Remove ${name}`,
  create: 'Create',
  creating: 'Creating…',
  cancel: 'Cancel',
  createFailed: 'The group could not be created.',
  groupSettings: 'Group settings',
  settingsHeading: (name) => `Settings of ${name}`,
  rename: 'Group name',
  save: 'Save',
  memberCount: (n) => (n === 1 ? '1 member' : `${n} members`),
  addMember: 'Add member',
  invite: 'Invite',
  removeMember: (name) => `Remove ${name} from the group`,
  leaveGroup: 'Leave group',
  confirmLeave: 'Really leave',
  muteNotifications: 'Mute notifications',
  allowGuests: 'Allow guests',
  guestsOffHint: 'Guests can join by link or phone once this is on.',
  dialInNumber: 'Dial-in number',
  pin: 'PIN',
  guestLink: 'Guest link',
  copyAll: 'Copy all',
  copied: 'Copied.',
  copyText: (name, number, pin, link) =>
    `Conference “${name}”\nDial in: ${number}\nPIN: ${pin}\nIn the browser: ${link}`,
  newPinAndLink: 'New PIN and link',
  waitingForBot: 'Waiting for the PIN and link…',
  moderatorPinSwitch: 'Moderator PIN',
  moderatorPinHint:
    'A second PIN for staff: callers who enter it moderate the conference, so a meeting can run by phone alone. Only members of this server can see it.',
  moderatorPin: 'Moderator PIN',
  showModeratorPin: 'Show moderator PIN',
  moderatorPinLoading: 'Asking the conference server…',
  moderatorPinUnavailable: 'The conference server has no moderator PIN for you.',
  moderatorPinFailed: (reason) => `The moderator PIN could not be fetched: ${reason}`,
  actionFailed: 'That did not work. Please try again.',
  joinConference: 'Join the conference',
  leaveConference: 'Leave the conference',
  callArea: 'Conference',
};

export const deStaff: StaffMessages = {
  appTitle: 'Foyer',
  loading: 'Wird geladen …',
  configFailed: 'Die Konfiguration der Seite konnte nicht geladen werden.',
  retry: 'Erneut versuchen',
  signInHeading: 'Anmelden',
  userLabel: 'Benutzername',
  passwordLabel: 'Passwort',
  homeserverLabel: 'Homeserver',
  changeHomeserver: 'Homeserver ändern',
  homeserverInvalid: 'Bitte geben Sie eine Homeserver-Adresse wie https://matrix.example.org ein.',
  signIn: 'Anmelden',
  signingIn: 'Anmeldung läuft …',
  signInProblems: {
    wrong_password: 'Benutzername oder Passwort ist falsch.',
    unreachable: 'Der Homeserver ist nicht erreichbar. Prüfen Sie die Adresse und Ihre Verbindung.',
    rate_limited: 'Zu viele Versuche. Bitte warten Sie einen Moment.',
    deactivated: 'Dieses Konto wurde deaktiviert.',
    failed: 'Die Anmeldung ist fehlgeschlagen. Bitte versuchen Sie es später noch einmal.',
  },
  signOut: 'Abmelden',
  contactsLabel: 'Kontakte',
  searchLabel: 'Kontakte durchsuchen',
  sortLabel: 'Sortierung',
  sortActivity: 'Nach Aktivität',
  sortName: 'Nach Name',
  noContacts: 'Noch keine Chats oder Gruppen.',
  invitationsHeading: 'Einladungen',
  invitedToGroup: (by) => (by ? `${by} lädt Sie in diese Gruppe ein` : 'Eine Einladung in eine Gruppe'),
  invitedToChat: (by) => (by ? `${by} möchte mit Ihnen chatten` : 'Eine Einladung zu einem Chat'),
  accept: 'Annehmen',
  decline: 'Ablehnen',
  invitationFailed: 'Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.',
  noMatches: 'Kein Kontakt passt zur Suche.',
  unread: (n) => (n === 1 ? '1 ungelesene Nachricht' : `${n} ungelesene Nachrichten`),
  totalUnread: (n) =>
    n === 0
      ? 'Keine ungelesenen Nachrichten'
      : n === 1
        ? 'Insgesamt 1 ungelesene Nachricht'
        : `Insgesamt ${n} ungelesene Nachrichten`,
  guestsWaiting: 'Gäste warten',
  conferenceRunning: 'Konferenz läuft',
  conferenceOnHold: 'Konferenz gehalten',
  groupLabel: 'Gruppe',
  directLabel: 'Direktchat',
  muted: 'Stumm',
  syncing: 'Verbindung wird aufgebaut …',
  connectionLost: 'Verbindung unterbrochen, neuer Versuch …',
  chooseContact: 'Wählen Sie links einen Chat oder eine Gruppe.',
  closeChat: 'Chat schließen',
  messageLabel: 'Nachricht',
  messageHint: 'Eingabe sendet, Umschalt+Eingabe beginnt eine neue Zeile.',
  send: 'Senden',
  loadingOlder: 'Ältere Nachrichten werden geladen …',
  historyStart: 'Hier beginnt die Unterhaltung.',
  guest: 'Gast',
  phoneCaller: 'Anrufer',
  you: 'Sie',
  sendFailed: 'Nicht gesendet.',
  newGroup: 'Neue Gruppe',
  newGroupHeading: 'Neue Gruppe',
  newChat: 'Neuer Chat',
  newChatHeading: 'Chat mit jemandem beginnen',
  chatWith: (name) => `Chat mit ${name}`,
  startingChat: 'Chat wird geöffnet …',
  startChatFailed: 'Der Chat konnte nicht begonnen werden. Bitte versuchen Sie es noch einmal.',
  groupName: 'Name',
  membersLabel: 'Mitglieder',
  searchPeople: 'Personen suchen',
  noPeopleFound: 'Niemand gefunden.',
  addPerson: (name) => `${name} hinzufügen`,
  removePerson: (name) => `${name} entfernen`,
  create: 'Erstellen',
  creating: 'Wird erstellt …',
  cancel: 'Abbrechen',
  createFailed: 'Die Gruppe konnte nicht erstellt werden.',
  groupSettings: 'Gruppeneinstellungen',
  settingsHeading: (name) => `Einstellungen von ${name}`,
  rename: 'Gruppenname',
  save: 'Speichern',
  memberCount: (n) => (n === 1 ? '1 Mitglied' : `${n} Mitglieder`),
  addMember: 'Mitglied hinzufügen',
  invite: 'Einladen',
  removeMember: (name) => `${name} aus der Gruppe entfernen`,
  leaveGroup: 'Gruppe verlassen',
  confirmLeave: 'Wirklich verlassen',
  muteNotifications: 'Benachrichtigungen stummschalten',
  allowGuests: 'Gäste erlauben',
  guestsOffHint: 'Ist dies an, können Gäste per Link oder Telefon teilnehmen.',
  dialInNumber: 'Einwahlnummer',
  pin: 'PIN',
  guestLink: 'Gastlink',
  copyAll: 'Alles kopieren',
  copied: 'Kopiert.',
  copyText: (name, number, pin, link) => `Konferenz „${name}“\nEinwahl: ${number}\nPIN: ${pin}\nIm Browser: ${link}`,
  newPinAndLink: 'Neue PIN und neuer Link',
  waitingForBot: 'PIN und Link werden erstellt …',
  moderatorPinSwitch: 'Moderatoren-PIN',
  moderatorPinHint:
    'Eine zweite PIN für Mitarbeiter: Wer sie bei der Einwahl eingibt, moderiert die Konferenz – so läuft ein Termin auch nur per Telefon. Nur Mitglieder dieses Servers sehen sie.',
  moderatorPin: 'Moderatoren-PIN',
  showModeratorPin: 'Moderatoren-PIN anzeigen',
  moderatorPinLoading: 'Konferenzserver wird gefragt …',
  moderatorPinUnavailable: 'Der Konferenzserver hat keine Moderatoren-PIN für Sie.',
  moderatorPinFailed: (reason) => `Die Moderatoren-PIN konnte nicht abgerufen werden: ${reason}`,
  actionFailed: 'Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.',
  joinConference: 'An der Konferenz teilnehmen',
  leaveConference: 'Konferenz verlassen',
  callArea: 'Konferenz',
};
