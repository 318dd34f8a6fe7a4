import { mount } from 'svelte';
import App from './App.svelte';
import { holdWidgetMessages } from './conference/widget-auth.ts';
import { pickLanguage } from './i18n.ts';
import { parseRoute } from './route.ts';
import './styles.css';

const route = parseRoute(location.pathname, location.search);
// Inside a Matrix client, its first widget API request may come before the API is loaded.
if (route.kind === 'widget') holdWidgetMessages();
// Inside a Matrix client the widget's `lang` parameter (the client's language) wins.
const lang =
  (route.kind === 'widget' ? route.lang : null) ??
  pickLanguage(navigator.languages.length > 0 ? navigator.languages : [navigator.language]);
// Screen readers pick their voice from <html lang>, so it must match the texts we show.
document.documentElement.lang = lang;

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no element with id "app"');

mount(App, { target, props: { lang, route } });
