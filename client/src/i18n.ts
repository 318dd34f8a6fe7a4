// UI texts in English and German. Both dictionaries are typed as Messages, so a key missing in
// either language (or a typo) is a compile error rather than a blank spot on the page.

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
  joinHeading: string;
  joinComingSoon: string;
  unknownPage: string;
  toStartPage: string;
  footer: string;
}

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
  joinHeading: 'You have been invited to a conference',
  joinComingSoon: 'The conference page is coming soon. Keep this link: it will take you straight into the conference.',
  unknownPage: 'There is no page at this address, so here is the start page.',
  toStartPage: 'Go to the start page',
  footer: 'Foyer runs on Matrix, the open standard for secure communication.',
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
  joinHeading: 'Sie wurden zu einer Konferenz eingeladen',
  joinComingSoon: 'Die Konferenzseite kommt bald. Bewahren Sie diesen Link auf: Er führt Sie direkt in die Konferenz.',
  unknownPage: 'Unter dieser Adresse gibt es keine Seite, deshalb sehen Sie die Startseite.',
  toStartPage: 'Zur Startseite',
  footer: 'Foyer läuft auf Matrix, dem offenen Standard für sichere Kommunikation.',
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
