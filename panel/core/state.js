/* The state the views share (read by more than one module). What only one view uses
 * lives in that view's module. */

export const S = {
  config: null,             // config.json: api_url, ws_url, widget_url, local_mailbox
  tokens: null,             // core/session.js
  me: null,                 // GET /me: user, projects, last_project_id
  project: null,            // the open project ({id, name, role} from /me)
  epoch: 0,                 // bumped on login/logout/project switch; stale async work checks it
  wantChat: null,           // the chat the address named, opened after the first list page
  checkoutOutcome: null,    // back from Stripe Checkout: success | cancelled
  // chat list (views/inbox.js draws it; core/chats.js merges)
  chats: new Map(),         // chat id -> summary
  order: [],                // chat ids, newest activity first
  nextCursor: null,
  pagesLoaded: 0,
  listLoading: false,
  listError: null,
  listRequestedAt: null,
  // the open chat (views/conversation.js, views/messages.js)
  openId: null,
  conv: null,               // {chatId, messages: Map, loaded, error, requestedAt, needsSync, truncated, seenUpTo, visitor}
  pending: new Map(),       // chat id -> Map(client_id -> {client_id, chat_id, text, status, error, created_at}) (views/outbox.js)
  drafts: new Map(),        // chat id -> unsent text (views/draft.js)
  // sections, project details, team
  view: 'inbox',            // core/nav.js VIEWS
  display: 'section',       // where an open chat is drawn: section | popup (per user)
  projectInfo: null,        // GET /projects/{pid}: settings and the caller's role
  members: [],              // views/team.js; the "Assign to" list reads them
  billing: null,            // GET /projects/{pid}/billing (views/billing.js; views/banner.js reads it)
};
