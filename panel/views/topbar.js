/* The top bar's markup: brand, project, sections, status, connection, sound, the member
 * and Log out. Static (no server data); mounted first, so the modules that own these
 * controls (core/nav.js, core/socket.js, views/project.js, team.js, notifications.js,
 * login.js) find them in their own mount(). */
import { h, s } from '../core/dom.js';

export function mount() {
  document.querySelector('#app > .topbar').append(
    h('div', { class: 'brand' }, [
      h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), ' ',
      h('span', { class: 'brand-name', text: 'Live Chat' }),
    ]),
    h('div', { class: 'project', id: 'project-box' }, [
      h('span', { class: 'project-name', id: 'project-name' }), ' ',
      h('span', { class: 'project-switch', id: 'project-switch', hidden: true }, [
        h('label', { for: 'project-select', text: 'Project' }), ' ', h('select', { id: 'project-select' }),
      ]),
    ]),
    h('nav', { class: 'nav', id: 'nav', 'aria-label': 'Sections' }, [
      h('button', { type: 'button', class: 'nav-btn', 'data-view': 'inbox', 'aria-current': 'page', text: 'Inbox' }),
      ' ',
      h('button', { type: 'button', class: 'nav-btn', 'data-view': 'visitors' }, [
        'Visitors', h('span', { class: 'nav-count', id: 'visitors-count' }),
      ]),
      ' ',
      h('button', { type: 'button', class: 'nav-btn', 'data-view': 'team-chat' }, [
        'Team chat', h('span', { class: 'nav-dot', id: 'team-chat-dot', hidden: true }),
      ]),
      ' ', h('button', { type: 'button', class: 'nav-btn', 'data-view': 'team', text: 'Team' }), ' ',
      h('button', { type: 'button', class: 'nav-btn', 'data-view': 'replies', text: 'Saved replies' }), ' ',
      h('button', { type: 'button', class: 'nav-btn', 'data-view': 'auto', id: 'nav-auto', hidden: true, text: 'Auto messages' }),
      ' ', h('button', { type: 'button', class: 'nav-btn', 'data-view': 'install', text: 'Install' }), ' ',
      h('button', { type: 'button', class: 'nav-btn', 'data-view': 'settings', text: 'Settings' }), ' ',
      h('button', { type: 'button', class: 'nav-btn', 'data-view': 'billing', text: 'Billing' }),
    ]),
    h('div', { class: 'topbar-spacer' }),
    h('label', { for: 'status-select', class: 'sr-only', text: 'Your status' }),
    ' ',
    h('select', { id: 'status-select', class: 'status-select', 'data-status': 'online', title: 'Your status: new dialogues are distributed to online members' }, [
      h('option', { value: 'online', text: '● Online' }), h('option', { value: 'away', text: '● Away' }),
      h('option', { value: 'offline', text: '● Offline' }),
    ]),
    ' ',
    h('button', { type: 'button', id: 'conn', class: 'conn', 'data-state': 'offline', title: 'Connection status' }, [
      h('span', { class: 'conn-dot', 'aria-hidden': 'true' }), ' ', h('span', { id: 'conn-text', text: 'Offline' }),
    ]),
    ' ',
    h('button', { type: 'button', id: 'notify-btn', class: 'btn btn-ghost btn-sm', hidden: true, text: 'Enable notifications' }),
    ' ',
    h('button', { type: 'button', id: 'sound-btn', class: 'btn btn-ghost btn-sm btn-icon', 'aria-pressed': 'true', 'aria-label': 'Sound alerts', title: 'Sound alerts' }, [
      s('svg', { viewBox: '0 0 24 24', width: '18', height: '18', 'aria-hidden': 'true', class: 'icon-sound-on' }, [
        s('path', { fill: 'currentColor', d: 'M4 9v6h4l5 4V5L8 9H4zm12.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z' }),
      ]),
      ' ',
      s('svg', { viewBox: '0 0 24 24', width: '18', height: '18', 'aria-hidden': 'true', class: 'icon-sound-off' }, [
        s('path', { fill: 'currentColor', d: 'M4 9v6h4l5 4V5L8 9H4zm12.6 3 2.7-2.7-1.4-1.4-2.7 2.7-2.7-2.7-1.4 1.4 2.7 2.7-2.7 2.7 1.4 1.4 2.7-2.7 2.7 2.7 1.4-1.4z' }),
      ]),
    ]),
    h('div', { class: 'me', id: 'me' }, [
      h('span', { class: 'avatar avatar-sm', id: 'me-avatar', 'aria-hidden': 'true' }), ' ',
      h('span', { class: 'me-name', id: 'me-name' }),
    ]),
    h('button', { type: 'button', id: 'logout-btn', class: 'btn btn-ghost btn-sm', text: 'Log out' }),
  );
}
