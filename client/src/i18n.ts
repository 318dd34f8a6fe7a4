// UI texts in English and German. Both dictionaries are typed as Messages, so a key missing in
// either language (or a typo) is a compile error rather than a blank spot on the page.
import type { ErrorCode, ParticipantView } from '@foyer/common/conference-protocol';
import type { DeviceProblem } from './conference/device-problem.ts';
import type { EndReason, NoticeTopic, PageErrorCode } from './conference/session-state.ts';
import type { GuestNameProblem } from './conference/session.ts';
import { deStaff, enStaff, type StaffMessages } from './staff/messages.ts';

export type Language = 'en' | 'de';

export interface Messages {
  skipToContent: string;
  tagline: string;
  serverHeading: string;
  serverNameLabel: string;
  homeserverLabel: string;
  loadingSiteConfig: string;
  siteConfigFailed: string;
  checking: string;
  reachable: string;
  /** `newest` is the newest spec version, `older` how many earlier ones are supported too. */
  supportedVersions: (newest: string, older: number) => string;
  allVersions: string;
  unreachable: string;
  unreachableNetwork: string;
  unreachableTimeout: string;
  unreachableHttp: (status: number) => string;
  unreachableNotMatrix: string;
  checkAgain: string;
  unknownPage: string;
  toStartPage: string;
  footer: string;
  conference: ConferenceMessages;
  staff: StaffMessages;
}

/** The conference page (guest link and Matrix widget). */
export interface ConferenceMessages {
  fallbackName: string;
  /** The staff client's call area: closes the conference after it ended. */
  close: string;
  pageTitle: (group: string) => string;
  connecting: string;
  authRequesting: string;
  authConfirming: string;
  reconnecting: string;
  connectingMedia: string;
  audioFailed: string;
  youAreMuted: string;
  // start screen
  startHeading: (group: string) => string;
  startIntroGuest: string;
  startIntroMember: string;
  nameLabel: string;
  nameHint: string;
  nameProblems: Record<GuestNameProblem, string>;
  tabsLabel: string;
  tabBrowser: string;
  tabPhone: string;
  cameraLabel: string;
  microphoneLabel: string;
  speakerLabel: string;
  defaultDevice: string;
  noDevice: string;
  cameraOff: string;
  previewLabel: string;
  previewOff: string;
  previewLoading: string;
  previewUnavailable: string;
  micLevel: string;
  micProblems: Record<DeviceProblem, string>;
  cameraProblems: Record<DeviceProblem, string>;
  listenOnly: string;
  audioOnly: string;
  retryDevices: string;
  join: string;
  joining: string;
  phoneIntro: string;
  phoneNumber: string;
  phonePin: string;
  phoneModeratorPin: string;
  phoneAfter: string;
  // waiting area
  waitingHeading: string;
  waitingText: string;
  onHoldHeading: string;
  onHoldText: string;
  othersWaiting: (count: number) => string;
  holdMusic: string;
  holdMusicBlocked: string;
  playHoldMusic: string;
  exit: string;
  // conference view
  conferenceHeading: (group: string) => string;
  stageLabel: string;
  noVideo: string;
  inConference: (count: number) => string;
  tileYou: string;
  tileYourScreen: string;
  tileScreen: (name: string) => string;
  tileEnlarge: (label: string) => string;
  tileShrink: (label: string) => string;
  soundBlocked: string;
  enableSound: string;
  // function bar
  controlsLabel: string;
  mute: string;
  camera: string;
  shareScreen: string;
  fullscreen: string;
  chat: string;
  participants: string;
  leave: string;
  // participants
  participantsHeading: string;
  participantGroups: { admitted: string; waiting: string };
  kinds: Record<ParticipantView['kind'], string>;
  partnerFrom: (server: string) => string;
  moderator: string;
  you: string;
  mutedState: string;
  speakingState: string;
  muteParticipant: (name: string) => string;
  unmuteParticipant: (name: string) => string;
  removeParticipant: (name: string) => string;
  confirmRemove: (name: string) => string;
  confirmRemoveYes: string;
  cancel: string;
  closePanel: string;
  // chat
  chatHeading: string;
  devices: string;
  devicesHeading: string;
  chatEmpty: string;
  chatInputLabel: string;
  chatHint: string;
  chatSend: string;
  chatSending: string;
  chatFailed: (reason: string) => string;
  chatRetry: string;
  chatEdit: string;
  chatYou: string;
  chatMembersHint: string;
  // ended and errors
  ended: Record<EndReason, string>;
  endedText: Record<EndReason, string>;
  rejoin: string;
  toStartPage: string;
  errorHeadings: Record<PageErrorCode, string>;
  errorTexts: Record<PageErrorCode, string>;
  errorDetail: (detail: string) => string;
  joinByPhone: string;
  tryAgain: string;
  // notices and announcements
  noticeAbout: Record<NoticeTopic, string>;
  noticeCodes: Record<ErrorCode, string>;
  dismiss: string;
  announceWaiting: string;
  announceOnHold: string;
  announceAdmitted: string;
  announceReconnected: string;
}

const enConference: ConferenceMessages = {
  fallbackName: 'Conference',
  close: 'Close',
  pageTitle: (group) => `${group} · Foyer`,
  connecting: 'Connecting to the conference…',
  authRequesting: 'Asking your Matrix client who you are…',
  authConfirming: 'Your Matrix client may ask you to confirm that this conference may verify your identity.',
  reconnecting: 'Connection lost — reconnecting…',
  connectingMedia: 'Connecting audio and video…',
  audioFailed: 'Audio could not be connected. You can still use the chat.',
  youAreMuted: 'You are muted',
  startHeading: (group) => `Join “${group}”`,
  startIntroGuest: 'Check your camera and microphone, enter your name, and join.',
  startIntroMember: 'Check your camera and microphone, then join.',
  nameLabel: 'Your name',
  nameHint: 'Everyone in the conference sees this name.',
  nameProblems: {
    empty: 'Please enter your name.',
    too_long: 'Please use at most 64 characters.',
    control: 'The name contains characters that cannot be shown.',
  },
  tabsLabel: 'How do you want to take part?',
  tabBrowser: 'In the browser',
  tabPhone: 'Audio via phone',
  cameraLabel: 'Camera',
  microphoneLabel: 'Microphone',
  speakerLabel: 'Speaker',
  defaultDevice: 'Default',
  noDevice: 'None found',
  cameraOff: 'Camera off',
  previewLabel: 'Preview of your camera',
  previewOff: 'Your camera is off',
  previewLoading: 'Starting camera and microphone…',
  previewUnavailable: 'No camera picture',
  micLevel: 'Microphone level',
  micProblems: {
    permission:
      'The browser may not use your microphone. Allow it (usually via the icon in the address bar) and try again.',
    not_found: 'No microphone was found.',
    in_use: 'Your microphone is in use by another program or cannot be started.',
    insecure: 'This page cannot use microphones here: it needs a secure (https) connection.',
    other: 'Your microphone could not be started.',
  },
  cameraProblems: {
    permission:
      'The browser may not use your camera. Allow it (usually via the icon in the address bar) and try again.',
    not_found: 'No camera was found.',
    in_use: 'Your camera is in use by another program or cannot be started.',
    insecure: 'This page cannot use cameras here: it needs a secure (https) connection.',
    other: 'Your camera could not be started.',
  },
  listenOnly:
    'You can still join without a microphone: you will hear everyone and can use the chat, but nobody will hear you.',
  audioOnly: 'You can still join with audio only.',
  retryDevices: 'Try again',
  join: 'Join',
  joining: 'Joining…',
  phoneIntro: 'Call this number and enter the PIN when asked. You will hear the conference on your phone.',
  phoneNumber: 'Phone number',
  phonePin: 'PIN',
  phoneModeratorPin: 'Moderator PIN (callers with it moderate)',
  phoneAfter: 'You can keep this page open to follow who is taking part.',
  waitingHeading: 'Waiting for the moderator…',
  waitingText: 'You will be let into the conference as soon as a moderator is there.',
  onHoldHeading: 'The conference is on hold',
  onHoldText: 'The moderator will be back. You will return to the conference automatically.',
  othersWaiting: (count) =>
    count === 0
      ? 'Nobody else is waiting.'
      : count === 1
        ? 'One other person is waiting.'
        : `${count} other people are waiting.`,
  holdMusic: 'Hold music',
  holdMusicBlocked: 'Your browser did not start the hold music by itself.',
  playHoldMusic: 'Play hold music',
  exit: 'Exit',
  conferenceHeading: (group) => `Conference: ${group}`,
  stageLabel: 'Videos',
  noVideo: 'Nobody is sharing video right now.',
  inConference: (count) => (count === 1 ? 'One person in the conference' : `${count} people in the conference`),
  tileYou: 'You',
  tileYourScreen: 'Your screen',
  tileScreen: (name) => `${name} (screen)`,
  tileEnlarge: (label) => `Enlarge: ${label}`,
  tileShrink: (label) => `Shrink: ${label}`,
  soundBlocked: 'Your browser has not started the sound of the conference yet.',
  enableSound: 'Turn on sound',
  controlsLabel: 'Conference controls',
  mute: 'Mute',
  camera: 'Camera',
  shareScreen: 'Share screen',
  fullscreen: 'Full screen',
  chat: 'Chat',
  participants: 'Participants',
  leave: 'Leave',
  participantsHeading: 'Participants',
  participantGroups: { admitted: 'In the conference', waiting: 'Waiting' },
  kinds: { staff: 'Member', federated: 'Partner', guest: 'Guest', phone: 'Phone' },
  partnerFrom: (server) => `Partner from ${server}`,
  moderator: 'Moderator',
  you: 'you',
  mutedState: 'muted',
  speakingState: 'speaking',
  muteParticipant: (name) => `Mute ${name}`,
  unmuteParticipant: (name) => `Unmute ${name}`,
  removeParticipant: (name) => `Remove ${name}`,
  confirmRemove: (name) => `Remove ${name} from the conference?`,
  confirmRemoveYes: 'Remove',
  cancel: 'Cancel',
  closePanel: 'Close',
  chatHeading: 'Chat',
  devices: 'Devices',
  devicesHeading: 'Camera, microphone, speaker',
  chatEmpty: 'No messages yet.',
  chatInputLabel: 'Message',
  chatHint: 'Enter sends, Shift+Enter starts a new line.',
  chatSend: 'Send',
  chatSending: 'sending…',
  chatFailed: (reason) => `Not sent: ${reason}`,
  chatRetry: 'Send again',
  chatEdit: 'Edit',
  chatYou: 'You',
  chatMembersHint: 'Write in the group’s chat in your Matrix client; the messages appear here too.',
  ended: {
    left: 'You left the conference',
    removed: 'A moderator removed you from the conference',
    revoked: 'Guest access to this group was turned off',
    deleted: 'This group no longer exists',
    ended: 'The conference has ended',
  },
  endedText: {
    left: 'You can join again at any time.',
    removed: 'If you think this was a mistake, please contact the person who invited you.',
    revoked: 'The guest link no longer works. Ask the person who invited you for a new one.',
    deleted: 'The group and its conference were deleted.',
    ended: 'You can join again to start or wait for the next one.',
  },
  rejoin: 'Rejoin',
  toStartPage: 'Back to the start page',
  errorHeadings: {
    link_revoked: 'This guest link no longer works',
    licence_cap: 'All guest places are taken',
    forbidden: 'You may not take part in this conference',
    unauthenticated: 'Your identity could not be confirmed',
    not_found: 'This conference was not found',
    rejected: 'The conference did not accept this page',
    rate_limited: 'Too many attempts',
    not_in_widget: 'Please open this page from your group',
    widget_params: 'This conference widget is incomplete',
    openid_refused: 'Identity check declined',
    widget_failed: 'Your Matrix client did not answer',
    unreachable: 'The conference server cannot be reached',
  },
  errorTexts: {
    link_revoked:
      'Guest access was turned off, or the link was replaced. Ask the person who invited you for a new link.',
    licence_cap: 'Please try again later, or join by phone.',
    forbidden: 'Only members of the group and guests with a valid link can take part.',
    unauthenticated: 'Please try again. If it keeps happening, sign out of your Matrix client and in again.',
    not_found: 'The link may be incomplete, or the group no longer exists.',
    rejected: 'Please reload the page. If it keeps happening, tell the operator of this site.',
    rate_limited: 'Too many attempts came from your internet connection. Please wait a few minutes and try again.',
    not_in_widget:
      'This page is the conference widget of a group. Open the group in your Matrix client and start the conference from its widget.',
    widget_params:
      'Your Matrix client did not tell the page which room and user it is for. Remove the widget and let Foyer add it again.',
    openid_refused:
      'The conference needs to confirm who you are with your homeserver. Allow this in your Matrix client and try again.',
    widget_failed: 'Please reload the widget. If it keeps happening, try another Matrix client.',
    unreachable: 'Please check your internet connection and try again.',
  },
  errorDetail: (detail) => `Details: ${detail}`,
  joinByPhone: 'Join by phone instead:',
  tryAgain: 'Try again',
  noticeAbout: {
    audio: 'Audio',
    camera: 'Camera',
    screen: 'Screen sharing',
    chat: 'Chat',
    moderation: 'Moderation',
    general: 'Conference',
  },
  noticeCodes: {
    bad_message: 'The server did not understand a request from this page.',
    rate_limited: 'Too many requests at once. Please wait a moment.',
    timeout: 'The server did not answer in time.',
    unauthenticated: 'Your identity could not be confirmed.',
    forbidden: 'You are not allowed to do that.',
    link_revoked: 'The guest link no longer works.',
    licence_cap: 'All guest places are taken.',
    not_found: 'That is no longer there.',
    not_admitted: 'You are not in the conference yet.',
    conference_locked: 'A moderator has locked this conference: nobody else can join now.',
    conference_full: 'This conference is full. Please try again later.',
    muted_by_moderator: 'A moderator muted you. Only a moderator can unmute you.',
    unavailable: 'That is not possible right now.',
    internal: 'Something went wrong on the server.',
  },
  dismiss: 'Dismiss',
  announceWaiting: 'You are in the waiting area.',
  announceOnHold: 'The conference is on hold. You are in the waiting area.',
  announceAdmitted: 'You are now in the conference.',
  announceReconnected: 'Connected again.',
};

const deConference: ConferenceMessages = {
  fallbackName: 'Konferenz',
  close: 'Schließen',
  pageTitle: (group) => `${group} · Foyer`,
  connecting: 'Verbindung zur Konferenz wird hergestellt…',
  authRequesting: 'Ihr Matrix-Client wird gefragt, wer Sie sind…',
  authConfirming: 'Ihr Matrix-Client fragt Sie eventuell, ob diese Konferenz Ihre Identität prüfen darf.',
  reconnecting: 'Verbindung unterbrochen – neuer Verbindungsversuch…',
  connectingMedia: 'Audio und Video werden verbunden…',
  audioFailed: 'Audio konnte nicht verbunden werden. Den Chat können Sie weiterhin nutzen.',
  youAreMuted: 'Sie sind stummgeschaltet',
  startHeading: (group) => `„${group}“ beitreten`,
  startIntroGuest: 'Prüfen Sie Kamera und Mikrofon, geben Sie Ihren Namen ein und treten Sie bei.',
  startIntroMember: 'Prüfen Sie Kamera und Mikrofon und treten Sie dann bei.',
  nameLabel: 'Ihr Name',
  nameHint: 'Alle in der Konferenz sehen diesen Namen.',
  nameProblems: {
    empty: 'Bitte geben Sie Ihren Namen ein.',
    too_long: 'Bitte verwenden Sie höchstens 64 Zeichen.',
    control: 'Der Name enthält Zeichen, die nicht angezeigt werden können.',
  },
  tabsLabel: 'Wie möchten Sie teilnehmen?',
  tabBrowser: 'Im Browser',
  tabPhone: 'Audio per Telefon',
  cameraLabel: 'Kamera',
  microphoneLabel: 'Mikrofon',
  speakerLabel: 'Lautsprecher',
  defaultDevice: 'Standard',
  noDevice: 'Keins gefunden',
  cameraOff: 'Kamera aus',
  previewLabel: 'Vorschau Ihrer Kamera',
  previewOff: 'Ihre Kamera ist ausgeschaltet',
  previewLoading: 'Kamera und Mikrofon werden gestartet…',
  previewUnavailable: 'Kein Kamerabild',
  micLevel: 'Mikrofonpegel',
  micProblems: {
    permission:
      'Der Browser darf Ihr Mikrofon nicht verwenden. Erlauben Sie es (meist über das Symbol in der Adressleiste) und versuchen Sie es erneut.',
    not_found: 'Es wurde kein Mikrofon gefunden.',
    in_use: 'Ihr Mikrofon wird von einem anderen Programm verwendet oder lässt sich nicht starten.',
    insecure: 'Diese Seite kann hier keine Mikrofone verwenden: Dafür ist eine sichere (https-)Verbindung nötig.',
    other: 'Ihr Mikrofon konnte nicht gestartet werden.',
  },
  cameraProblems: {
    permission:
      'Der Browser darf Ihre Kamera nicht verwenden. Erlauben Sie es (meist über das Symbol in der Adressleiste) und versuchen Sie es erneut.',
    not_found: 'Es wurde keine Kamera gefunden.',
    in_use: 'Ihre Kamera wird von einem anderen Programm verwendet oder lässt sich nicht starten.',
    insecure: 'Diese Seite kann hier keine Kameras verwenden: Dafür ist eine sichere (https-)Verbindung nötig.',
    other: 'Ihre Kamera konnte nicht gestartet werden.',
  },
  listenOnly:
    'Sie können trotzdem ohne Mikrofon teilnehmen: Sie hören alle und können den Chat nutzen, aber niemand hört Sie.',
  audioOnly: 'Sie können trotzdem nur mit Audio teilnehmen.',
  retryDevices: 'Erneut versuchen',
  join: 'Beitreten',
  joining: 'Beitritt läuft…',
  phoneIntro:
    'Rufen Sie diese Nummer an und geben Sie die PIN ein, wenn Sie danach gefragt werden. Sie hören die Konferenz dann am Telefon.',
  phoneNumber: 'Telefonnummer',
  phonePin: 'PIN',
  phoneModeratorPin: 'Moderatoren-PIN (wer sie eingibt, moderiert)',
  phoneAfter: 'Sie können diese Seite geöffnet lassen, um zu sehen, wer teilnimmt.',
  waitingHeading: 'Warten auf die Moderation…',
  waitingText: 'Sie werden in die Konferenz gelassen, sobald jemand aus der Moderation da ist.',
  onHoldHeading: 'Die Konferenz ist angehalten',
  onHoldText: 'Die Moderation kommt zurück. Sie kehren dann automatisch in die Konferenz zurück.',
  othersWaiting: (count) =>
    count === 0
      ? 'Sonst wartet niemand.'
      : count === 1
        ? 'Eine weitere Person wartet.'
        : `${count} weitere Personen warten.`,
  holdMusic: 'Wartemusik',
  holdMusicBlocked: 'Ihr Browser hat die Wartemusik nicht von selbst gestartet.',
  playHoldMusic: 'Wartemusik abspielen',
  exit: 'Verlassen',
  conferenceHeading: (group) => `Konferenz: ${group}`,
  stageLabel: 'Videos',
  noVideo: 'Im Moment teilt niemand ein Video.',
  inConference: (count) => (count === 1 ? 'Eine Person in der Konferenz' : `${count} Personen in der Konferenz`),
  tileYou: 'Sie',
  tileYourScreen: 'Ihr Bildschirm',
  tileScreen: (name) => `${name} (Bildschirm)`,
  tileEnlarge: (label) => `Vergrößern: ${label}`,
  tileShrink: (label) => `Verkleinern: ${label}`,
  soundBlocked: 'Ihr Browser hat den Ton der Konferenz noch nicht gestartet.',
  enableSound: 'Ton einschalten',
  controlsLabel: 'Konferenzsteuerung',
  mute: 'Stumm',
  camera: 'Kamera',
  shareScreen: 'Bildschirm teilen',
  fullscreen: 'Vollbild',
  chat: 'Chat',
  participants: 'Teilnehmende',
  leave: 'Verlassen',
  participantsHeading: 'Teilnehmende',
  participantGroups: { admitted: 'In der Konferenz', waiting: 'Im Warteraum' },
  kinds: { staff: 'Mitglied', federated: 'Partner', guest: 'Gast', phone: 'Telefon' },
  partnerFrom: (server) => `Partner von ${server}`,
  moderator: 'Moderation',
  you: 'Sie',
  mutedState: 'stummgeschaltet',
  speakingState: 'spricht',
  muteParticipant: (name) => `${name} stummschalten`,
  unmuteParticipant: (name) => `Stummschaltung von ${name} aufheben`,
  removeParticipant: (name) => `${name} entfernen`,
  confirmRemove: (name) => `${name} aus der Konferenz entfernen?`,
  confirmRemoveYes: 'Entfernen',
  cancel: 'Abbrechen',
  closePanel: 'Schließen',
  chatHeading: 'Chat',
  devices: 'Geräte',
  devicesHeading: 'Kamera, Mikrofon, Lautsprecher',
  chatEmpty: 'Noch keine Nachrichten.',
  chatInputLabel: 'Nachricht',
  chatHint: 'Eingabetaste sendet, Umschalt+Eingabetaste beginnt eine neue Zeile.',
  chatSend: 'Senden',
  chatSending: 'wird gesendet…',
  chatFailed: (reason) => `Nicht gesendet: ${reason}`,
  chatRetry: 'Erneut senden',
  chatEdit: 'Bearbeiten',
  chatYou: 'Sie',
  chatMembersHint: 'Schreiben Sie im Chat der Gruppe in Ihrem Matrix-Client; die Nachrichten erscheinen auch hier.',
  ended: {
    left: 'Sie haben die Konferenz verlassen',
    removed: 'Die Moderation hat Sie aus der Konferenz entfernt',
    revoked: 'Der Gastzugang zu dieser Gruppe wurde abgeschaltet',
    deleted: 'Diese Gruppe gibt es nicht mehr',
    ended: 'Die Konferenz ist beendet',
  },
  endedText: {
    left: 'Sie können jederzeit wieder beitreten.',
    removed: 'Wenn Sie das für einen Irrtum halten, wenden Sie sich bitte an die Person, die Sie eingeladen hat.',
    revoked: 'Der Gastlink funktioniert nicht mehr. Bitten Sie die Person, die Sie eingeladen hat, um einen neuen.',
    deleted: 'Die Gruppe und ihre Konferenz wurden gelöscht.',
    ended: 'Sie können erneut beitreten, um eine neue Konferenz zu beginnen oder auf sie zu warten.',
  },
  rejoin: 'Erneut beitreten',
  toStartPage: 'Zurück zur Startseite',
  errorHeadings: {
    link_revoked: 'Dieser Gastlink funktioniert nicht mehr',
    licence_cap: 'Alle Gastplätze sind belegt',
    forbidden: 'Sie dürfen an dieser Konferenz nicht teilnehmen',
    unauthenticated: 'Ihre Identität konnte nicht bestätigt werden',
    not_found: 'Diese Konferenz wurde nicht gefunden',
    rejected: 'Die Konferenz hat diese Seite nicht angenommen',
    rate_limited: 'Zu viele Versuche',
    not_in_widget: 'Bitte öffnen Sie diese Seite aus Ihrer Gruppe',
    widget_params: 'Dieses Konferenz-Widget ist unvollständig',
    openid_refused: 'Identitätsprüfung abgelehnt',
    widget_failed: 'Ihr Matrix-Client hat nicht geantwortet',
    unreachable: 'Der Konferenzserver ist nicht erreichbar',
  },
  errorTexts: {
    link_revoked:
      'Der Gastzugang wurde abgeschaltet oder der Link ersetzt. Bitten Sie die Person, die Sie eingeladen hat, um einen neuen Link.',
    licence_cap: 'Bitte versuchen Sie es später noch einmal oder nehmen Sie per Telefon teil.',
    forbidden: 'Teilnehmen können nur Mitglieder der Gruppe und Gäste mit einem gültigen Link.',
    unauthenticated:
      'Bitte versuchen Sie es erneut. Wenn es wieder passiert, melden Sie sich in Ihrem Matrix-Client ab und wieder an.',
    not_found: 'Der Link ist vielleicht unvollständig, oder die Gruppe gibt es nicht mehr.',
    rejected: 'Bitte laden Sie die Seite neu. Wenn es wieder passiert, wenden Sie sich an die Betreiber dieser Seite.',
    rate_limited:
      'Von Ihrer Internetverbindung kamen zu viele Versuche. Bitte warten Sie einige Minuten und versuchen Sie es dann erneut.',
    not_in_widget:
      'Diese Seite ist das Konferenz-Widget einer Gruppe. Öffnen Sie die Gruppe in Ihrem Matrix-Client und starten Sie die Konferenz über das Widget.',
    widget_params:
      'Ihr Matrix-Client hat der Seite nicht mitgeteilt, für welchen Raum und welche Person sie ist. Entfernen Sie das Widget und lassen Sie es von Foyer neu hinzufügen.',
    openid_refused:
      'Die Konferenz muss bei Ihrem Homeserver bestätigen, wer Sie sind. Erlauben Sie das in Ihrem Matrix-Client und versuchen Sie es erneut.',
    widget_failed:
      'Bitte laden Sie das Widget neu. Wenn es wieder passiert, versuchen Sie es mit einem anderen Matrix-Client.',
    unreachable: 'Bitte prüfen Sie Ihre Internetverbindung und versuchen Sie es erneut.',
  },
  errorDetail: (detail) => `Details: ${detail}`,
  joinByPhone: 'Nehmen Sie stattdessen per Telefon teil:',
  tryAgain: 'Erneut versuchen',
  noticeAbout: {
    audio: 'Audio',
    camera: 'Kamera',
    screen: 'Bildschirmfreigabe',
    chat: 'Chat',
    moderation: 'Moderation',
    general: 'Konferenz',
  },
  noticeCodes: {
    bad_message: 'Der Server hat eine Anfrage dieser Seite nicht verstanden.',
    rate_limited: 'Zu viele Anfragen auf einmal. Bitte warten Sie einen Moment.',
    timeout: 'Der Server hat nicht rechtzeitig geantwortet.',
    unauthenticated: 'Ihre Identität konnte nicht bestätigt werden.',
    forbidden: 'Das dürfen Sie nicht.',
    link_revoked: 'Der Gastlink funktioniert nicht mehr.',
    licence_cap: 'Alle Gastplätze sind belegt.',
    not_found: 'Das gibt es nicht mehr.',
    not_admitted: 'Sie sind noch nicht in der Konferenz.',
    conference_locked: 'Ein Moderator hat diese Konferenz gesperrt: Niemand kann jetzt hinzukommen.',
    conference_full: 'Diese Konferenz ist voll. Bitte versuchen Sie es später noch einmal.',
    muted_by_moderator: 'Ein Moderator hat Sie stummgeschaltet. Nur ein Moderator kann das aufheben.',
    unavailable: 'Das ist im Moment nicht möglich.',
    internal: 'Auf dem Server ist etwas schiefgegangen.',
  },
  dismiss: 'Schließen',
  announceWaiting: 'Sie sind im Warteraum.',
  announceOnHold: 'Die Konferenz ist angehalten. Sie sind im Warteraum.',
  announceAdmitted: 'Sie sind jetzt in der Konferenz.',
  announceReconnected: 'Wieder verbunden.',
};

const en: Messages = {
  skipToContent: 'Skip to content',
  tagline: 'Groups for chat, conferences and phone dial-in, built on Matrix.',
  serverHeading: 'Your server',
  serverNameLabel: 'Server',
  homeserverLabel: 'Homeserver',
  loadingSiteConfig: 'Loading the settings of this site…',
  siteConfigFailed: 'The settings of this site could not be loaded. Please try again in a moment.',
  checking: 'Checking whether the homeserver is reachable…',
  reachable: 'The homeserver is reachable.',
  supportedVersions: (newest, older) =>
    older === 0
      ? `It supports Matrix ${newest}.`
      : `It supports Matrix ${newest} and ${older} earlier ${older === 1 ? 'version' : 'versions'}.`,
  allVersions: 'All supported versions',
  unreachable: 'The homeserver is not reachable.',
  unreachableNetwork: 'There was no answer. The server may be offline, or your internet connection may be interrupted.',
  unreachableTimeout: 'The server took too long to answer. It may be overloaded; please try again later.',
  unreachableHttp: (status) => `The server reported an error (HTTP ${status}). Please tell the operator of this site.`,
  unreachableNotMatrix: 'Something answered, but it is not a Matrix homeserver. Please tell the operator of this site.',
  checkAgain: 'Check again',
  unknownPage: 'There is no page at this address, so here is the start page.',
  toStartPage: 'Go to the start page',
  footer: 'Foyer runs on Matrix, the open standard for secure communication.',
  conference: enConference,
  staff: enStaff,
};

const de: Messages = {
  skipToContent: 'Zum Inhalt springen',
  tagline: 'Gruppen für Chat, Konferenzen und Telefoneinwahl, auf Basis von Matrix.',
  serverHeading: 'Ihr Server',
  serverNameLabel: 'Server',
  homeserverLabel: 'Homeserver',
  loadingSiteConfig: 'Die Einstellungen dieser Seite werden geladen…',
  siteConfigFailed:
    'Die Einstellungen dieser Seite konnten nicht geladen werden. Bitte versuchen Sie es gleich noch einmal.',
  checking: 'Es wird geprüft, ob der Homeserver erreichbar ist…',
  reachable: 'Der Homeserver ist erreichbar.',
  supportedVersions: (newest, older) =>
    older === 0
      ? `Er unterstützt Matrix ${newest}.`
      : `Er unterstützt Matrix ${newest} und ${older} ${older === 1 ? 'ältere Version' : 'ältere Versionen'}.`,
  allVersions: 'Alle unterstützten Versionen',
  unreachable: 'Der Homeserver ist nicht erreichbar.',
  unreachableNetwork:
    'Es kam keine Antwort. Der Server ist vielleicht nicht in Betrieb, oder Ihre Internetverbindung ist unterbrochen.',
  unreachableTimeout:
    'Der Server hat zu lange für die Antwort gebraucht. Vielleicht ist er überlastet; bitte versuchen Sie es später noch einmal.',
  unreachableHttp: (status) =>
    `Der Server hat einen Fehler gemeldet (HTTP ${status}). Bitte wenden Sie sich an die Betreiber dieser Seite.`,
  unreachableNotMatrix:
    'Es hat etwas geantwortet, aber kein Matrix-Homeserver. Bitte wenden Sie sich an die Betreiber dieser Seite.',
  checkAgain: 'Erneut prüfen',
  unknownPage: 'Unter dieser Adresse gibt es keine Seite, deshalb sehen Sie die Startseite.',
  toStartPage: 'Zur Startseite',
  footer: 'Foyer läuft auf Matrix, dem offenen Standard für sichere Kommunikation.',
  conference: deConference,
  staff: deStaff,
};

export const messages: Record<Language, Messages> = { en, de };

/** The first of the reader's preferred languages that we have; English otherwise. */
export function pickLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'en' || base === 'de') return base;
  }
  return 'en';
}
