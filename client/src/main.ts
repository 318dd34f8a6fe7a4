import { mount } from 'svelte';
import App from './App.svelte';
import { pickLanguage } from './i18n.ts';
import { parseRoute } from './route.ts';
import './styles.css';

const lang = pickLanguage(navigator.languages.length > 0 ? navigator.languages : [navigator.language]);
// Screen readers pick their voice from <html lang>, so it must match the texts we show.
document.documentElement.lang = lang;

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no element with id "app"');

mount(App, { target, props: { lang, route: parseRoute(location.pathname) } });
